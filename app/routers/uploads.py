"""Council uploads: send a file of service records, see the reports, delete an upload.

Token-protected like every council route (``CouncilDep``). The file is streamed to a
temporary file, checked and aggregated, and deleted; only the aggregates and the validation
report are stored (see ``records.upload``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel

from app.councils import CouncilDep
from app.deps import SettingsDep, StoreDep
from app.routers.councils import AUTH_ERRORS
from app.upload_body import receive
from records import upload as uploads
from records.columns import parse_mapping
from records.report import rejected_csv
from records.safety import safe_cell

router = APIRouter(prefix="/api/councils", tags=["council workspace"])

UPLOAD_ID = Path(pattern=r"^[0-9a-f]{32}$", description="The upload's id.")
BODY = {
    "requestBody": {
        "required": True,
        "description": "The file itself (CSV UTF-8 with ',' or ';', or XLSX), or multipart/form-data "
        "with the file in a part named 'file'.",
        "content": {
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}
UPLOAD_ERRORS: dict[int | str, dict[str, str]] = {
    **AUTH_ERRORS,
    400: {"description": "A malformed body or column mapping"},
    409: {"description": "The same file was uploaded before (not counted twice)"},
    413: {"description": "The file is larger than INSIGHT_UPLOAD_MAX_BYTES"},
    422: {"description": "The file cannot be taken; the answer's 'report' says why, row by row"},
}


class UploadOut(BaseModel):
    upload_id: str
    source_name: str
    uploaded_at: dt.datetime
    synthetic: bool
    rows_read: int
    rows_matched: int
    rows_rejected: int
    date_from: dt.date | None
    date_to: dt.date | None
    content_hash: str
    report: dict[str, Any]
    cells: int | None = None


class UploadList(BaseModel):
    council_id: str
    uploads: list[UploadOut]


@router.post(
    "/{council_id}/uploads",
    status_code=201,
    response_model=UploadOut,
    responses=UPLOAD_ERRORS,
    openapi_extra=BODY,
    summary="Upload service records (aggregated on arrival; the file is not kept)",
)
async def post_upload(
    request: Request,
    caller: CouncilDep,
    store: StoreDep,
    settings: SettingsDep,
    map: Annotated[
        list[str] | None, Query(description="FIELD=COLUMN, repeatable, e.g. postcode=PCDS", max_length=20)
    ] = None,
    name: Annotated[str | None, Query(max_length=200, description="Name recorded for a raw body")] = None,
    max_rejected: Annotated[
        float | None, Query(ge=0, le=1, description="Largest share of rejected rows accepted")
    ] = None,
    synthetic: Annotated[bool, Query(description="Mark the upload as synthetic records")] = False,
) -> UploadOut:
    """Columns: where the customer lives (postcode, or an OA, LSOA or ward GSS code), the LGSL
    service code, the channel, the date; optional count and LGIL interaction id. Rejected rows
    are listed in the report with their row number, field and reason."""
    mapping = parse_mapping(map)
    received = await receive(
        request.stream(),
        request.headers.get("content-type"),
        request.headers.get("content-length"),
        settings.upload_max_bytes,
    )
    try:
        taken = await uploads.take_upload(
            store,
            settings,
            caller.council,
            caller.actor,
            received.path,
            source_name=safe_cell(name or received.filename or "upload", 200),
            content_hash=received.content_hash,
            mapping=mapping,
            max_rejected=max_rejected,
            synthetic=synthetic,
        )
    finally:
        FilePath(received.path).unlink(missing_ok=True)
    return UploadOut(**taken.as_dict())


@router.get(
    "/{council_id}/uploads", response_model=UploadList, responses=AUTH_ERRORS, summary="The council's uploads"
)
async def get_uploads(caller: CouncilDep, store: StoreDep) -> UploadList:
    council_id = caller.council.council_id
    rows = await uploads.list_uploads(store, council_id)
    return UploadList(council_id=council_id, uploads=[UploadOut(**uploads.upload_dict(r)) for r in rows])


@router.get(
    "/{council_id}/uploads/{upload_id}",
    response_model=UploadOut,
    responses={**AUTH_ERRORS, 404: {"description": "No such upload"}},
    summary="One upload with its validation report",
)
async def get_upload(caller: CouncilDep, store: StoreDep, upload_id: Annotated[str, UPLOAD_ID]) -> UploadOut:
    row = await uploads.get_upload(store, caller.council.council_id, upload_id)
    return UploadOut(**uploads.upload_dict(row))


@router.get(
    "/{council_id}/uploads/{upload_id}/rejected.csv",
    responses={**AUTH_ERRORS, 404: {"description": "No such upload"}},
    response_class=Response,
    summary="The listed rejected rows of an upload as CSV (values made safe for spreadsheets)",
)
async def get_rejected_csv(
    caller: CouncilDep, store: StoreDep, upload_id: Annotated[str, UPLOAD_ID]
) -> Response:
    row = await uploads.get_upload(store, caller.council.council_id, upload_id)
    body = rejected_csv(uploads.upload_dict(row)["report"])
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="rejected-{upload_id}.csv"',
            "Cache-Control": "private, no-store",
        },
    )


@router.delete(
    "/{council_id}/uploads/{upload_id}",
    status_code=204,
    response_class=Response,
    responses={**AUTH_ERRORS, 404: {"description": "No such upload"}},
    summary="Delete an upload and its aggregates",
)
async def delete_upload(
    caller: CouncilDep, store: StoreDep, upload_id: Annotated[str, UPLOAD_ID]
) -> Response:
    await uploads.delete_upload(store, caller.council.council_id, upload_id, caller.actor)
    return Response(status_code=204)

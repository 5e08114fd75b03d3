"""The council dependency: every ``/api/councils/{council_id}/...`` route takes ``CouncilDep``.

It checks the bearer token (401 without a valid one, 403 for another council's), writes an
audit record of the token's use, and hands the route the caller (the council and token id).
Council answers are private: never stored by a shared cache.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request, Response

from app.deps import StoreDep
from records import access

PRIVATE = "private, no-store"
COUNCIL_ID = Path(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$", description="The council's id.")


async def get_caller(
    request: Request, response: Response, store: StoreDep, council_id: Annotated[str, COUNCIL_ID]
) -> access.Caller:
    response.headers["Cache-Control"] = PRIVATE
    caller = await access.authenticate(store, request.headers.get("Authorization"), council_id)
    await access.record(store, caller, f"{request.method} {request.url.path}", "token used")
    return caller


CouncilDep = Annotated[access.Caller, Depends(get_caller)]

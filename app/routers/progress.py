"""What a background build of the store is doing, for the web app's notice."""

from __future__ import annotations

import json
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.deps import SettingsDep

router = APIRouter(tags=["status"])


class BuildProgress(BaseModel):
    state: Literal["none", "building", "done", "failed"] = Field(
        description="none: no background build; done: the new store is being served (or is about to be)"
    )
    what: str | None = Field(None, description="What is being built, e.g. 'England and Wales'")
    step: str | None = Field(None, description="The step running (a source id or the model build)")
    done: int | None = Field(None, description="Steps done")
    of: int | None = Field(None, description="Steps in all")
    started: float | None = Field(None, description="Unix time the build started")
    updated: float | None = Field(None, description="Unix time of this report")
    error: str | None = None


@router.get("/api/build-progress", response_model=BuildProgress, summary="A background build's progress")
async def build_progress(settings: SettingsDep) -> BuildProgress:
    """The progress ``insight demo`` writes while it builds England and Wales behind the regional
    demo; ``state: none`` when nothing is being built (or on PostGIS)."""
    path = settings.build_progress_file
    if path is None or not path.is_file():
        return BuildProgress(state="none")
    try:
        doc = json.loads(path.read_text()[:10_000])
        return BuildProgress.model_validate(doc)
    except ValueError:  # a file being replaced or edited by hand: nothing to report
        return BuildProgress(state="none")

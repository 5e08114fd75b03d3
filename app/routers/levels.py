"""GET /api/levels: every area level and how many areas it holds."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from app.deps import StoreDep
from core.store.queries import levels as q
from core.store.queries.levels import LevelCountRow

router = APIRouter(prefix="/api", tags=["areas"])


class LevelOut(BaseModel):
    level: str
    family: str
    rank: int
    label: str
    areas: int


@router.get("/levels", response_model=list[LevelOut], summary="Area levels and their counts")
async def list_levels(store: StoreDep) -> list[LevelCountRow]:
    return await store.fetch_as(LevelCountRow, q.level_counts())

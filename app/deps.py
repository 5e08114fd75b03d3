"""Dependency aliases for routers: the settings, the open store, the catalogue and the tile service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.catalogue import Catalogue, catalogue_holder
from app.tiles.service import TileService
from core.settings import Settings
from core.store import Reader, StoreTimeout, StoreUnavailable


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> Reader:
    return request.app.state.store


async def get_catalogue(request: Request) -> Catalogue:
    """The catalogue of the current national data version (async: no thread hop on the tile path)."""
    return await catalogue_holder(request.app).current()


async def get_tile_catalogue(request: Request) -> Catalogue:
    """The catalogue for tile routes: when the store is unreachable, the last one read, so tiles
    already cached are still served (stale-if-error; the answer says so, see the tile route)."""
    holder = catalogue_holder(request.app)
    try:
        return await holder.current()
    except (StoreUnavailable, StoreTimeout):
        if holder.latest is None:
            raise
        request.state.stale_catalogue = True
        return holder.latest


async def get_tile_service(request: Request) -> TileService:
    """The app's tile service, made on first use for the store the app has open (tile routes only)."""
    state = request.app.state
    service: TileService | None = getattr(state, "tile_service", None)
    if service is None or service.source is not state.store.tiles:
        service = TileService(state.settings, state.store.tiles)
        state.tile_service = service
    return service


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StoreDep = Annotated[Reader, Depends(get_store)]
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
TileServiceDep = Annotated[TileService, Depends(get_tile_service)]
TileCatalogueDep = Annotated[Catalogue, Depends(get_tile_catalogue)]


def public_root(request: Request) -> str:
    """The server's public root URL, without a trailing slash, for links in answers.

    ``INSIGHT_PUBLIC_BASE_URL`` when set; otherwise the request's own, which comes from its
    ``Host`` header (limit that with ``INSIGHT_TRUSTED_HOSTS`` behind a shared cache).
    """
    configured: str | None = request.app.state.settings.public_base_url
    return (configured or str(request.base_url)).rstrip("/")

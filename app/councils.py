"""The council dependency: every ``/api/councils/{council_id}/...`` route takes ``CouncilDep``.

It checks the bearer token (401 without a valid one, 403 for another council's), writes an
audit record of the token's use, and hands the route the caller (the council and token id).
Council answers are private: never stored by a shared cache.

Tile requests are audited once per token, route and :data:`TILE_AUDIT_S` (a map view asks for
dozens of tiles; one record says the layer was viewed, with the tiles counted), so the trail
stays readable and a map view does not queue dozens of writes.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Path, Request, Response

from app.deps import StoreDep
from records import access

PRIVATE = "private, no-store"
TILE_AUDIT_S = 600.0
_tile_views: dict[tuple[str, str], tuple[float, int]] = {}  # (token, route) → (first seen, tiles)
COUNCIL_ID = Path(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$", description="The council's id.")


async def get_caller(
    request: Request, response: Response, store: StoreDep, council_id: Annotated[str, COUNCIL_ID]
) -> access.Caller:
    response.headers["Cache-Control"] = PRIVATE
    caller = await access.authenticate(store, request.headers.get("Authorization"), council_id)
    route = getattr(request.scope.get("route"), "path", "")
    if route.endswith(".mvt"):
        key, now = (caller.token_id, route), time.monotonic()
        since, tiles = _tile_views.get(key, (0.0, 0))
        if now - since < TILE_AUDIT_S:
            _tile_views[key] = (since, tiles + 1)
            return caller
        _tile_views[key] = (now, 1)
        detail = (
            f"tiles viewed ({tiles} more in the previous {TILE_AUDIT_S / 60:g} min)"
            if tiles
            else "tiles viewed"
        )
        await access.record(store, caller, f"{request.method} {route}", detail, tiles or None)
        return caller
    await access.record(store, caller, f"{request.method} {request.url.path}", "token used")
    return caller


CouncilDep = Annotated[access.Caller, Depends(get_caller)]

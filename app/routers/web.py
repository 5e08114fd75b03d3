"""The web page: ``/`` (index.html), ``/static/*`` (our modules and CSS), ``/vendor/*`` (npm files),
and ``/config.json`` (the page's settings: basemap, initial view, zoom bands).

Nothing is fetched from elsewhere: third-party files come from ``frontend/node_modules`` (installed
with ``npm ci``), and only from the packages and folders whitelisted below. The one exception is a
basemap, and only when ``INSIGHT_BASEMAP_URL`` names one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, JSONResponse

from app.deps import SettingsDep
from core.settings import Settings

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
SOURCE = FRONTEND / "src"
MODULES = FRONTEND / "node_modules"

# package -> folders inside it that the page may load (the rest of node_modules stays private)
VENDOR: dict[str, tuple[str, ...]] = {
    "leaflet": ("dist",),
    "leaflet.vectorgrid": ("dist",),
    "pmtiles": ("dist",),
}

MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".map": "application/json",
}

MAX_NAME = 255  # longest relative path served; every file here has a far shorter one

# Our own files change with each release: revalidate (ETag) rather than cache blindly.
OWN_CACHE = "no-cache"
VENDOR_CACHE = "public, max-age=86400"

router = APIRouter(include_in_schema=False)


def _file(base: Path, relative: str, cache: str) -> FileResponse:
    """Serve ``base/relative`` when it is a known file type strictly inside ``base``."""
    if len(relative) > MAX_NAME or "\x00" in relative:
        raise HTTPException(404, "no such file")
    try:
        target = (base / relative).resolve()
        found = target.is_relative_to(base.resolve()) and target.is_file()
    except (OSError, ValueError):  # a name the filesystem cannot hold
        found = False
    if not found:
        raise HTTPException(404, f"no such file: {relative}")
    media = MEDIA_TYPES.get(target.suffix)
    if media is None:
        raise HTTPException(404, f"no such file: {relative}")
    return FileResponse(target, media_type=media, headers={"Cache-Control": cache})


@router.get("/")
async def index() -> FileResponse:
    return _file(FRONTEND, "index.html", OWN_CACHE)


# The two named views of the map; the UK one fits the UK areas loaded (the page reads their
# bounds from /tiles/lad.json) and falls back to this centre and zoom.
VIEWS = {
    "europe": {"lat": 53.0, "lon": 10.0, "z": 4},
    "uk": {"lat": 54.5, "lon": -3.0, "z": 6},
}


def page_config(settings: Settings) -> dict[str, Any]:
    """What the page needs to know from the settings (nothing secret: it is public)."""
    basemap = None
    if settings.basemap_tiles:
        basemap = {
            "url": settings.basemap_tiles,
            "attribution": settings.basemap_credit,
            "labels_url": settings.basemap_labels_url or None,
            "max_zoom": settings.basemap_max_zoom,
            "opacity": settings.basemap_opacity,
        }
    return {
        "basemap": basemap,
        "initial_view": settings.initial_view,
        "pmtiles_url": settings.pmtiles_url or None,
        "views": VIEWS,
        "zooms": {
            "nuts_max": settings.auto_nuts_max_zoom,
            "lad_max": settings.auto_lad_max_zoom,
            "ward_max": settings.auto_ward_max_zoom,
        },
    }


@router.get("/config.json")
async def config(settings: SettingsDep) -> JSONResponse:
    return JSONResponse(page_config(settings), headers={"Cache-Control": OWN_CACHE})


@router.get("/council")
async def council_page() -> FileResponse:
    """The council workspace page (its data comes from the token-protected API)."""
    return _file(FRONTEND, "council.html", OWN_CACHE)


@router.get("/static/{path:path}")
async def static(path: str) -> FileResponse:
    return _file(SOURCE, path, OWN_CACHE)


@router.get("/vendor/{package}/{path:path}")
async def vendor(package: str, path: str) -> FileResponse:
    folders = VENDOR.get(package)
    if folders is None or len(path) > MAX_NAME or not any(path.startswith(f + "/") for f in folders):
        raise HTTPException(404, f"no such file: {package[:64]}/{path[:MAX_NAME]}")
    if not (MODULES / package).is_dir():
        raise HTTPException(503, f"{package} is not installed: run `npm ci` in frontend/")
    return _file(MODULES / package, path, VENDOR_CACHE)

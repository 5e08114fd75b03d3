"""The web page: ``/`` (index.html), ``/static/*`` (our modules and CSS), ``/vendor/*`` (npm files).

Nothing is fetched from elsewhere: third-party files come from ``frontend/node_modules`` (installed
with ``npm ci``), and only from the packages and folders whitelisted below.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
SOURCE = FRONTEND / "src"
MODULES = FRONTEND / "node_modules"

# package -> folders inside it that the page may load (the rest of node_modules stays private)
VENDOR: dict[str, tuple[str, ...]] = {
    "leaflet": ("dist",),
    "leaflet.vectorgrid": ("dist",),
}

MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".map": "application/json",
}

# Our own files change with each release: revalidate (ETag) rather than cache blindly.
OWN_CACHE = "no-cache"
VENDOR_CACHE = "public, max-age=86400"

router = APIRouter(include_in_schema=False)


def _file(base: Path, relative: str, cache: str) -> FileResponse:
    """Serve ``base/relative`` when it is a known file type strictly inside ``base``."""
    target = (base / relative).resolve()
    if not target.is_relative_to(base.resolve()) or not target.is_file():
        raise HTTPException(404, f"no such file: {relative}")
    media = MEDIA_TYPES.get(target.suffix)
    if media is None:
        raise HTTPException(404, f"no such file: {relative}")
    return FileResponse(target, media_type=media, headers={"Cache-Control": cache})


@router.get("/")
async def index() -> FileResponse:
    return _file(FRONTEND, "index.html", OWN_CACHE)


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
    if folders is None or not any(path.startswith(f + "/") for f in folders):
        raise HTTPException(404, f"no such file: {package}/{path}")
    if not (MODULES / package).is_dir():
        raise HTTPException(503, f"{package} is not installed: run `npm ci` in frontend/")
    return _file(MODULES / package, path, VENDOR_CACHE)

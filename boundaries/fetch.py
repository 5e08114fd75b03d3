"""``insight fetch``: download catalogue sources from their addresses into the data directory.

Only the catalogue's addresses are fetched (never a user-given URL). Each file is written to a
temporary name and moved into place when complete, so an interrupted download never leaves a
truncated file where a loader would read it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from boundaries.catalogue import SOURCES, Source, get_source
from core import progress


class FetchError(RuntimeError):
    """A download failed; the message names the address and why."""


def sources_for(name: str) -> list[Source]:
    """The sources ``name`` stands for: one id, or ``all`` (every source with a download)."""
    if name == "all":
        return [s for s in SOURCES if s.downloads]
    try:
        return [get_source(name)]
    except KeyError as exc:
        raise FetchError(str(exc.args[0])) from None


def download(client: httpx.Client, url: str, target: Path) -> int:
    """Stream ``url`` into ``target`` atomically; returns the number of bytes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    host = urlsplit(url).netloc
    try:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise FetchError(f"{url}: the server answered HTTP {response.status_code}")
            total = int(response.headers.get("content-length") or 0) or None
            size = 0
            bar = progress.counter(target.name, total or 0)
            with partial.open("wb") as fh:
                for chunk in response.iter_bytes(1 << 16):
                    fh.write(chunk)
                    size += len(chunk)
                    bar.update(len(chunk))
            bar.close()
    except httpx.TransportError as exc:
        partial.unlink(missing_ok=True)
        raise FetchError(
            f"cannot download {url}: {host} is unreachable ({type(exc).__name__}: {exc or 'no detail'}). "
            "Is there a network connection? Without one, copy the files into the data directory by hand "
            "(see README: Data)"
        ) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return size


def fetch_sources(
    name: str,
    data_dir: Path,
    *,
    force: bool = False,
    client: httpx.Client | None = None,
    say: Callable[[str], None] = print,
) -> list[Path]:
    """Download the files of source ``name`` (or ``all``) into ``data_dir``.

    Files already present are kept unless ``force``. Sources made from other sources (spatial
    links, dissolved areas) have nothing to download.

    Returns
    -------
    The files written.

    Raises
    ------
    FetchError
        Unknown source, no network, or an HTTP error, naming the address.
    """
    own = client is None
    client = client or httpx.Client(follow_redirects=True, timeout=httpx.Timeout(30.0, connect=10.0))
    written: list[Path] = []
    try:
        for source in sources_for(name):
            if not source.downloads:
                if source.files and source.origin:
                    say(
                        f"{source.id}: no single-file download; get it from {source.origin} "
                        f"into {Path(data_dir) / source.folder}"
                    )
                else:
                    say(f"{source.id}: nothing to download (made from other sources when loaded)")
                continue
            for file, url in source.downloads.items():
                target = Path(data_dir) / source.folder / file
                if target.exists() and not force:
                    say(f"{source.id}: {target} already present")
                    continue
                size = download(client, url, target)
                written.append(target)
                say(f"{source.id}: {target} ({size:,} bytes) from {url}")
    finally:
        if own:
            client.close()
    return written

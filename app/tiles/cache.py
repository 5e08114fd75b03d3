"""Made tiles with their ETag and gzip copy, and the in-process LRU that keeps them.

The ETag hashes the data version with the tile bytes, so a reload changes every ETag even
where a tile's bytes stay the same; the cache itself is dropped when the version changes.
"""

from __future__ import annotations

import gzip
import hashlib
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

GZIP_MIN_BYTES = 256  # smaller tiles are sent as they are


@dataclass(frozen=True)
class Tile:
    """One tile as served: MVT bytes (empty when no feature), its gzip copy and its validators."""

    body: bytes
    gzipped: bytes | None
    etag: str
    level: str
    features: int
    capped: bool

    @property
    def empty(self) -> bool:
        return not self.body


def make_tile(body: bytes | None, version: str, level: str, features: int, capped: bool) -> Tile:
    """Wrap tile bytes with a strong ETag (data version + bytes) and a gzip copy when worth it."""
    body = bytes(body or b"") if features else b""
    digest = hashlib.blake2b(version.encode() + b"\0" + body, digest_size=12).hexdigest()
    gzipped = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= GZIP_MIN_BYTES else None
    return Tile(body, gzipped, f'"{digest}"', level, features, capped)


class TileCache:
    """A least-recently-used map of tiles; size 0 keeps nothing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._tiles: OrderedDict[Hashable, Tile] = OrderedDict()

    def get(self, key: Hashable) -> Tile | None:
        tile = self._tiles.get(key)
        if tile is not None:
            self._tiles.move_to_end(key)
        return tile

    def put(self, key: Hashable, tile: Tile) -> None:
        if self.size <= 0:
            return
        self._tiles[key] = tile
        self._tiles.move_to_end(key)
        while len(self._tiles) > self.size:
            self._tiles.popitem(last=False)

    def clear(self) -> None:
        self._tiles.clear()

    def __len__(self) -> int:
        return len(self._tiles)

"""Made tiles with their ETag and gzip copy, and the in-process LRU that keeps them, bounded in bytes.

The ETag hashes the data version with the tile bytes, so a reload changes every ETag even
where a tile's bytes stay the same; the cache itself is dropped when the version changes.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from isal import igzip

GZIP_MIN_BYTES = 256  # smaller tiles are sent as they are
# ISA-L's level 1: a dense national z10 tile (880 KB) compresses in 1.6 ms to 500 KB, against
# 27.5 ms and 474 KB with zlib's level 6 (measured; ``bench/README.md``). Drawing is the store's
# work; compressing at zlib speed would have cost a third of it again, on the event loop.
GZIP_LEVEL = 1


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
    gzipped = igzip.compress(body, GZIP_LEVEL, mtime=0) if len(body) >= GZIP_MIN_BYTES else None
    return Tile(body, gzipped, f'"{digest}"', level, features, capped)


ENTRY_BYTES = 200  # what an entry costs beyond its bytes (key, objects): empty tiles count too


def tile_bytes(tile: Tile) -> int:
    """Memory a cached tile is charged: its body, its gzip copy and a fixed overhead."""
    return len(tile.body) + len(tile.gzipped or b"") + ENTRY_BYTES


class TileCache:
    """A least-recently-used map of tiles bounded by their bytes; a bound of 0 keeps nothing.

    A tile larger than the whole bound is not kept.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._tiles: OrderedDict[Hashable, Tile] = OrderedDict()

    def get(self, key: Hashable) -> Tile | None:
        tile = self._tiles.get(key)
        if tile is not None:
            self._tiles.move_to_end(key)
        return tile

    def put(self, key: Hashable, tile: Tile) -> None:
        size = tile_bytes(tile)
        if size > self.max_bytes:
            return
        old = self._tiles.pop(key, None)
        if old is not None:
            self.bytes -= tile_bytes(old)
        self._tiles[key] = tile
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, evicted = self._tiles.popitem(last=False)
            self.bytes -= tile_bytes(evicted)

    def clear(self) -> None:
        self._tiles.clear()
        self.bytes = 0

    def __contains__(self, key: Hashable) -> bool:
        return key in self._tiles

    def __len__(self) -> int:
        return len(self._tiles)

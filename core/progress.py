"""Progress bars on stderr (tqdm), off when stderr is not a terminal or when disabled."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def enabled() -> bool:
    """Bars show on an interactive stderr unless ``INSIGHT_PROGRESS=0``."""
    flag = os.environ.get("INSIGHT_PROGRESS", "")
    if flag in ("0", "false", "no"):
        return False
    if flag in ("1", "true", "yes"):
        return True
    return sys.stderr.isatty()


def bar(iterable: Iterable[T], desc: str, total: int | None = None, leave: bool = False) -> Iterator[T]:
    """Iterate with a progress bar named ``desc``."""
    yield from tqdm(
        iterable, desc=desc, total=total, leave=leave, file=sys.stderr, disable=not enabled(), unit=""
    )


def counter(desc: str, total: int, leave: bool = False) -> tqdm:
    """A manually updated bar (``.update(n)``), for row-chunked work."""
    return tqdm(desc=desc, total=total, leave=leave, file=sys.stderr, disable=not enabled(), unit="row")

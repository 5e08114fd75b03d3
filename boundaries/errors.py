"""Errors and warnings of the loaders, always naming the file and what is wrong."""

from __future__ import annotations


class LoadError(ValueError):
    """A source could not be loaded; nothing was written.

    A ``ValueError`` so callers that already handle bad input (``insight demo``) report it too.
    """

    def __init__(self, file: object, problem: str) -> None:
        self.file = str(file) if file is not None else None
        self.problem = problem
        super().__init__(f"{self.file}: {problem}" if self.file else problem)


class LoadWarning(UserWarning):
    """Something about a source looks wrong but the load can go on (e.g. no CRS declared)."""


def name_some(values: object, limit: int = 10) -> str:
    """Short, sorted listing of offending values for an error message."""
    distinct = set(values)  # type: ignore[call-overload]
    numbers = all(isinstance(v, int) for v in distinct)
    items = [str(v) for v in sorted(distinct)] if numbers else sorted(str(v) for v in distinct)
    more = f" ... (+{len(items) - limit} more)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more

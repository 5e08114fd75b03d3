"""Why an upload was refused: its content (422), with the validation report so far."""

from __future__ import annotations

from typing import Any

from core.errors import Unprocessable


class UploadInvalid(Unprocessable):
    """The file cannot be taken: not a table we read, columns missing, too many rows or too
    many rejected rows. ``report`` (also the answer's ``report`` member) holds the validation
    report when rows were read."""

    def __init__(self, message: str, report: dict[str, Any] | None = None) -> None:
        super().__init__(message, {"report": report} if report is not None else None)
        self.report = report

"""Errors a filing or a move can raise; each message is for the user (Chinese)."""

from __future__ import annotations


class CaseError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(CaseError):
    status = 403
    code = "forbidden"


class Conflict(CaseError):
    """Someone else acted first (a stale form, or the order was already taken)."""

    status = 409
    code = "conflict"

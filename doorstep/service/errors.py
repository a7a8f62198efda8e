"""Errors the service app raises; each message is for the user (Chinese)."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Denied(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    """Someone else acted first, or the thing is already done."""

    status = 409
    code = "conflict"

"""Errors the site and booking services raise; each message is for the user (Chinese)."""

from __future__ import annotations


class SiteError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(SiteError):
    status = 403
    code = "forbidden"


class SlotTaken(SiteError):
    """The room is already booked (or being booked by someone else) for that time."""

    status = 409
    code = "conflict"


class Conflict(SiteError):
    """Someone else acted first (the booking is no longer in the state the form showed)."""

    status = 409
    code = "conflict"


TAKEN = "该时段已被预订"

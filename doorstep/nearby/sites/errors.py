"""Errors the site and booking services raise; each message is for the user (Chinese).

The sites' names for the one family in `doorstep.core.errors`."""

from __future__ import annotations

from doorstep.core import errors as core


class SiteError(core.DomainError):
    """A site, room or booking rule refused (400); the kinds below are 403 and 409."""


class NotAllowed(SiteError, core.NotAllowed):
    pass


class SlotTaken(SiteError, core.Conflict):
    """The room is already booked (or being booked by someone else) for that time."""


class Conflict(SiteError, core.Conflict):
    """Someone else acted first (the booking is no longer in the state the form showed)."""


TAKEN = "该时段已被预订"

"""Errors the co-governance services raise; each message is for the user (Chinese).

The co-governance names for the one family in `doorstep.core.errors`."""

from __future__ import annotations

from doorstep.core import errors as core


class CogovError(core.DomainError):
    """A list, match or project rule refused (400); the kinds below are 403 and 409."""


class NotAllowed(CogovError, core.NotAllowed):
    pass


class Conflict(CogovError, core.Conflict):
    """Someone acted first: the need was met, the resource's capacity taken, the match moved."""

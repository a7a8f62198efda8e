"""Errors the deliberation services raise; each message is for the user (Chinese).

The deliberation names for the one family in `doorstep.core.errors`."""

from __future__ import annotations

from doorstep.core import errors as core


class DeliberationError(core.DomainError):
    """A topic, meeting or vote rule refused (400); the kinds below are 403 and 409."""


class NotAllowed(DeliberationError, core.NotAllowed):
    pass


class Conflict(DeliberationError, core.Conflict):
    """Someone acted first: the part has voted, the ballot closed."""


def relayed(exc: core.DomainError) -> DeliberationError:
    """A lower domain's refusal as the deliberation error of the same kind (403, 409, 400)."""
    kind = (
        NotAllowed
        if isinstance(exc, core.NotAllowed)
        else Conflict
        if isinstance(exc, core.Conflict)
        else DeliberationError
    )
    return kind(exc.message, exc.field)

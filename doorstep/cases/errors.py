"""Errors a filing or a move can raise; each message is for the user (Chinese).

The case's names for the one family in `doorstep.core.errors`."""

from __future__ import annotations

from doorstep.core import errors as core


class CaseError(core.DomainError):
    """A filing or a move refused (400); the kinds below are 403 and 409."""


class NotAllowed(CaseError, core.NotAllowed):
    pass


class Conflict(CaseError, core.Conflict):
    """Someone else acted first (a stale form, or the order was already taken)."""

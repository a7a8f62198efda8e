"""Errors the service app raises; each message is for the user (Chinese).

The service's names for the one family in `doorstep.core.errors`."""

from __future__ import annotations

from doorstep.core import errors as core


class ServiceError(core.DomainError):
    """A service rule refused (400); the kinds below are 403 and 409."""


class Denied(ServiceError, core.NotAllowed):
    pass


class Conflict(ServiceError, core.Conflict):
    """Someone else acted first, or the thing is already done."""

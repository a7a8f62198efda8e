"""The one family of domain errors: a rule said no, with a message for the user (Chinese).

Every domain raises these, under its own names (`CaseError`, `ServiceError`, `SiteError`,
`ActivityError`, `CircleError` …) that subclass the kinds here, so `except CaseError` catches
a case's errors only, and `except DomainError` catches any. There are three kinds:

- `DomainError` itself: the input breaks a rule (HTTP 400, `"invalid"`);
- `NotAllowed`: this user may not do this (403, `"forbidden"`);
- `Conflict`: someone else acted first, or it is already done (409, `"conflict"`).

A domain's own kinds inherit from both: `class NotAllowed(CaseError, core.NotAllowed)`.
The API answers each with its `status` and `{"error": code, "detail": message, "field"?}`
(`core.api_errors`); a page shows `message` next to `field` with the same status.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the request; `message` is for the user, `field` names the input."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


Invalid = DomainError  # the plain kind has no class of its own: 400 is the default


class NotAllowed(DomainError):
    """This user may not do this here."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """Someone else acted first, or the thing is already in another state."""

    status = 409
    code = "conflict"

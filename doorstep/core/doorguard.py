"""The door guard: in tests, a page or API endpoint that reads a scoped table without the
access door fails.

Every queryset `visible_to` returns carries a mark that its clones keep. When the guard is
on (the test suite turns it on for the whole run), evaluating an unmarked queryset of a
scoped model while a request is being answered raises `SkippedTheDoor` if the code that
evaluated it is web code: a domain's `web` package, the Open311 views, the cockpit's views,
API, drill lists and template tags, or a view defined in a test (the deliberately leaky one).
What a service or a model does after the web code handed it a row read through the door is
the domain's business and not checked, nor are the related rows of such a row
(`household.residents.all()`: Django gives those querysets the instance as a hint). A
Django admin page is checked too: its querysets must come from `ScopedAdminMixin`.

It is a runtime check, not a grep: it sees what the code really runs, whichever way the
query was built.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from .middleware import serving

WEB = re.compile(
    r"^(doorstep\.[\w.]*\bweb\b|doorstep\.cases\.open311\b|config\.api\b"
    r"|doorstep\.cockpit\.(views\w*|api|drill|templatetags)\b|doorstep\.[\w.]*\btests\b)"
)
PASS_THROUGH = ("doorstep.core.access", "doorstep.core.doorguard", "doorstep.core.middleware")

FRAMEWORK_CHECKS = {"_perform_unique_checks", "_perform_date_checks", "validate_constraints"}

_on = False


class SkippedTheDoor(AssertionError):
    """Web code read a scoped table without `visible_to(user, action)`."""


def turn_on() -> None:
    global _on
    _on = True


def turn_off() -> None:
    global _on
    _on = False


def check(qs: Any) -> None:
    """Called by ScopedQuerySet before it runs a query (see the module)."""
    if not _on or qs._door:
        return
    path = serving.get()
    if not path:
        return
    if qs._hints.get("instance") is not None:
        return  # the related rows of a row already read
    saw_admin = False
    frame: Any = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if frame.f_code.co_name in FRAMEWORK_CHECKS:
            return  # a form's uniqueness check, not a read anyone sees
        if name.startswith("django.contrib.admin"):
            saw_admin = True
        elif name.startswith(("doorstep.", "config.")) and not name.startswith(PASS_THROUGH):
            if WEB.match(name) and not (saw_admin and ".tests" in name):
                raise SkippedTheDoor(
                    f"{name} (line {frame.f_lineno}) reads {qs.model._meta.label} without "
                    f"visible_to(user, action) on {path}: every page and endpoint starts at "
                    "the door"
                )
            if not saw_admin:
                return
            break
        frame = frame.f_back
    if saw_admin:
        raise SkippedTheDoor(
            f"an admin page ({path}) reads {qs.model._meta.label} without the door "
            "(use core.admin.ScopedAdminMixin)"
        )

"""A tracking code a person can read out (查询码), and the public status behind it.

The case number (e.g. 1101082612044481811) stays the Open311 `service_request_id` and keeps
its district code, but nobody reads 19 digits over the phone. Each case also gets a short
code from an alphabet without look-alikes (no 0/O, 1/I/L), shown as ``K7M4-Q9TX``. Anyone
may look a case up at /track/ with the code and the last four digits of the phone the
case was filed with: status, category, dates and the steps taken, never a name, a phone
or an address. Lookups are by POST and rate-limited per client address.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(code: str | None) -> str:
    """K7M4Q9TX -> K7M4-Q9TX"""
    return f"{code[:4]}-{code[4:]}" if code else ""


def normalise(text: str) -> str:
    """What a person typed, as stored: upper case, no spaces or dashes; look-alikes read
    as the letter they were meant to be (O→0 does not exist, so O and 0 are never valid)."""
    return "".join(ch for ch in text.upper() if ch not in " -_\t")[: LENGTH * 2]


def phone_tail(case: Any) -> str:
    """The last four digits a person proves the case with: the contact phone given when it
    was filed, else the filer's registered phone."""
    if case.contact_phone_last4:
        return str(case.contact_phone_last4)
    resident = getattr(case.reporter, "resident", None) if case.reporter_id else None
    return str(getattr(resident, "phone_last4", "") or "")


@dataclass(frozen=True)
class Step:
    at: Any
    label: str


def public_steps(case: Any) -> list[Step]:
    """The case's moves as a resident may see them: what happened and when, not who."""
    from .workflow import MOVES_BY_CODE

    steps = []
    for event in case.events.order_by("seq"):
        move = MOVES_BY_CODE.get(event.move)
        label = getattr(move, "label", None) or {"create": "提交"}.get(event.move, event.move)
        steps.append(Step(event.at, str(label)))
    return steps


# --- the public lookup ------------------------------------------------------------------

TRIES_PER_WINDOW = 10
WINDOW_SECONDS = 600


def take_try(address: str) -> bool:
    """Count one lookup from this client address; False once it has had its share of the
    window (a code and four digits must not be guessable by trying)."""
    from django.core.cache import cache

    key = f"track:tries:{address}:{int(time.time()) // WINDOW_SECONDS}"
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        tries = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        tries = 1
    return tries <= TRIES_PER_WINDOW


def lookup(code: str, tail: str) -> Any | None:
    """The case with this code whose phone ends in `tail` (None: no such case, or the
    digits do not match — the caller cannot tell which)."""
    from .models import Case

    wanted = normalise(code)
    if len(wanted) != LENGTH or not tail.isdigit() or len(tail) != 4:
        return None
    case = (
        Case.objects.outside_door("public tracking: the code and the phone's last four digits")
        .select_related("category", "reporter__resident")
        .filter(code=wanted)
        .first()
    )
    if case is None or case.is_draft:
        return None
    expected = phone_tail(case)
    return case if expected and secrets.compare_digest(expected, tail) else None

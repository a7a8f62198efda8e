"""What one case counts for in the figures, as a fold over its events.

Every rate the platform shows is defined over **the cases received in the period** (the
local day of the event that received the case, `data.received`), each case counted once,
with what is true of it **now** (办结率: of the cases received in the period, the share
closed by now). So the counters are not event counts: a case closed, reopened and closed
again is one closed case; a case's second rating replaces its first.

`step(state, event)` folds one event into a small JSON state kept on the case
(`Case.tally`); `vector(state)` is what the case adds to its cohort row, every numerator a
subset of its denominator by construction (`returned` only for a dispatched case,
`reopened` only for a resolved one, `solved` only for a rated one …), so every rate lies
in 0–100 % without clamping. On each event the service adds `vector(new) - vector(old)`
to the rows of the case's cohort day; `recount_from_events` folds the events afresh and
must give the same rows.

A case withdrawn or cancelled (撤销) after it was received leaves the cohort: it counts for
nothing. Pure functions only: the migration that introduced the cohorts uses them too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .calendar import TZ

CLOSED_STATUSES = frozenset({"closed", "archived"})
CANCELLED = "cancelled"
RATINGS = ("satisfied", "basic", "unsatisfied")
SIGNS = ("sign", "claim")


def org_ids(path: str) -> list[int]:
    """The organisation ids on a tree path ("/1/5/9/" → [1, 5, 9]): every ancestor."""
    return [int(x) for x in path.strip("/").split("/") if x]


def local_day(at: dt.datetime) -> dt.date:
    return at.astimezone(TZ).date()


def step(
    state: Mapping[str, Any], move: str, to_status: str, data: Mapping[str, Any], at: dt.datetime
) -> dict[str, Any]:
    """The state after one event (a new dict; `state` is left as it was)."""
    s = dict(state)
    data = data or {}
    s["status"] = to_status
    if data.get("received") and not s.get("day"):
        s["day"] = local_day(at).isoformat()
    if move in ("dispatch", "publish"):
        s["dispatched"] = 1
    if move in SIGNS:
        s["signs"] = s.get("signs", 0) + 1
        s["signs_on_time"] = s.get("signs_on_time", 0) + int(bool(data.get("on_time")))
    if move == "return":
        s["returned"] = 1
    if data.get("first_response"):
        s["responded"] = 1
    if move in ("resolve", "self_handle"):
        s["resolved"] = 1
    if to_status in CLOSED_STATUSES:
        if data.get("closing"):
            s["resolved"] = 1
            s["close"] = [
                int(bool(data.get("on_time_close"))),
                int(data.get("handling_seconds") or 0),
            ]
    else:
        s.pop("close", None)
    if move in ("reopen", "reopen_closed"):
        s["reopened"] = 1
    rating = data.get("rating")
    if move in ("rate", "reopen") and rating in RATINGS:
        s["rating"] = rating
        s["solved"] = int(bool(data.get("solved")))
    if move == "whistle":
        s["whistles"] = s.get("whistles", 0) + 1
        s["summoned"] = s.get("summoned", 0) + len(data.get("departments") or ())
    if move == "report_in" and data.get("on_time"):
        s["reported"] = s.get("reported", 0) + 1
    return s


def cohort_day(state: Mapping[str, Any]) -> dt.date | None:
    day = state.get("day")
    return dt.date.fromisoformat(day) if day else None


def vector(state: Mapping[str, Any]) -> dict[str, int]:
    """What the case adds to its cohort row (the `Rollup` counters; zeros left out)."""
    if not state.get("day") or state.get("status") == CANCELLED:
        return {}
    close = state.get("close")
    rating = state.get("rating")
    dispatched = int(state.get("dispatched", 0))
    resolved = int(state.get("resolved", 0))
    rated = int(rating in RATINGS)
    summoned = int(state.get("summoned", 0))
    v = {
        "received": 1,
        "dispatched": dispatched,
        "signed": int(state.get("signs", 0)),
        "signed_on_time": int(state.get("signs_on_time", 0)),
        "returned": int(state.get("returned", 0)) * dispatched,
        "responded": int(state.get("responded", 0)),
        "resolved": resolved,
        "closed": int(close is not None),
        "closed_on_time": close[0] if close else 0,
        "handling_seconds": close[1] if close else 0,
        "reopened": int(state.get("reopened", 0)) * resolved,
        "rated": rated,
        "satisfied": int(rating == "satisfied"),
        "basic": int(rating == "basic"),
        "unsatisfied": int(rating == "unsatisfied"),
        "solved": int(state.get("solved", 0)) * rated,
        "whistles": int(state.get("whistles", 0)),
        "summoned": summoned,
        "reported_on_time": min(int(state.get("reported", 0)), summoned),
    }
    return {k: n for k, n in v.items() if n}


def category_vector(v: Mapping[str, int]) -> dict[str, int]:
    """The part of a cohort vector the category rollups keep (满意 folds 基本满意 in)."""
    out = {
        k: v.get(k, 0)
        for k in ("received", "closed", "closed_on_time", "handling_seconds", "rated")
    }
    out["satisfied"] = v.get("satisfied", 0) + v.get("basic", 0)
    return {k: n for k, n in out.items() if n}


def difference(new: Mapping[str, int], old: Mapping[str, int]) -> dict[str, int]:
    out = {k: new.get(k, 0) - old.get(k, 0) for k in set(new) | set(old)}
    return {k: n for k, n in out.items() if n}


def fold(events: Any) -> dict[str, Any]:
    """The state after a case's events, given in order as (move, to_status, data, at)."""
    state: dict[str, Any] = {}
    for move, to_status, data, at in events:
        state = step(state, move, to_status, data, at)
    return state

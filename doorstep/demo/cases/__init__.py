"""Demo cases (演示工单) for the 学院路 street: departments, co-building units, ~300 cases.

Every case is filed with `services.create_case` and moved with `services.perform` by the
demo personas (residents, grid workers, community staff, party members, volunteers, the
street officer, department liaisons), so events, assignments, whistles and rollups are
the real thing. The cases are spread over the last 60 days and told as stories that run
side by side in time order: a story's steps are spaced out in hours, each made at its own
moment, with the deadline sweep running every few simulated hours in between (it flags,
reminds, escalates overdue urgent cases, closes unrated ones and archives old ones).

Making a move "at" a past moment: `services` read the clock through
`django.utils.timezone.now`; `at_moment` points that at the story's moment for the length
of one move (the seed is a single-threaded management command). Everything the move
writes (event times, assignment and whistle times, rollup days) then carries that
moment, as if it had been made then. Notifications keep the real time they are sent;
those about finished cases are marked read.

Besides the printed demo logins the stories use (all with the demo password): `community2`
… `community4` (the other communities' staff), `grid2` … `grid10` (one grid worker per
grid), `member2` … (a party member keeping a central household in each other community)
and `jm011` … `jm102` (two residents per grid, `jm` + grid number + 1/2), plus the
liaisons of 城管执法队, 房管所, 市场监管所 and the two co-building units.
"""

from __future__ import annotations

import random

from django.utils import timezone

from doorstep.atlas.organisations.models import Organisation
from doorstep.cases.catalogue import load_catalogue, load_community_categories
from doorstep.cases.models import Case, Category
from doorstep.cases.sweep import sweep
from doorstep.cases.workflow import S

from ..common import Log
from .cast import CO_BUILDING, DEFAULT_HANDLERS, DEPARTMENTS, LIAISONS, Cast, build_cast
from .clock import DAYS, SWEEP_EVERY, TZ, at_moment, office_hours
from .moves import Step, Story, StoryMoves
from .stories import Storyteller
from .texts import DEFAULT_RESOLUTIONS, RESOLUTIONS, TEXTS

__all__ = [
    "CO_BUILDING",
    "DAYS",
    "DEFAULT_HANDLERS",
    "DEFAULT_RESOLUTIONS",
    "DEPARTMENTS",
    "LIAISONS",
    "MIX",
    "RESOLUTIONS",
    "SEED",
    "SWEEP_EVERY",
    "TEXTS",
    "TZ",
    "Cast",
    "Step",
    "Story",
    "StoryMoves",
    "Storyteller",
    "at_moment",
    "build_cast",
    "load_demo_categories",
    "office_hours",
    "seed_cases",
]

SEED = 20250702

MIX = {
    "pool": 55,
    "grid": 55,
    "department": 30,
    "self_handle": 36,
    "patrol": 24,
    "whistle": 12,
    "hotline": 36,
    "wish": 30,
    "info": 10,
    "cancelled": 12,
}


def load_demo_categories(log: Log) -> None:
    catalogue = load_catalogue()
    community = load_community_categories()
    log(f"  诉求分类：政务目录{catalogue}；社区自定义{community}")


def seed_cases(street: Organisation, log: Log, mix: dict[str, int] | None = None) -> dict[str, int]:
    """Departments, co-building units, their liaisons, and the demo cases. Call in a transaction."""
    rng = random.Random(SEED)
    cast = build_cast(street, log)
    by_name = {
        c.full_name: c for c in Category.objects.filter(full_name__in=list(DEFAULT_HANDLERS))
    }
    for full_name, dept in DEFAULT_HANDLERS.items():
        cat = by_name.get(full_name)
        if cat is not None and cat.default_handler_id is None:
            cat.default_handler = cast.departments[dept]
            cat.save(update_fields=["default_handler"])
    grids = [g for g in Organisation.objects.filter(pk__in=list(cast.grid_workers)).order_by("id")]
    teller = Storyteller(cast, rng, timezone.now())
    done = teller.play(mix or MIX, grids, log)
    final = sweep()
    _history_read(street)
    done["cases"] = Case.objects.filter(territory_path__startswith=street.path).count()
    open_ = Case.objects.filter(
        territory_path__startswith=street.path, status__in=list(_open())
    ).count()
    log(
        f"  演示工单 {done['cases']} 件（在办 {open_} 件），操作 {done['moves']} 步，"
        f"时限巡检 {done['sweeps']} 次；最后一次巡检：{final}"
    )
    return done


def _history_read(street: Organisation) -> None:
    """After commit, mark the personas' notifications about finished cases as read.

    Sixty days of history would otherwise greet each demo login with hundreds of unread
    messages; what is still open stays unread. (With eager Celery the notifications are
    written by earlier on-commit callbacks; with a broker they may come later, unread.)
    """
    from django.db import transaction

    from doorstep.inbox.models import Notification

    done = [
        f"/cases/{number}/"
        for number in Case.objects.filter(territory_path__startswith=street.path)
        .exclude(status__in=list(_open()))
        .values_list("number", flat=True)
    ]

    def mark() -> None:
        for i in range(0, len(done), 500):
            Notification.objects.filter(url__in=done[i : i + 500], read_at__isnull=True).update(
                read_at=timezone.now()
            )

    transaction.on_commit(mark)


def _open() -> frozenset[str]:
    from doorstep.cases.workflow import OPEN

    return OPEN | {S.DRAFT, S.PENDING_RATING}

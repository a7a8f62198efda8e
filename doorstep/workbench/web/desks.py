"""Which cards each role's workbench holds (工作台), in the order they are shown.

Every role of `accounts.roles.DEFAULT_ROLES` has an entry (a test keeps it so): a new
role joins here with its cards the day it joins the roles. A user holding several roles
sees one section per role, each card once.
"""

from __future__ import annotations

from typing import Any

from doorstep.core.access import held

from . import cards as c
from . import cards_cases as cs
from . import cards_cogov as cg
from . import cards_deliberation as dl

# A grid worker's cards; the grid leader (网格长) works the grid the same way.
GRID_CARDS: tuple[c.Builder, ...] = (
    c.report_patrol,
    cs.grid_open,
    cs.my_todo,
    dl.doors_to_knock,
    c.households_due,
    cs.overdue,
)

DESKS: dict[str, tuple[str, tuple[c.Builder, ...]]] = {
    "resident": (
        "居民",
        (
            c.file_request,
            c.file_wish,
            c.my_requests,
            c.activities_near,
            c.my_central_household,
            cg.proposals_near,
            dl.ballots_to_vote,
            dl.topics_near,
            dl.surveys_to_fill,
        ),
    ),
    "grid_worker": (
        "网格员",
        GRID_CARDS,
    ),
    "grid_leader": (
        "网格长",
        GRID_CARDS,
    ),
    "party_member": (
        "党员",
        (
            c.pool,
            cs.my_todo,
            dl.doors_to_knock,
            c.links_due,
            c.my_service,
            c.dual_report_mine,
            c.activities_near,
        ),
    ),
    "volunteer": ("志愿者", (c.pool, cs.my_todo, c.my_service, c.activities_near)),
    "community_staff": (
        "社区工作人员",
        (
            cs.to_receive,
            cs.to_dispatch,
            cs.to_verify,
            cs.overdue,
            c.hotline_waiting,
            c.bookings,
            c.hours,
            c.dual_reports,
            cg.needs_open,
            cg.matches_to_complete,
            cg.agreements_ending,
            dl.topics_to_answer,
            dl.surveys_running,
            c.conflicts,
            c.headline,
            c.circle,
        ),
    ),
    "street_officer": (
        "街道干部",
        (
            cs.escalations,
            cs.whistles_waiting,
            cs.to_verify,
            c.hotline_waiting,
            cs.overdue_by_community,
            cg.needs_open,
            cg.agreements_ending,
            c.conflicts,
            c.headline,
            c.circle,
        ),
    ),
    "department_liaison": (
        "部门联络员",
        (cs.summonses, cg.matches_to_confirm, cg.my_units, c.bookings, c.activities_near),
    ),
    "cadre": ("联系干部", (cg.links_due, dl.doors_to_knock, cg.cadre_record)),
    "system_admin": ("系统管理员", (c.admin_duties,)),
    "security_admin": ("安全管理员", (c.approvals, c.admin_duties)),
    "audit_admin": ("审计管理员", (c.approvals, c.audit_log)),
}


def role_codes(user: Any) -> list[str]:
    """The codes of the roles the user holds now, in the order of `DESKS` (read with the
    rest of what the user holds, once per user object: `core.access.held`)."""
    codes = held(user).role_codes
    return [code for code in DESKS if code in codes] + sorted(codes - set(DESKS))


def sections(user: Any) -> list[tuple[str, list[c.Card]]]:
    """(role name, cards) per role the user holds; each card once, in the first role."""
    seen: set[str] = set()
    out = []
    for code in role_codes(user):
        name, builders = DESKS.get(code, (code, ()))
        shown = []
        for build in builders:
            made = build(user)
            for card in made if isinstance(made, list) else [made]:
                if card is not None and card.key not in seen:
                    seen.add(card.key)
                    shown.append(card)
        if shown:
            out.append((name, shown))
    return out

"""The top navigation: only what the user can use (each entry's test mirrors the page's).

A test opens every entry shown to every persona and expects the page, never a refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse

ADMIN_ROLES = frozenset({"system_admin", "security_admin", "audit_admin"})


def _serves(user: Any) -> bool:
    """Not only an administrator: someone who lives, serves or works in the tree."""
    from .desks import role_codes

    return bool(set(role_codes(user)) - ADMIN_ROLES)


def _any(*perms: str) -> Callable[[Any], bool]:
    return lambda user: any(user.has_perm(p) for p in perms)


def _files_cases(user: Any) -> bool:
    return user.has_perm("cases.add_case") and not user.has_perm("cases.receive_case")


def _cockpit(user: Any) -> bool:
    from doorstep.cockpit import access

    return access.may_open(user)


def _case_list(user: Any) -> bool:
    from doorstep.cases.web.views_common import is_case_staff

    return is_case_staff(user) or user.has_perm("cases.receive_case")


ENTRIES: list[tuple[str, str, Callable[[Any], bool]]] = [
    ("工作台", "home", lambda user: True),
    ("工单", "desk:list", _case_list),
    ("接单池", "desk:pool", _any("cases.claim_case", "cases.dispatch_case")),
    ("我要点单", "desk:new", _files_cases),
    ("我的诉求", "desk:mine", _files_cases),
    ("驾驶舱", "cockpit:home", _cockpit),
    ("我的服务", "serve:me", _serves),
    ("活动", "nearby:activities", _serves),
    ("阵地", "nearby:sites", _serves),
    ("供需对接", "cogov:needs", _any("cogov.view_need", "cogov.view_resource")),
    ("议题", "deliberation:topics", _any("deliberation.view_topic")),
    ("业主表决", "deliberation:ballots", _any("deliberation.add_ballotvote")),
    ("敲门行动", "deliberation:campaigns", _any("deliberation.add_campaign")),
    ("问卷", "deliberation:surveys", _any("deliberation.add_survey", "deliberation.add_response")),
    ("组织树", "atlas:tree", _any("organisations.view_organisation")),
    ("搜索", "atlas:search", _any("organisations.view_organisation")),
    ("党员", "atlas:party_members", _any("people.view_partymember")),
    ("台账", "atlas:ledger", _any("people.import_ledger", "people.export_ledger")),
    ("审计日志", "atlas:audit", _any("core.view_auditentry")),
    ("双人审批", "accounts:approvals", _any("accounts.view_approval")),
]


# Roles whose holders use the site as residents do: on a phone their navigation is a bar
# at the bottom of the screen, within reach of a thumb.
RESIDENT_ROLES = frozenset({"resident"})


def bottom_bar(user: Any) -> bool:
    """Whether the user's navigation is the residents' bottom bar on a phone."""
    from .desks import role_codes

    if not getattr(user, "is_authenticated", False):
        return False
    codes = set(role_codes(user))
    return bool(codes) and codes <= RESIDENT_ROLES


def entries(user: Any) -> list[tuple[str, str]]:
    """(label, address) of every entry the user can use, in order."""
    if not getattr(user, "is_authenticated", False):
        return []
    shown = [(label, reverse(name)) for label, name, may in ENTRIES if may(user)]
    if user.is_staff:
        shown.append(("后台", reverse("admin:index")))
    return shown

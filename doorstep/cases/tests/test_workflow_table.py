"""The lifecycle table itself (workflow.py): complete, closed under its moves, and backed by
real permissions that some default role holds."""

from __future__ import annotations

import re
from collections import deque

import pytest

from doorstep.accounts.roles import DEFAULT_ROLES
from doorstep.cases import workflow
from doorstep.cases.workflow import (
    FINAL,
    MOVES,
    MOVES_BY_CODE,
    STATUS_LABELS,
    SYSTEM_ONLY,
    Facts,
    R,
    S,
)

STATUSES = {v for k, v in vars(S).items() if k.isupper()}
RELATIONS = {v for k, v in vars(R).items() if k.isupper()}
HAN = re.compile(r"[\u4e00-\u9fff]")
# The issue's required lifecycle: 草稿, 已受理, 待补充, 已派单, 已签收, 办理中, 已挂起,
# 办结待核实, 已办结, 待评价, 已归档, 已撤销.
REQUIRED_LABELS = {
    "草稿",
    "已受理",
    "待补充",
    "已派单",
    "已签收",
    "办理中",
    "已挂起",
    "办结待核实",
    "已办结",
    "待评价",
    "已归档",
    "已撤销",
}


def test_every_status_has_a_chinese_label_and_the_issue_list_is_covered():
    assert set(STATUS_LABELS) == STATUSES
    for status, label in STATUS_LABELS.items():
        assert HAN.search(label), f"{status} label {label!r} is not Chinese"
    assert set(STATUS_LABELS.values()) >= REQUIRED_LABELS
    assert [s for s, _ in workflow.STATUS_CHOICES] == list(STATUS_LABELS)


def test_move_codes_are_unique_and_labels_chinese():
    assert len(MOVES_BY_CODE) == len(MOVES)
    for m in MOVES:
        assert HAN.search(m.label), f"move {m.code} label {m.label!r} is not Chinese"
        if m.help:
            assert HAN.search(m.help)
        assert m.style in ("", "primary", "danger")


def test_sources_targets_and_relations_are_known():
    for m in MOVES:
        assert m.sources, f"{m.code} has no source status"
        assert m.sources <= STATUSES, f"{m.code}: unknown sources {m.sources - STATUSES}"
        assert m.target is None or m.target in STATUSES, f"{m.code}: unknown target"
        assert m.relations, f"{m.code} names no relation"
        assert m.relations <= RELATIONS, f"{m.code}: unknown relations"
        for g in m.guards:
            assert g.lstrip("!"), f"{m.code}: empty guard"


def test_final_statuses_have_no_move_out_at_all():
    assert {S.ARCHIVED, S.CANCELLED} == FINAL
    for status in FINAL:
        assert workflow.moves_from(status) == [], status
        assert workflow.is_final(status)


@pytest.mark.parametrize("status", sorted(STATUSES - FINAL))
def test_every_other_status_has_a_way_out(status):
    ways = [m for m in workflow.moves_from(status) if m.to(status) != status]
    assert ways, f"{status} has no move that leaves it"
    assert not workflow.is_final(status)


def test_every_status_is_reachable_from_draft_or_submitted():
    seen = {S.DRAFT, S.SUBMITTED}
    todo = deque(seen)
    while todo:
        status = todo.popleft()
        for m in workflow.moves_from(status):
            nxt = m.to(status)
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == STATUSES, f"unreachable: {STATUSES - seen}"


def test_every_non_final_status_can_reach_a_final_one():
    """No trap: from anywhere there is a path to 已归档 or 已撤销."""
    back: dict[str, set[str]] = {s: set() for s in STATUSES}
    for m in MOVES:
        for src in m.sources:
            back[m.to(src)].add(src)
    seen = set(FINAL)
    todo = deque(seen)
    while todo:
        for prev in back[todo.popleft()]:
            if prev not in seen:
                seen.add(prev)
                todo.append(prev)
    assert seen == STATUSES, f"cannot finish from: {STATUSES - seen}"


def test_system_only_moves_are_not_offered_as_buttons():
    everything = Facts(
        S.PENDING_RATING,
        permissions=frozenset(m.permission for m in MOVES if m.permission),
        relations=frozenset(RELATIONS),
        flags=frozenset({"has_rater"}),
    )
    offered = {m.code for m in workflow.available(everything)}
    assert "expire_rating" in SYSTEM_ONLY
    assert not offered & SYSTEM_ONLY
    assert {"rate", "reopen"} <= offered


def test_why_not_checks_status_then_guards_then_permission_then_relation():
    claim = MOVES_BY_CODE["claim"]
    ok = Facts(S.POOL, frozenset({"cases.claim_case"}), frozenset({R.POOL}))
    assert workflow.why_not(claim, ok) is None
    assert "当前状态" in workflow.why_not(claim, Facts(S.SIGNED, ok.permissions, ok.relations))
    assert "权限" in workflow.why_not(claim, Facts(S.POOL, frozenset(), ok.relations))
    assert "您不是" in workflow.why_not(claim, Facts(S.POOL, ok.permissions, frozenset()))
    verify = MOVES_BY_CODE["verify"]
    staff = Facts(S.RESOLVED, frozenset({"cases.dispatch_case"}), frozenset({R.OWNER}))
    assert workflow.why_not(verify, staff) == "当前不能审核通过"
    # The system acts without permissions only on moves that name it.
    system = Facts(S.PENDING_RATING, relations=frozenset({R.SYSTEM}))
    assert workflow.allowed(MOVES_BY_CODE["expire_rating"], system)
    assert not workflow.allowed(MOVES_BY_CODE["rate"], system)


def _role_perms() -> dict[str, set[str]]:
    return {spec["code"]: set(spec["perms"]) for spec in DEFAULT_ROLES}


@pytest.mark.django_db
def test_every_permission_named_exists_and_some_default_role_holds_it():
    from django.contrib.auth.models import Permission

    from doorstep.accounts.models import Role

    named = {m.permission for m in MOVES if m.permission}
    real = {
        f"{app}.{code}"
        for app, code in Permission.objects.filter(content_type__app_label="cases").values_list(
            "content_type__app_label", "codename"
        )
    }
    assert named <= real, f"unknown permissions: {named - real}"
    held = set().union(*_role_perms().values())
    assert named <= held, f"no default role holds: {named - held}"
    # And the roles in the database (post_migrate) carry them too.
    in_db = {
        f"{app}.{code}"
        for app, code in Role.objects.values_list(
            "permissions__content_type__app_label", "permissions__codename"
        )
        if app
    }
    assert named <= in_db


def test_every_relation_but_system_is_reachable_by_some_move_with_a_permission():
    """A move that names only SYSTEM needs no permission; every other move names one."""
    for m in MOVES:
        if m.relations == {R.SYSTEM}:
            assert m.permission is None, m.code
        else:
            assert m.permission, f"{m.code} has no permission"


def test_what_each_move_requires_is_in_the_table():
    from doorstep.cases.workflow import MOVES, MOVES_BY_CODE

    resolve, self_handle = MOVES_BY_CODE["resolve"], MOVES_BY_CODE["self_handle"]
    assert resolve.needs_note and resolve.photos == "optional"
    assert self_handle.needs_note and self_handle.photos == "required"
    assert all(m.photos in ("", "optional", "required") for m in MOVES)
    assert {m.code for m in MOVES if m.fields} >= {"dispatch", "whistle", "merge", "evaluate"}


@pytest.mark.django_db
def test_the_handlers_ask_for_nothing_the_table_does_not_say(cw):
    """A required note or photo is refused by perform from the table, nothing written."""
    from doorstep.cases import services
    from doorstep.cases.errors import CaseError
    from doorstep.cases.locating import locate
    from doorstep.cases.models import CaseEvent

    p = cw.personas
    draft = services.create_case(
        actor=p["grid_worker_a"], category=cw.repair, description="井盖松动",
        location=locate(building=cw.world.building_a), kind="patrol", source="patrol",
        draft=True,
    )  # fmt: skip
    before = CaseEvent.objects.count()
    with pytest.raises(CaseError) as no_note:
        services.perform(draft, "self_handle", actor=p["grid_worker_a"])
    assert no_note.value.field == "note"
    with pytest.raises(CaseError) as no_photo:
        services.perform(draft, "self_handle", actor=p["grid_worker_a"], note="已处置")
    assert no_photo.value.field == "photos"
    assert CaseEvent.objects.count() == before

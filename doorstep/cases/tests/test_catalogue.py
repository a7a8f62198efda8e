"""The category catalogue: 15 › 118 › 517 from the shared file, stable codes, idempotent."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from doorstep.cases.catalogue import (
    catalogue_nodes,
    load_catalogue,
    load_categories,
    load_community_categories,
    read_catalogue,
)
from doorstep.cases.models import CaseKind, Category, CategorySource, LimitUnit, Urgency

pytestmark = pytest.mark.django_db


def snapshot() -> list[tuple]:
    return list(
        Category.objects.order_by("code").values_list(
            "id", "code", "name", "parent_id", "level", "full_name", "source", "urgency",
            "resolve_limit", "resolve_unit", "sign_limit", "sign_unit", "escalate_when_overdue",
            "kind", "active",
        )
    )  # fmt: skip


def test_catalogue_has_exactly_15_118_517_nodes_with_three_levels():
    result = load_catalogue()
    assert result.created == 650 and result.by_level == {1: 15, 2: 118, 3: 517}
    cat = Category.objects.filter(source=CategorySource.CATALOGUE)
    assert [cat.filter(level=n).count() for n in (1, 2, 3)] == [15, 118, 517]
    assert not cat.filter(level=1, parent__isnull=False).exists()
    assert not cat.filter(level=3, children__isnull=False).exists()
    assert cat.filter(level=2, parent__level=1).count() == 118
    assert cat.filter(level=3, parent__level=2).count() == 517


def test_codes_follow_sorted_order_and_full_names_read_as_paths():
    load_catalogue()
    leaf = Category.objects.get(full_name="城乡建设 › 住房保障与房地产 › 物业服务")
    assert leaf.level == 3 and leaf.source == CategorySource.CATALOGUE
    assert leaf.parent.name == "住房保障与房地产" and leaf.parent.parent.name == "城乡建设"
    assert leaf.code.startswith(leaf.parent.code) and leaf.parent.code.startswith(
        leaf.parent.parent.code
    )
    assert len(leaf.code) == 7 and leaf.code[0] == "G"
    firsts = list(Category.objects.filter(level=1, source="catalogue").order_by("code"))
    assert [c.name for c in firsts] == sorted(c.name for c in firsts)
    assert firsts[0].code == "G01" and firsts[-1].code == "G15"
    # The same names appear under different parents (其他, 安全生产 …) without clashing.
    assert Category.objects.filter(name="其他", level=3).count() > 10
    assert Category.objects.filter(name="安全生产", level=2).count() == 2


def test_codes_are_stable_across_runs_and_databases():
    first = [(n.code, n.full_name) for n in catalogue_nodes(read_catalogue())]
    again = [(n.code, n.full_name) for n in catalogue_nodes(reversed(read_catalogue()))]
    assert first == again
    assert ("G0801", "城乡建设 › 住房保障与房地产") in first
    assert ("G080114", "城乡建设 › 住房保障与房地产 › 物业服务") in first


def test_loading_twice_changes_nothing():
    load_categories()
    before = snapshot()
    catalogue, community = load_categories()
    assert catalogue.created == catalogue.updated == 0 and catalogue.unchanged == 650
    assert community.created == community.updated == 0
    assert snapshot() == before


def test_a_reload_keeps_what_administrators_changed_and_repairs_names():
    load_catalogue()
    leaf = Category.objects.get(full_name="城乡建设 › 住房保障与房地产 › 物业服务")
    Category.objects.filter(pk=leaf.pk).update(
        urgency=Urgency.URGENT, active=False, resolve_limit=2, full_name="broken"
    )
    result = load_catalogue()
    assert result.updated == 1 and result.created == 0
    leaf.refresh_from_db()
    assert leaf.full_name == "城乡建设 › 住房保障与房地产 › 物业服务"
    assert leaf.urgency == Urgency.URGENT and not leaf.active and leaf.resolve_limit == 2


def test_defaults_follow_common_practice():
    load_categories()
    hazard = Category.objects.get(full_name="城乡建设 › 安全生产 › 安全隐患")
    assert (hazard.urgency, hazard.resolve_limit, hazard.resolve_unit) == (
        Urgency.URGENT, 24, LimitUnit.HOURS,
    )  # fmt: skip
    assert hazard.escalate_when_overdue
    accident = Category.objects.get(full_name="城乡建设 › 安全生产 › 事故处理")
    assert accident.urgency == Urgency.URGENT and accident.escalate_when_overdue
    service = Category.objects.get(full_name="城乡建设 › 住房保障与房地产 › 物业服务")
    assert (service.urgency, service.resolve_limit, service.resolve_unit) == (
        Urgency.PRESSING, 3, LimitUnit.WORKDAYS,
    )  # fmt: skip
    other = Category.objects.get(full_name="交通运输 › 其他 › 其他")
    assert (other.urgency, other.resolve_limit, other.resolve_unit) == (
        Urgency.ORDINARY, 7, LimitUnit.WORKDAYS,
    )  # fmt: skip
    assert (other.sign_limit, other.sign_unit) == (1, LimitUnit.WORKDAYS)


def test_community_categories_sit_beside_the_catalogue():
    result = load_community_categories()
    assert result.created > 0
    own = Category.objects.filter(source=CategorySource.COMMUNITY)
    groups = set(own.filter(level=1).values_list("name", flat=True))
    assert {"物业报修", "矛盾调解", "施工管理", "微心愿", "环境卫生", "为老服务"} <= groups
    assert own.filter(name="邻里纠纷", parent__name="矛盾调解").exists()
    wishes = own.filter(parent__name="微心愿")
    assert wishes.exists() and set(wishes.values_list("kind", flat=True)) == {CaseKind.MICRO_WISH}
    assert all(c.code.startswith("S") for c in own)
    blocked = own.get(name="消防通道堵塞")
    assert blocked.urgency == Urgency.URGENT and blocked.escalate_when_overdue
    # An administrator's change survives a reload.
    own.filter(name="邻里纠纷").update(urgency=Urgency.PRESSING)
    assert load_community_categories().created == 0
    assert own.get(name="邻里纠纷").urgency == Urgency.PRESSING


def test_command_loads_and_reports(tmp_path):
    out = io.StringIO()
    call_command("load_categories", stdout=out)
    assert "15 › 118 › 517" in out.getvalue() and "新增 650" in out.getvalue()
    out = io.StringIO()
    call_command("load_categories", stdout=out)
    assert "新增 0 个，更新 0 个，未变 650 个" in out.getvalue()


def test_command_refuses_a_missing_or_malformed_file(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="找不到"):
        call_command("load_categories", file=str(tmp_path / "none.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="缺少列"):
        call_command("load_categories", file=str(bad))
    assert not Category.objects.exists()

"""Per-organisation scorecards: a street copies the default for its area (为本街道定制考核方案)
and edits its copy (weights, targets, directions, indicators added and removed); the cards in
force at a node come from its nearest ancestor-or-self that has some, else the defaults.
Only officers whose scope holds the card's owner may change it; a refused or malformed
change writes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from doorstep.accounts.models import Membership, Role, ScopeKind
from doorstep.atlas.organisations.models import Kind
from doorstep.atlas.organisations.services import create_organisation
from doorstep.cockpit.models import Indicator, Scorecard
from doorstep.cockpit.scorecards import ScorecardError, cards_for, customise_scorecard
from doorstep.core.models import AuditEntry
from doorstep.core.testing import make_user

pytestmark = pytest.mark.django_db


def _default(level: str) -> Scorecard:
    return Scorecard.objects.get(organisation__isnull=True, level=level)


def _rows(card: Scorecard) -> list[tuple]:
    return list(
        card.indicators.order_by("order", "pk").values_list("code", "weight", "target", "direction")
    )


def _audits() -> int:
    return AuditEntry.objects.filter(target_type="cockpit.scorecard").count()


def _url(org, card=None) -> str:
    url = reverse("cockpit:assessment", args=[org.pk])
    return f"{url}?card={card.pk}" if card is not None else url


def _form(card: Scorecard, **overrides: str) -> dict[str, str]:
    """The edit form as the page fills it in, with some fields overridden."""
    data = {"action": "edit"}
    for i in card.indicators.all():
        data[f"weight_{i.pk}"] = str(i.weight)
        data[f"target_{i.pk}"] = str(i.target)
        data[f"direction_{i.pk}"] = i.direction
    data.update(overrides)
    return data


@pytest.fixture
def own_card(world, login):
    """The street's copy of the default grid card, made through the page."""
    client = login("street_officer", world)
    response = client.post(_url(world.street, _default("grid")), {"action": "customise"})
    assert response.status_code == 302
    return Scorecard.objects.get(organisation=world.street, level="grid")


def test_nodes_use_the_defaults_until_their_street_has_its_own(world):
    w = world
    grid, community = _default("grid"), _default("community")
    assert cards_for(w.street) == [community, grid]
    assert cards_for(w.community_1) == [grid]
    assert cards_for(w.grid_a) == []


def test_street_officer_copies_the_default_for_the_street(world, login):
    w = world
    default = _default("grid")
    before = _rows(default)
    client = login("street_officer", w)
    page = client.get(_url(w.street, default)).content.decode()
    assert "为本街道定制考核方案" in page and "indicator-form" not in page

    response = client.post(_url(w.street, default), {"action": "customise"})
    own = Scorecard.objects.get(organisation=w.street, level="grid")
    assert response.status_code == 302 and f"card={own.pk}" in response["Location"]
    assert own.name == "学院路街道网格考核（双挂钩）"
    assert _rows(own) == before and _rows(default) == before
    entry = AuditEntry.objects.get(action="create", target_type="cockpit.scorecard")
    assert entry.target_id == str(own.pk) and entry.detail["copied_from"] == default.pk
    # Now the street's card is in force for the grids below it, the default for communities.
    assert cards_for(w.street) == [_default("community"), own]
    assert cards_for(w.community_1) == [own]
    page = client.get(_url(w.community_1)).content.decode()
    assert "学院路街道网格考核（双挂钩）" in page and "indicator-form" in page
    assert "本方案由学院路街道制定" in page and "为本街道定制考核方案" not in page


def test_a_second_copy_for_the_same_street_is_refused(world, own_card):
    w = world
    with pytest.raises(ScorecardError, match="本街道已有启用的网格考核方案"):
        customise_scorecard(card=_default("grid"), org=w.street, actor=w.personas["street_officer"])
    assert Scorecard.objects.filter(organisation=w.street).count() == 1


def test_a_district_card_applies_to_its_streets_until_a_street_has_its_own(world, login):
    district = create_organisation(name="海淀区", kind=Kind.DISTRICT, parent=None, code="T-HD")
    street = create_organisation(name="中关村街道", kind=Kind.STREET, parent=district)
    community = create_organisation(name="科源社区", kind=Kind.COMMUNITY, parent=street)
    create_organisation(name="科源第一网格", kind=Kind.GRID, parent=community)
    district_card = Scorecard.objects.create(
        name="海淀区网格考核", level="grid", organisation=district
    )
    Indicator.objects.create(scorecard=district_card, code="closing_rate", weight=50, target=90)
    assert cards_for(community) == [district_card]
    assert cards_for(street)[-1] == district_card
    assert cards_for(world.community_1) == [_default("grid")]  # another district's street

    officer = make_user("zgc", "中关村街道干部", ("street_officer", street))
    copy = customise_scorecard(card=district_card, org=community, actor=officer)
    assert (copy.organisation, copy.name) == (street, "中关村街道网格考核")
    assert cards_for(community) == [copy]
    # The street officer may not change the district's card, only the street's copy.
    client = login("street_officer", world)
    client.force_login(officer)
    closing = district_card.indicators.get()
    denied = client.post(_url(district, district_card), _form(district_card))
    assert denied.status_code == 404  # the district is not in the officer's scope at all
    assert closing.weight == district_card.indicators.get().weight


def test_street_officer_edits_directions_removes_and_adds_indicators(world, login, own_card):
    w = world
    client = login("street_officer", w)
    overdue = own_card.indicators.get(code="overdue")
    hours = own_card.indicators.get(code="volunteer_hours")
    branch = own_card.indicators.get(code="grid_branch")
    count = own_card.indicators.count()
    own_card.indicators.filter(code="activities").delete()
    response = client.post(
        _url(w.community_1, own_card),
        _form(
            own_card,
            **{
                f"weight_{overdue.pk}": "8",
                f"direction_{hours.pk}": "lower",
                f"target_{hours.pk}": "30",
                f"remove_{branch.pk}": "1",
                "new_code": "activities",
                "weight_new": "12",
                "target_new": "4",
            },
        ),
    )
    assert response.status_code == 302
    rows = {
        code: (weight, target, direction) for code, weight, target, direction in _rows(own_card)
    }
    assert own_card.indicators.count() == count - 1  # one removed, one added back in
    assert "grid_branch" not in rows
    assert rows["overdue"] == (Decimal(8), Decimal(1), "lower")
    assert rows["volunteer_hours"] == (Decimal(10), Decimal(30), "lower")
    assert rows["activities"] == (Decimal(12), Decimal(4), "higher")  # the indicator's default
    assert _rows(own_card)[-1][0] == "activities"  # added at the end
    entry = AuditEntry.objects.filter(action="update", target_type="cockpit.scorecard").get()
    assert entry.detail == {
        "changed": {
            "overdue": {"weight": ["5.00", "8.00"]},
            "volunteer_hours": {"target": ["20.0000", "30.0000"], "direction": ["higher", "lower"]},
        },
        "removed": ["grid_branch"],
        "added": {"activities": {"weight": "12.00", "target": "4.0000", "direction": "higher"}},
    }
    assert _rows(_default("grid"))[0][0] == "grid_branch"  # the default is untouched


def test_community_officer_cannot_change_the_streets_card(world, login, own_card):
    w = world
    before, audits = _rows(own_card), _audits()
    closing = own_card.indicators.get(code="closing_rate")
    edit = _form(own_card, **{f"weight_{closing.pk}": "99", "new_code": "activities",
                              "weight_new": "5", "target_new": "1"})  # fmt: skip
    client = login("community_officer", w)
    assert "indicator-form" not in client.get(_url(w.community_1, own_card)).content.decode()
    assert client.post(_url(w.community_1, own_card), edit).status_code == 403
    assert client.post(_url(w.community_1, own_card), {"action": "customise"}).status_code == 403

    # Even holding the permission, a community's officer does not reach the street's card.
    assessor = Role.objects.create(code="community_assessor", name="社区考核员",
                                   scope=ScopeKind.SUBTREE)  # fmt: skip
    from django.contrib.auth.models import Permission

    assessor.permissions.add(
        Permission.objects.get(codename="change_indicator"),
        Permission.objects.get(codename="view_organisation"),
    )
    user = make_user("assessor", "社区考核员")
    Membership.objects.create(user=user, organisation=w.community_1, role=assessor)
    assert user.has_perm("cockpit.change_indicator")
    client.force_login(user)
    assert client.post(_url(w.community_1, own_card), edit).status_code == 403
    assert client.post(_url(w.community_1, own_card), {"action": "customise"}).status_code == 403

    assert _rows(own_card) == before and _audits() == audits
    assert Scorecard.objects.count() == 3


def test_street_officer_cannot_change_the_platform_default(world, login):
    w = world
    default = _default("grid")
    before, audits = _rows(default), _audits()
    closing = default.indicators.get(code="closing_rate")
    response = login("street_officer", w).post(
        _url(w.street, default), _form(default, **{f"weight_{closing.pk}": "1"})
    )
    assert response.status_code == 403
    assert _rows(default) == before and _audits() == audits


def test_another_streets_officer_cannot_reach_this_streets_card(world, login, own_card):
    w = world
    other = create_organisation(name="花园路街道", kind=Kind.STREET, parent=None, code="T-HY")
    create_organisation(name="花园路社区", kind=Kind.COMMUNITY, parent=other)
    officer = make_user("huayuan", "花园路街道干部", ("street_officer", other))
    before = _rows(own_card)
    client = login("street_officer", w)
    client.force_login(officer)
    closing = own_card.indicators.get(code="closing_rate")
    edit = _form(own_card, **{f"weight_{closing.pk}": "1"})
    assert client.post(_url(w.street, own_card), edit).status_code == 404
    response = client.post(_url(other, own_card), edit)
    assert response.status_code == 400  # not a card in force there
    assert "不适用于本级" in response.content.decode()
    assert _rows(own_card) == before


@pytest.mark.parametrize(
    "change,message",
    [
        ({"remove": "all"}, "至少保留一项指标"),
        ({"new_code": "nonsense", "weight_new": "5", "target_new": "1"}, "没有这项指标"),
        ({"new_code": "closing_rate", "weight_new": "5", "target_new": "1"}, "已在方案中"),
        ({"new_code": "activities", "weight_new": "", "target_new": "1"}, "权重应为数字"),
        ({"new_code": "activities", "weight_new": "5", "target_new": "-1"}, "目标值应不小于"),
        ({"direction": "sideways"}, "方向应为"),
        ({"weight": "0"}, "权重应大于"),
    ],
)
def test_bad_edits_are_refused_with_a_message_and_write_nothing(
    world, login, own_card, change, message
):
    w = world
    own_card.indicators.filter(code="activities").delete()
    before, audits = _rows(own_card), _audits()
    overdue = own_card.indicators.get(code="overdue")
    closing = own_card.indicators.get(code="closing_rate")
    data = _form(own_card, **{f"weight_{overdue.pk}": "9"})  # a good change alongside
    if change.get("remove") == "all":
        data.update({f"remove_{i.pk}": "1" for i in own_card.indicators.all()})
    elif "direction" in change:
        data[f"direction_{closing.pk}"] = change["direction"]
    elif "weight" in change:
        data[f"weight_{closing.pk}"] = change["weight"]
    else:
        data.update(change)
    response = login("street_officer", w).post(_url(w.street, own_card), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in body and message in body
    assert _rows(own_card) == before and _audits() == audits


def test_unknown_action_is_a_400(world, login, own_card):
    response = login("street_officer", world).post(_url(world.street, own_card), {"action": "drop"})
    assert response.status_code == 400 and "未知操作" in response.content.decode()

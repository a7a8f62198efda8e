"""The lists behind the cockpit's figures (钻取): each list's total equals the tile it was
opened from, for the persona world and for random data; a list holds only what the viewer
may see; personal numbers are masked on the page and in the workbook; a list filtered by a
vulnerable group is audited without names; bad filters answer 400."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import re
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from doorstep.atlas.organisations.models import Kind
from doorstep.atlas.organisations.services import create_organisation
from doorstep.atlas.people import households as households_
from doorstep.atlas.people.models import (
    VULNERABLE_TAGS,
    CentralHousehold,
    PartyMember,
    PartyStatus,
    ResidenceType,
    Resident,
)
from doorstep.atlas.people.services import create_resident
from doorstep.atlas.places.models import Household, Tenure, Unit
from doorstep.cockpit.panels import AGE_BANDS, Period, housing, party, population
from doorstep.core.masking import mask_id_card, mask_phone
from doorstep.core.models import AuditEntry
from doorstep.core.testing import PLANTED_ID_CARD, PLANTED_PHONE

pytestmark = pytest.mark.django_db

TAGS = [code for code, _ in VULNERABLE_TAGS]
TILE = re.compile(
    r'<a class="tile" data-figure="([^"]+)" href="(/cockpit/\d+/list/[^"]+)"><b>(\d+)</b>'
)
BAND = re.compile(
    r'<tr data-figure="(band-[^"]+)"[^>]*><td>[^<]*</td><td><a href="([^"]+)">(\d+)</a>'
)
TOTAL = re.compile(r'data-total="(\d+)"')
ROW_LINK = re.compile(r'<tr><td><a href="/(residents|households|buildings|org)/(\d+)/">')


def _total(client: Any, url: str) -> int:
    r = client.get(url.replace("&amp;", "&"))
    assert r.status_code == 200, (url, r.status_code)
    m = TOTAL.search(r.content.decode())
    assert m, url
    return int(m.group(1))


def _all_rows(client: Any, url: str) -> list[tuple[str, int]]:
    """Every row link of a list, page after page."""
    url = url.replace("&amp;", "&")
    rows: list[tuple[str, int]] = []
    page = 1
    while True:
        sep = "&" if "?" in url else "?"
        r = client.get(f"{url}{sep}page={page}")
        html = r.content.decode()
        rows += [(kind, int(pk)) for kind, pk in ROW_LINK.findall(html)]
        if f"page={page + 1}" not in html:
            return rows
        page += 1


def _figures(org: Any) -> dict[tuple[str, str], int]:
    """(list, query) → the panel's figure for it, for every filter a tile can carry."""
    today = timezone.localdate()
    pop, hou = population(org, today), housing(org)
    par = party(org, Period(today, today))
    out = {
        ("residents", ""): pop["residents"],
        ("residents", "sex=M"): pop["male"],
        ("residents", "sex=F"): pop["female"],
        ("residents", "band=unknown"): pop["unknown_age"],
        ("households", ""): hou["households"],
        ("households", "tenure=rented"): hou["rented"],
        ("households", "tenure=vacant"): hou["vacant"],
        ("households", "tenure=owner"): hou["owner"],
        ("buildings", ""): hou["buildings"],
        ("party_members", ""): par["party_members"],
        ("party_members", "reported=1"): par["in_service_reported"],
        ("central_households", ""): par["central_households"],
    }
    for code in ResidenceType.values:
        out[("residents", f"type={code}")] = pop["by_type"].get(code, 0)
    for i, n in enumerate(pop["age_bands"].values()):
        out[("residents", f"band={i}")] = n
    for code, label in VULNERABLE_TAGS:
        out[("residents", f"tag={code}")] = pop["vulnerable"][label]
    return out


def _url(org: Any, what: str, query: str = "") -> str:
    return f"/cockpit/{org.pk}/list/{what}/" + (f"?{query}" if query else "")


# --- the world ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "node"),
    [
        ("street_officer", "street"),
        ("street_officer", "community_2"),
        ("community_officer", "community_1"),
        ("grid_worker_a", "grid_a"),
    ],
)
def test_each_list_total_equals_the_panel_figure_in_the_world(world, client, persona, node):
    org = getattr(world, node)
    client.force_login(world.personas[persona])
    for (what, query), figure in _figures(org).items():
        assert _total(client, _url(org, what, query)) == figure, (what, query)


def test_every_linked_tile_on_the_cockpit_opens_a_list_of_its_number(world, client):
    client.force_login(world.personas["street_officer"])
    page = client.get(f"/cockpit/{world.street.pk}/").content.decode()
    links = TILE.findall(page) + BAND.findall(page)
    figures = {figure for figure, _, _ in links}
    assert {"residents", "type-registered", "male", "female", "tag-elderly_alone"} <= figures
    assert {"band-0", "band-4", "band-unknown", "buildings", "households", "rented"} <= figures
    assert {"vacant", "party_members", "central_households", "in_service_reported"} <= figures
    for figure, url, number in links:
        assert url.startswith(f"/cockpit/{world.street.pk}/list/"), figure
        assert _total(client, url) == int(number), figure
    # the vulnerable groups: one 独居老人 (a link), the other groups muted at 0
    assert 'data-figure="tag-elderly_alone" href=' in page
    assert '<div class="tile empty" data-figure="tag-disabled"><b>0</b><span>残疾人</span>' in page
    screen = client.get(f"/cockpit/{world.street.pk}/?screen=1")
    assert screen.status_code == 200
    assert f'href="/cockpit/{world.street.pk}/list/residents/?tag=elderly_alone"' in (
        screen.content.decode()
    )


def test_the_heading_states_the_node_the_filter_and_the_count(world, client):
    client.force_login(world.personas["community_officer"])
    html = client.get(_url(world.community_1, "residents", "tag=elderly_alone")).content.decode()
    assert "清华东路社区 · 独居老人 · 共 1 人" in html
    assert f'href="/residents/{world.planted.pk}/">王芳</a>' in html
    assert "<th>重点人群</th>" in html
    html = client.get(_url(world.community_1, "residents", "type=tenant&sex=M")).content.decode()
    assert "清华东路社区 · 租住人口 · 男性 · 共 1 人" in html and "張偉" in html
    html = client.get(_url(world.community_1, "households", "tenure=owner")).content.decode()
    assert "清华东路社区 · 自住户 · 共 3 户" in html
    html = client.get(_url(world.community_1, "residents")).content.decode()
    assert "清华东路社区 · 实有人口 · 共 3 人" in html
    assert "重点人群" not in html  # tags are shown only on a tag-filtered list
    html = client.get(_url(world.community_1, "central_households")).content.decode()
    assert "李建国党员中心户" in html and f'href="/households/{world.household_a2.pk}/"' in html


# --- random data ----------------------------------------------------------------------


def _random_street(world: Any, seed: int) -> None:
    """More households, residents (types, sexes, birth dates, tags) and party members,
    everything through the services that keep the counters."""
    rng = random.Random(seed)
    today = timezone.localdate()
    units = [Unit.objects.get(building=b) for b in (world.building_a, world.building_b)]
    units.append(Unit.objects.get(building=world.building_c))
    households = []
    for i in range(12):
        unit = rng.choice(units)
        households.append(
            households_.save_household(
                household=Household(unit=unit, room=f"{500 + i}", tenure=rng.choice(Tenure.values))
            )
        )
    residents = []
    for i in range(70):
        born = None
        if rng.random() < 0.9:
            born = today - dt.timedelta(days=rng.randrange(0, 95 * 365))
        residents.append(
            create_resident(
                household=rng.choice(households),
                name=f"居民{i:03d}",
                residence_type=rng.choice(ResidenceType.values),
                gender=rng.choice(["M", "F", ""]),
                birth_date=born,
                tags=rng.sample(TAGS, k=rng.choice([0, 0, 1, 2])),
                actor=None,
            )
        )
    communities = [world.community_1, world.community_2]
    for r in rng.sample(residents, 15):
        in_service = rng.random() < 0.6
        households_.save_party_member(
            member=PartyMember(
                resident=r,
                status=PartyStatus.FORMAL,
                organisation=None if in_service else world.branch_a,
                external_organisation="某单位党委" if in_service else "",
                in_service=in_service,
                reported_community=rng.choice(communities) if in_service else None,
            )
        )
    keeper = PartyMember.objects.exclude(pk=world.member.pk).first()
    assert keeper is not None
    org = create_organisation(
        name="随机党员中心户", kind=Kind.CENTRAL_HOUSEHOLD, parent=keeper.resident.grid
    )
    CentralHousehold.objects.create(
        organisation=org, household=keeper.resident.household, keeper=keeper
    )


def _age(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _matches(r: Resident, key: str, value: str, today: dt.date) -> bool:
    if key == "type":
        return r.residence_type == value
    if key == "sex":
        return r.gender == value
    if key == "tag":
        return value in (r.tags or [])
    if value == "unknown":
        return r.birth_date is None
    low, high, _ = AGE_BANDS[int(value)]
    return r.birth_date is not None and low <= _age(r.birth_date, today) < high


@pytest.mark.parametrize("seed", [1, 2])
def test_random_data_lists_hold_exactly_the_rows_behind_each_figure(world, client, seed):
    _random_street(world, seed)
    today = timezone.localdate()
    client.force_login(world.personas["street_officer"])
    for org in (world.street, world.community_1, world.grid_c):
        people = list(Resident.objects.filter(grid__path__startswith=org.path))
        for (what, query), figure in _figures(org).items():
            url = _url(org, what, query)
            assert _total(client, url) == figure, (org.name, what, query)
            if what != "residents":
                continue
            rows = _all_rows(client, url)
            assert len(rows) == figure  # every row on some page, none twice
            key, _, value = query.partition("=")
            expected = {r.pk for r in people if not key or _matches(r, key, value, today)}
            assert {pk for _, pk in rows} == expected, (org.name, query)


def test_a_long_list_is_paged_by_fifty(world, client):
    _random_street(world, 4)
    client.force_login(world.personas["street_officer"])
    url = _url(world.street, "residents")
    first = client.get(url).content.decode()
    assert len(ROW_LINK.findall(first)) == 50 and "第 1 / 2 页" in first
    second = client.get(url + "?page=2").content.decode()
    assert len(ROW_LINK.findall(second)) == Resident.objects.count() - 50


def test_members_reported_here_but_living_out_of_scope_are_counted_not_listed(world, client):
    # 赵磊 lives in 二里庄 (grid C) and reports to 清华东路社区 as an in-service member.
    households_.save_party_member(
        member=PartyMember(
            resident=world.resident_c,
            status=PartyStatus.FORMAL,
            external_organisation="某单位党委",
            in_service=True,
            reported_community=world.community_1,
        )
    )
    client.force_login(world.personas["community_officer"])
    html = client.get(_url(world.community_1, "party_members", "reported=1")).content.decode()
    assert "共 0 人" in html and "赵磊" not in html
    assert "另有 1 人居住在您的管辖范围以外" in html
    client.force_login(world.personas["street_officer"])
    html = client.get(_url(world.community_1, "party_members", "reported=1")).content.decode()
    assert "共 1 人" in html and "赵磊" in html and "另有" not in html


# --- scope ----------------------------------------------------------------------------


def test_community_officer_never_sees_another_communitys_rows(world, client):
    client.force_login(world.personas["community_officer"])
    for what in ("residents", "households", "buildings", "party_members", "central_households"):
        assert client.get(_url(world.community_2, what)).status_code == 404
        assert client.get(_url(world.street, what)).status_code == 404
        assert client.get(_url(world.community_2, what).rstrip("/") + ".xlsx").status_code == 404
    html = client.get(_url(world.community_1, "residents")).content.decode()
    assert "王芳" in html and "張偉" in html and "赵磊" not in html
    html = client.get(_url(world.community_1, "buildings")).content.decode()
    assert "静淑苑1号楼" in html and "二里庄3号楼" not in html


def test_grid_worker_sees_only_their_grid(world, client):
    client.force_login(world.personas["grid_worker_a"])
    html = client.get(_url(world.grid_a, "residents")).content.decode()
    assert "王芳" in html and "李建国" in html and "張偉" not in html
    for node in (world.grid_b, world.grid_c, world.community_1, world.street):
        assert client.get(_url(node, "residents")).status_code == 404
        assert client.get(_url(node, "households")).status_code == 404


def test_people_without_a_cockpit_get_404_and_unknown_lists_404(world, client):
    for persona in ("outsider", "resident", "party_member"):
        client.force_login(world.personas[persona])
        assert client.get(_url(world.grid_a, "residents")).status_code == 404
    client.force_login(world.personas["street_officer"])
    assert client.get(_url(world.street, "passwords")).status_code == 404
    assert client.get(f"/cockpit/{2**40}/list/residents/").status_code == 404
    client.logout()
    assert client.get(_url(world.street, "residents")).status_code == 302


def test_a_role_that_may_not_read_people_gets_no_names(world, client):
    # The system admin opens every cockpit (figures carry no personal data) but holds no
    # permission to read residents: the tile is plain and the list is refused.
    client.force_login(world.personas["system_admin"])
    before = AuditEntry.objects.count()
    page = client.get(f"/cockpit/{world.street.pk}/").content.decode()
    assert '<div class="tile" data-figure="residents">' in page
    assert 'data-figure="tag-elderly_alone" href=' not in page
    r = client.get(_url(world.street, "residents", "tag=elderly_alone"))
    assert r.status_code == 403 and "王芳" not in r.content.decode()
    assert "不能查看" in r.content.decode()
    assert client.get(f"/cockpit/{world.street.pk}/list/residents.xlsx").status_code == 403
    assert AuditEntry.objects.count() == before
    assert _total(client, _url(world.street, "buildings")) == 3  # buildings are hers to see


# --- masking --------------------------------------------------------------------------


def test_numbers_are_masked_on_the_page_even_for_a_role_that_may_unmask(world, client):
    client.force_login(world.personas["grid_leader_a"])
    html = client.get(_url(world.grid_a, "residents")).content.decode()
    assert PLANTED_ID_CARD not in html and PLANTED_PHONE not in html
    assert "110108196001010016" not in html and "13800000017" not in html
    assert mask_id_card(PLANTED_ID_CARD) in html and mask_phone(PLANTED_PHONE) in html


def test_the_workbook_is_masked_scoped_and_audited(world, client):
    client.force_login(world.personas["grid_leader_a"])
    last = _last_audit_id()
    r = client.get(f"/cockpit/{world.grid_a.pk}/list/residents.xlsx", {"tag": "elderly_alone"})
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    text = " ".join(cells)
    assert PLANTED_ID_CARD not in text and PLANTED_PHONE not in text
    assert mask_id_card(PLANTED_ID_CARD) in cells and mask_phone(PLANTED_PHONE) in cells
    assert "王芳" in cells and "独居老人" in cells and "李建国" not in cells
    assert sheet["A1"].value.startswith("清华东路第一网格 · 独居老人")
    entries = list(AuditEntry.objects.filter(id__gt=last))
    assert len(entries) == 1
    entry = entries[0]
    assert entry.action == "export" and entry.target_id == str(world.grid_a.pk)
    assert entry.detail == {
        "what": "cockpit:list:residents",
        "rows": 1,
        "filter": {"tag": "elderly_alone"},
        "masked": True,
    }
    whole = client.get(f"/cockpit/{world.grid_a.pk}/list/residents.xlsx")
    rows = list(load_workbook(io.BytesIO(whole.content)).active.iter_rows(min_row=3))
    assert len(rows) == 2  # 王芳 and 李建国: grid A only


def _last_audit_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_a_formula_typed_as_a_name_stays_text_in_the_workbook(world, client):
    create_resident(
        household=world.household_a, name="=HYPERLINK(\"http://x\")", residence_type="registered",
        actor=None,
    )  # fmt: skip
    client.force_login(world.personas["community_officer"])
    r = client.get(f"/cockpit/{world.grid_a.pk}/list/residents.xlsx")
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


# --- audit ----------------------------------------------------------------------------


def test_a_tag_filtered_list_is_audited_with_filter_and_count_but_no_names(world, client):
    client.force_login(world.personas["community_officer"])
    before = AuditEntry.objects.count()
    client.get(_url(world.community_1, "residents"))
    client.get(_url(world.community_1, "residents", "type=registered"))
    assert AuditEntry.objects.count() == before  # plain lists are not audited
    client.get(_url(world.community_1, "residents", "tag=elderly_alone"))
    entry = AuditEntry.objects.latest("id")
    assert AuditEntry.objects.count() == before + 1
    assert entry.action == "view" and entry.actor == world.personas["community_officer"]
    assert (entry.target_type, entry.target_id) == (
        "organisations.organisation",
        str(world.community_1.pk),
    )
    assert entry.detail == {
        "what": "cockpit:list",
        "list": "residents",
        "filter": {"tag": "elderly_alone"},
        "rows": 1,
        "page": 1,
        "masked": True,
    }
    assert "王芳" not in json.dumps(entry.detail, ensure_ascii=False)


# --- bad input ------------------------------------------------------------------------

BAD = [
    ("residents", "type=alien", "未知的人口类型"),
    ("residents", "sex=X", "未知的性别"),
    ("residents", "band=9", "年龄段"),
    ("residents", "band=-1", "年龄段"),
    ("residents", "band=old", "年龄段"),
    ("residents", "tag=criminal", "未知的重点人群"),
    ("households", "tenure=castle", "未知的居住性质"),
    ("party_members", "reported=2", "未知的筛选条件"),
    ("households", "type=registered", "不能按 type 筛选"),
    ("buildings", "tag=elderly_alone", "不能按 tag 筛选"),
]


@pytest.mark.parametrize(("what", "query", "message"), BAD)
def test_bad_filters_get_a_chinese_message_and_400(world, client, what, query, message):
    client.force_login(world.personas["street_officer"])
    before = AuditEntry.objects.count()
    r = client.get(_url(world.street, what, query))
    assert r.status_code == 400 and message in r.content.decode()
    r = client.get(f"/cockpit/{world.street.pk}/list/{what}.xlsx?{query}")
    assert r.status_code == 400 and message in r.content.decode()
    assert AuditEntry.objects.count() == before

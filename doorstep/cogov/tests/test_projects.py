"""Community projects: proposing from a match, budget and milestones, the one door for
moves, ratings; and random move sequences where every live stage keeps a way out."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doorstep.cogov import matching, project_flow, projects, services
from doorstep.cogov.errors import CogovError, Conflict, NotAllowed
from doorstep.cogov.models import Project, ProjectEvent
from doorstep.core.testing import make_user

pytestmark = pytest.mark.django_db
START = dt.date(2026, 3, 1)


def _project(co, **kw):
    data = {
        "actor": co.p["community_officer"],
        "node": co.world.grid_a,
        "title": "骑手爱心驿站",
        "starts_on": START,
        "ends_on": START + dt.timedelta(days=90),
    }
    data.update(kw)
    return projects.propose(**data)


def _matched(co):
    need = services.record_need(
        actor=co.p["community_officer"], node=co.world.grid_a, title="骑手歇脚",
        field="new_workers", wants="service",
    )  # fmt: skip
    resource = services.offer_resource(
        actor=co.p["liaison_904"], provider=co.hospital, title="夜间义诊", kind="service",
        fields=["new_workers"], capacity="20", unit="hours",
    )  # fmt: skip
    match = matching.accept(
        actor=co.p["community_officer"], need=need, resource=resource, amount="8"
    )
    return need, matching.confirm(actor=co.p["liaison_904"], match=match)


def test_a_project_from_a_match_runs_to_rating_and_meets_the_need(co):
    need, match = _matched(co)
    officer, street = co.p["community_officer"], co.p["street_officer"]
    p = _project(co, match=match, node=None)
    assert (p.need, list(p.partners.all()), p.status) == (need, [co.hospital], "proposed")
    with pytest.raises(CogovError) as err:
        projects.perform(p, "submit", actor=officer)
    assert "预算" in err.value.message
    projects.add_budget_line(
        actor=officer, project=p, item="驿站桌椅", amount="3000", source="共治基金"
    )
    projects.add_milestone(actor=officer, project=p, title="选址", due_on="2026-03-15")
    projects.perform(p, "submit", actor=officer)
    with pytest.raises(NotAllowed):
        projects.perform(p, "approve", actor=officer)  # the street approves
    projects.perform(p, "approve", actor=street)
    projects.perform(p, "start", actor=officer)
    with pytest.raises(CogovError) as err:
        projects.perform(p, "finish", actor=officer)
    assert "未完成的节点" in err.value.message
    projects.complete_milestone(actor=officer, milestone=p.milestones.get(), done_on="2026-03-14")
    projects.record_served(actor=officer, project=p, volunteers="12", served="126")
    projects.perform(p, "finish", actor=officer)
    projects.perform(p, "pass", actor=street)
    need.refresh_from_db()
    assert need.status == "met"
    resident = co.p["resident"]
    assert projects.may_rate(resident, Project.objects.get(pk=p.pk))
    p.refresh_from_db()
    projects.rate(actor=resident, project=p, stars="5", comment="很方便")
    with pytest.raises(Conflict):
        projects.rate(actor=resident, project=p, stars="4")
    with pytest.raises(NotAllowed):  # 赵磊 lives in grid C
        outsider = make_user("zhaolei", "赵磊", ("resident", co.world.community_2))
        co.world.resident_c.user = outsider
        co.world.resident_c.save(update_fields=["user"])
        projects.rate(actor=outsider, project=p, stars="1")
    projects.perform(p, "close", actor=officer)
    assert projects.rating_of(p) == {"average": 5.0, "count": 1}
    moves = list(ProjectEvent.objects.filter(project=p).values_list("seq", "move"))
    assert moves == [
        (1, "propose"),
        (2, "submit"),
        (3, "approve"),
        (4, "start"),
        (5, "finish"),
        (6, "pass"),
        (7, "close"),
    ]


def test_bad_dates_and_amounts_are_refused_and_change_nothing(co):
    with pytest.raises(CogovError) as err:
        _project(co, ends_on=START - dt.timedelta(days=1))
    assert err.value.field == "ends_on"
    p = _project(co)
    with pytest.raises(CogovError) as err:
        projects.add_milestone(
            actor=co.p["community_officer"], project=p, title="动员", due_on="2026-02-20"
        )
    assert err.value.field == "due_on" and "早于项目开始日期" in err.value.message
    with pytest.raises(CogovError):
        projects.add_budget_line(
            actor=co.p["community_officer"], project=p, item="桌椅", amount="-5", source="fund"
        )
    with pytest.raises(NotAllowed):
        projects.add_milestone(
            actor=co.p["grid_worker_b"], project=p, title="动员", due_on="2026-03-20"
        )
    assert not p.milestones.exists() and not p.budget.exists()
    with pytest.raises(CogovError) as err:
        projects.perform(p, "withdraw", actor=co.p["community_officer"])
    assert err.value.field == "note"
    assert Project.objects.get(pk=p.pk).status == "proposed"


def test_a_stale_form_gets_a_conflict(co):
    p = _project(co)
    projects.add_budget_line(
        actor=co.p["community_officer"], project=p, item="桌椅", amount="500", source="self"
    )
    projects.perform(p, "submit", actor=co.p["community_officer"], expected_version=1)
    with pytest.raises(Conflict):
        projects.perform(
            p, "withdraw", actor=co.p["community_officer"], note="重复", expected_version=1
        )


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(sorted(project_flow.MOVES)), st.booleans()), max_size=14
    )
)
def test_random_moves_keep_a_way_out_of_every_live_stage(co, steps):
    officer, street = co.p["community_officer"], co.p["street_officer"]
    p = _project(co)
    projects.add_budget_line(actor=officer, project=p, item="物资", amount="100", source="unit")
    m = projects.add_milestone(actor=officer, project=p, title="完成", due_on=START)
    for code, by_street in steps:
        before = Project.objects.get(pk=p.pk)
        try:
            p = projects.perform(before, code, actor=street if by_street else officer, note="理由")
        except CogovError:
            after = Project.objects.get(pk=p.pk)
            assert (after.status, after.version) == (before.status, before.version)
        if p.status in (project_flow.P.RUNNING,) and p.milestones.filter(done_on=None).exists():
            projects.complete_milestone(actor=officer, milestone=m, done_on=START)
        if p.status not in project_flow.FINAL:
            both = projects.available(p, officer) + projects.available(p, street)
            assert both, p.status  # someone can always move a live project on or end it
    assert ProjectEvent.objects.filter(project=p).count() == p.version

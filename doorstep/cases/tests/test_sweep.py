"""The deadline sweep: flags, reminders to the inbox, rule-based escalation, expiry,
archiving, and a second run that changes nothing."""

from __future__ import annotations

import datetime as dt
import threading
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from doorstep.cases import services
from doorstep.cases.calendar import TZ
from doorstep.cases.locating import locate
from doorstep.cases.models import Case, CaseEvent, Flag
from doorstep.cases.sweep import DIGEST_AFTER, sweep
from doorstep.cases.workflow import MOVES_BY_CODE, R, S
from doorstep.core import jobs
from doorstep.inbox.models import Notification

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


def accepted(cw, category=None, text="楼道灯坏了") -> Case:
    p = cw.personas
    case = services.create_case(
        actor=p["resident"],
        category=category or cw.repair,
        description=text,
        location=locate(building=cw.world.building_a),
    )
    return services.perform(case, "accept", actor=p["community_officer"])


def handled_by(cw, case: Case, lead) -> Case:
    p = cw.personas
    case = services.perform(case, "dispatch", actor=p["community_officer"], lead=lead)
    signer = lead if not hasattr(lead, "kind") else p["grid_worker_a"]
    return services.perform(case, "sign", actor=signer)


def set_clock(case: Case, *, due: dt.timedelta, warn: dt.timedelta | None = None) -> None:
    """Move a case's deadline relative to now (the calendar itself is test_deadlines')."""
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(
        due_at=now + due, warn_at=now + (warn if warn is not None else due - HOUR)
    )


def inbox(user, kind: str | None = None) -> list[Notification]:
    qs = Notification.objects.filter(user=user)
    return list(qs.filter(kind=kind) if kind else qs)


def test_sweep_flags_reminds_handlers_and_dispatchers_and_a_second_run_changes_nothing(
    cw, django_capture_on_commit_callbacks
):
    p, w = cw.personas, cw.world
    to_member = handled_by(cw, accepted(cw, text="甲"), p["party_member"])
    to_grid = handled_by(cw, accepted(cw, text="乙"), w.grid_a)
    soon = handled_by(cw, accepted(cw, text="丙"), p["volunteer"])
    paused = services.perform(
        handled_by(cw, accepted(cw, text="丁"), p["party_member"]), "start", actor=p["party_member"]
    )
    paused = services.perform(paused, "suspend", actor=p["party_member"], note="等配件")
    fine = handled_by(cw, accepted(cw, text="戊"), p["party_member"])
    set_clock(to_member, due=-HOUR)
    set_clock(to_grid, due=-HOUR)
    set_clock(soon, due=HOUR, warn=-HOUR)
    set_clock(paused, due=-HOUR)
    versions = dict(Case.objects.values_list("pk", "version"))
    events = CaseEvent.objects.count()
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = sweep()
    assert len(callbacks) == 1  # one batch for the whole run
    assert (result.overdue, result.soon, result.escalated) == (2, 1, 0)
    flags = dict(Case.objects.values_list("pk", "flag"))
    assert flags[to_member.pk] == flags[to_grid.pk] == Flag.OVERDUE
    assert flags[soon.pk] == Flag.SOON
    assert flags[paused.pk] == flags[fine.pk] == Flag.NORMAL
    assert dict(Case.objects.values_list("pk", "version")) == versions
    assert CaseEvent.objects.count() == events

    [member] = inbox(p["party_member"])
    assert member.kind == "case_overdue" and member.url == f"/cases/{to_member.number}/"
    assert "催办" in member.title and to_member.number in member.body
    # The assigned grid's staff; not the volunteer, whose SELF membership there does not
    # make them one of the grid's handlers (as in perform).
    for grid_staff in (p["grid_worker_a"], p["grid_leader_a"]):
        assert [n.url for n in inbox(grid_staff, "case_overdue")] == [f"/cases/{to_grid.number}/"]
    assert inbox(p["volunteer"], "case_overdue") == []
    [heads_up] = inbox(p["volunteer"], "case_soon")
    assert heads_up.kind == "case_soon" and "将到期" in heads_up.title
    due = Case.objects.get(pk=soon.pk).due_at.astimezone(TZ)
    assert f"将于 {due:%m-%d %H:%M} 到期" in heads_up.body  # local time, either database
    dispatcher = sorted(n.url for n in inbox(p["community_officer"], "case_overdue"))
    assert dispatcher == sorted([f"/cases/{to_member.number}/", f"/cases/{to_grid.number}/"])
    assert result.reminders == Notification.objects.count() == 6

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = sweep()
    assert again.as_dict() == dict.fromkeys(again.as_dict(), 0)
    assert not callbacks
    assert Notification.objects.count() == 6 and CaseEvent.objects.count() == events


def test_a_dispatcher_with_many_new_overdue_cases_gets_one_summary(
    cw, django_capture_on_commit_callbacks
):
    officer = cw.personas["community_officer"]
    cases = [accepted(cw, text=f"第{i}件") for i in range(DIGEST_AFTER + 1)]
    for case in cases:
        set_clock(case, due=-HOUR)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep().overdue == len(cases)
    [digest] = inbox(officer)
    assert f"{len(cases)} 件" in digest.title and digest.url == "/cases/?flag=overdue"


def test_nothing_is_flagged_or_sent_when_the_sweep_rolls_back(
    cw, django_capture_on_commit_callbacks
):
    case = handled_by(cw, accepted(cw), cw.personas["party_member"])
    set_clock(case, due=-HOUR)
    Notification.objects.all().delete()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        assert sweep().overdue == 1
        raise RuntimeError("boom")
    assert Case.objects.get(pk=case.pk).flag == Flag.NORMAL
    assert not Notification.objects.exists()


def test_escalation_follows_the_category_rule_and_stops_at_the_street(cw):
    p, w = cw.personas, cw.world
    assert R.SYSTEM in MOVES_BY_CODE["escalate"].relations
    hazard = accepted(cw, cw.hazard, "井盖缺失")  # escalate_when_overdue
    repair = accepted(cw, cw.repair, "灯坏了")  # no rule
    at_street = services.perform(
        accepted(cw, cw.hazard, "树倒了"), "escalate", actor=p["community_officer"], note="需街道"
    )
    assert at_street.owner == w.street
    for case in (hazard, repair, at_street):
        set_clock(case, due=-HOUR)
    result = sweep()
    assert (result.overdue, result.escalated, result.skipped) == (3, 1, 0)
    hazard, repair, at_street = (Case.objects.get(pk=c.pk) for c in (hazard, repair, at_street))
    assert hazard.owner == w.street and hazard.events.filter(move="escalate").count() == 1
    assert repair.owner == w.community_1 and not repair.events.filter(move="escalate").exists()
    assert at_street.events.filter(move="escalate").count() == 1  # only the manual one
    assert all(c.flag == Flag.OVERDUE for c in (hazard, repair, at_street))
    assert not sweep().changed


def test_the_rating_window_expires_and_closed_cases_are_archived(cw, settings):
    p = cw.personas
    case = handled_by(cw, accepted(cw), p["party_member"])
    case = services.perform(case, "start", actor=p["party_member"])
    case = services.perform(case, "resolve", actor=p["party_member"], note="已修好")
    case = services.perform(case, "verify", actor=p["community_officer"])
    assert case.status == S.PENDING_RATING
    start = timezone.now()
    with time_machine.travel(start + dt.timedelta(days=settings.CASE_RATING_DAYS, hours=1)):
        result = sweep()
        assert (result.ratings_expired, result.archived) == (1, 0)
        case = Case.objects.get(pk=case.pk)
        assert case.status == S.CLOSED and case.rating_expired and case.closed_at
        assert case.events.last().move == "expire_rating"
        assert not sweep().changed
    later = start + dt.timedelta(days=settings.CASE_RATING_DAYS + settings.CASE_ARCHIVE_AFTER_DAYS)
    with time_machine.travel(later + dt.timedelta(hours=2)):
        assert sweep().archived == 1
        case = Case.objects.get(pk=case.pk)
        assert case.status == S.ARCHIVED and case.rating_expired
        assert not sweep().changed
    assert CaseEvent.objects.filter(case=case).count() == case.version


def test_the_command_prints_the_counts(cw):
    case = accepted(cw)
    set_clock(case, due=-HOUR)
    out = StringIO()
    call_command("sweep_deadlines", stdout=out)
    assert "overdue: 1" in out.getvalue() and "新超期 1 件" in out.getvalue()
    out = StringIO()
    call_command("sweep_deadlines", stdout=out)
    assert "overdue: 0" in out.getvalue()


@pytest.mark.parametrize(
    ("argv", "env", "serves"),
    [
        (["manage.py", "runserver"], {"RUN_MAIN": "true"}, True),
        (["manage.py", "runserver"], {}, False),  # the autoreloader's parent
        (["manage.py", "runserver", "--noreload"], {}, True),
        (["manage.py", "migrate"], {"RUN_MAIN": "true", "DOORSTEP_INPROCESS_JOBS": "1"}, False),
        (["manage.py", "sweep_deadlines"], {"DOORSTEP_INPROCESS_JOBS": "1"}, False),
        (["/venv/bin/gunicorn", "config.wsgi"], {"DOORSTEP_INPROCESS_JOBS": "1"}, True),
        (["/venv/bin/gunicorn", "config.wsgi"], {}, False),
        (["/venv/bin/celery", "-A", "config", "worker"], {"DOORSTEP_INPROCESS_JOBS": "1"}, False),
    ],
)
def test_only_the_web_server_runs_the_sweep_in_process(argv, env, serves):
    assert jobs.serves_requests(argv, env) is serves


def test_no_jobs_thread_under_pytest():
    assert not jobs._is_web_server()
    assert jobs.THREAD_NAME not in {t.name for t in threading.enumerate()}


def test_the_embedded_default_runs_the_sweep_and_the_credit_catch_ups(settings):
    names = {name for name, _, _ in jobs.scheduled()}
    assert {
        "doorstep.cases.sweep_deadlines",
        "doorstep.service.credit_cases",
        "doorstep.service.credit_activities",
    } <= names


def test_the_in_process_loop_survives_a_failing_run():
    calls: list[int] = []
    stop = threading.Event()

    def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        if len(calls) >= 3:
            stop.set()

    thread = threading.Thread(
        target=jobs._loop, args=(stop, [("sweep", 0.001, flaky)]), kwargs={"first_delay": 0.0}
    )
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive() and len(calls) == 3


def test_one_case_that_fails_to_escalate_does_not_stop_the_others(cw, monkeypatch, caplog):
    first, second = accepted(cw, cw.hazard, "井盖缺失"), accepted(cw, cw.hazard, "路灯倒了")
    for case in (first, second):
        set_clock(case, due=-HOUR)
    real = services.perform

    def perform(case, code, *args, **kw):
        if case == first.pk:
            raise RuntimeError("broken row")
        return real(case, code, *args, **kw)

    monkeypatch.setattr(services, "perform", perform)
    result = sweep()
    assert (result.overdue, result.escalated, result.skipped) == (2, 1, 1)
    assert "escalate on case" in caplog.text
    assert Case.objects.get(pk=first.pk).owner == cw.world.community_1
    assert Case.objects.get(pk=second.pk).owner == cw.world.street
    assert Case.objects.get(pk=first.pk).flag == Flag.OVERDUE

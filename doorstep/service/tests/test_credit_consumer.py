"""Credits are eventual: the case closes and is rated whatever the points accounting does;
the consumer of the case event log catches up once, and never pays twice.

These tests commit for real (transactional), so the after-commit path is the one that runs:
perform → the event → core.events.kick → after commit the eager Celery task → consumer.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from doorstep.cases import services as cases
from doorstep.cases.models import Case
from doorstep.cases.workflow import S
from doorstep.core.models import ConsumedEvent, EventCursor
from doorstep.service import credits, ledger
from doorstep.service.models import PointAccount, PointLine, ServiceRecord
from doorstep.service.tasks import credit_cases
from doorstep.service.tests.helpers import claimed_wish, to_rating

pytestmark = pytest.mark.django_db(transaction=True)


def _rate_over_the_api(client, cw, case: Case):
    client.force_login(cw.personas["resident"])
    return client.post(
        f"/api/cases/{case.number}/moves/rate",
        data=json.dumps({"rating": "satisfied", "solved": True}),
        content_type="application/json",
    )


def _balance(user) -> int:
    account = PointAccount.objects.filter(user=user).first()
    return account.balance if account else 0


def _recounts_agree() -> None:
    points, population = io.StringIO(), io.StringIO()
    call_command("recount_points", stdout=points)
    call_command("recount_population", stdout=population)
    assert "积分账户与明细一致" in points.getvalue()
    assert "一致" in population.getvalue()


def test_a_failing_consumer_leaves_the_case_closed_and_catches_up_once(cw, client, monkeypatch):
    member = cw.personas["party_member"]
    case = to_rating(cw, claimed_wish(cw))

    def broken(event):
        raise RuntimeError("points accounting is down")

    monkeypatch.setattr(credits, "credit_case_event", broken)
    response = _rate_over_the_api(client, cw, case)
    assert response.status_code == 200, response.content  # the rating answers 2xx
    case.refresh_from_db()
    assert case.status == S.CLOSED and case.rating == "satisfied"
    assert not ServiceRecord.objects.exists() and _balance(member) == 0
    # Archived later, all the same (the sweep's move; the consumer is still failing).
    cases.perform(case, "archive", actor=None, system=True)
    assert Case.objects.get(pk=case.pk).status == S.ARCHIVED
    with pytest.raises(RuntimeError):
        credit_cases.apply().get()  # the periodic run meets the fault too: nothing paid
    assert (
        _balance(member) == 0
        and not ConsumedEvent.objects.filter(consumer=credits.CASE_CONSUMER).exists()
    )

    monkeypatch.undo()  # the fault is gone: the next run pays, once
    assert credit_cases.apply().get() == 1
    assert credit_cases.apply().get() == 0
    record = ServiceRecord.objects.get()
    assert record.user == member and record.case_id == case.pk
    assert [(x.rule, x.amount) for x in PointLine.objects.order_by("id")] == [
        ("case_resolved", 10),
        ("case_satisfied", 5),
    ]
    assert _balance(member) == 15
    assert ledger.recount() == []
    _recounts_agree()


def test_the_credit_follows_the_commit_without_being_asked(cw, client):
    case = to_rating(cw, claimed_wish(cw))
    assert _rate_over_the_api(client, cw, case).status_code == 200
    assert _balance(cw.personas["party_member"]) == 15
    assert ServiceRecord.objects.get().case_id == case.pk


def test_the_cursor_moves_past_settled_events_only_and_reruns_grant_nothing(cw):
    member = cw.personas["party_member"]
    case = to_rating(cw, claimed_wish(cw))
    cases.perform(case, "rate", actor=cw.personas["resident"], rating="satisfied", solved=True)
    assert _balance(member) == 15  # paid after the rating's commit
    cursor = EventCursor.objects.get(consumer=credits.CASE_CONSUMER)
    # Fresh events stay above the cursor (a lower id might still commit): marked handled.
    assert cursor.last_id == 0
    assert ConsumedEvent.objects.filter(consumer=credits.CASE_CONSUMER).count() == 1
    later = timezone.now() + dt.timedelta(minutes=11)
    with time_machine.travel(later, tick=False):
        assert credits.credit_cases() == 0  # looked at again: nothing paid twice
    cursor.refresh_from_db()
    assert cursor.last_id == case.events.get(move="rate").id
    assert not ConsumedEvent.objects.filter(consumer=credits.CASE_CONSUMER).exists()
    assert credits.credit_cases() == 0
    assert _balance(member) == 15 and PointLine.objects.count() == 2
    _recounts_agree()


def test_a_reopened_case_is_taken_back_after_its_closure_even_when_both_wait(cw, monkeypatch):
    p = cw.personas
    member = p["party_member"]
    case = to_rating(cw, claimed_wish(cw))
    monkeypatch.setattr(credits, "credit_case_event", lambda event: 1 / 0)
    case = cases.perform(case, "rate", actor=p["resident"], rating="satisfied", solved=True)
    cases.perform(case, "reopen_closed", actor=p["community_officer"], note="回访发现未修好")
    monkeypatch.undo()
    assert credits.credit_cases() == 2  # the closure, then its reversal, in order
    assert _balance(member) == 0
    assert ServiceRecord.objects.get().status == "reversed"
    assert sorted(x.amount for x in PointLine.objects.all()) == [-10, -5, 5, 10]
    assert ledger.recount() == []


def test_a_run_that_started_before_another_moved_the_cursor_handles_nothing_again(cw):
    """Run A read the cursor and markers; run B handled the events, moved the cursor past
    them and deleted their markers. A must not pay them a second time."""
    from doorstep.core.events import _handle_once

    member = cw.personas["party_member"]
    case = to_rating(cw, claimed_wish(cw))
    cases.perform(case, "rate", actor=cw.personas["resident"], rating="satisfied", solved=True)
    rated = case.events.get(move="rate")
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11), tick=False):
        credits.credit_cases()  # "run B": cursor past the rating, markers deleted
    assert EventCursor.objects.get(consumer=credits.CASE_CONSUMER).last_id == rated.id
    assert not ConsumedEvent.objects.filter(consumer=credits.CASE_CONSUMER).exists()
    # "run A", late, with the event it had loaded before B finished
    assert _handle_once(credits.CASE_CONSUMER, rated, credits.credit_case_event) is False
    assert _balance(member) == 15 and ServiceRecord.objects.count() == 1

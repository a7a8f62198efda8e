"""Notifications reach the inbox and the mailbox after commit, and a broken gateway
cannot lose the inbox copy."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from doorstep.inbox.channels import Message
from doorstep.inbox.models import Notification
from doorstep.inbox.services import notify, unread_count

pytestmark = pytest.mark.django_db


class BrokenGateway:
    """Stands in for an SMS gateway we cannot reach here: it always fails."""

    name = "sms"
    calls: list[list[Message]] = []

    def send(self, messages):
        BrokenGateway.calls.append(list(messages))
        raise ConnectionError("gateway down")


def test_sent_only_after_commit(world, django_capture_on_commit_callbacks):
    user = world.personas["community_officer"]
    user.email = "c1@example.org"
    user.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify([user.pk], kind="t", title="新诉求待受理", body="工单 1", url="/cases/1/")
        assert Notification.objects.count() == 0
        assert mail.outbox == []
    for cb in callbacks:
        cb()
    n = Notification.objects.get(user=user)
    assert n.title == "新诉求待受理" and n.read_at is None
    assert unread_count(user) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["c1@example.org"]
    assert "新诉求待受理" in mail.outbox[0].subject


def test_rolled_back_action_notifies_nobody(world, django_capture_on_commit_callbacks):
    user = world.personas["grid_worker_a"]
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                notify([user.pk], kind="t", title="不会发出")
                raise RuntimeError("the action failed")
        except RuntimeError:
            pass
    assert not Notification.objects.filter(user=user).exists()


def test_a_failing_gateway_does_not_lose_the_inbox_copy(
    world, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_CHANNELS = [
        "doorstep.inbox.tests.test_channels.BrokenGateway",
        "doorstep.inbox.channels.InboxChannel",
    ]
    BrokenGateway.calls.clear()
    user = world.personas["street_officer"]
    with django_capture_on_commit_callbacks(execute=True):
        notify([user.pk, None, user.pk], kind="t", title="督办")
    assert len(BrokenGateway.calls) == 1 and len(BrokenGateway.calls[0]) == 1
    assert Notification.objects.filter(user=user, title="督办").count() == 1


def test_users_without_email_get_inbox_only(world, django_capture_on_commit_callbacks):
    user = world.personas["resident"]
    assert not user.email
    with django_capture_on_commit_callbacks(execute=True):
        notify([user.pk], kind="t", title="已受理")
    assert Notification.objects.filter(user=user).count() == 1
    assert mail.outbox == []

"""Sending notifications: after the transaction that caused them commits, never before."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from doorstep.core import links

from .channels import Message, channels

log = logging.getLogger(__name__)


def deliver(messages: list[Message]) -> None:
    """Hand messages to every channel now. A failing channel does not stop the others."""
    for channel in channels():
        try:
            channel.send(messages)
        except Exception:  # a gateway outage must not lose the inbox copy
            log.exception("notification channel %s failed", getattr(channel, "name", channel))


def notify(
    user_ids: Iterable[int | None], *, kind: str, title: str, body: str = "", url: str = ""
) -> None:
    """Queue a notification to these users, sent once the current transaction commits."""
    ids = sorted({u for u in user_ids if u})
    if not ids:
        return
    messages = [Message(u, kind, title, body, url) for u in ids]
    transaction.on_commit(lambda: _send(messages))


def notify_batch(messages: Iterable[Message]) -> int:
    """Queue many notifications (each with its own user and text) as one delivery on commit.

    For senders with thousands of messages at once (the deadline sweep): one task, and the
    inbox channel writes them with one bulk insert. Returns how many were queued.
    """
    batch = [m for m in messages if m.user_id]
    if batch:
        transaction.on_commit(lambda: _send(batch))
    return len(batch)


def _send(messages: list[Message]) -> None:
    from django.conf import settings

    from .tasks import send_notifications

    # Links in e-mails point to the site the sender was using (a worker has no request).
    site = links.site_url()
    messages = [m if m.site else dataclasses.replace(m, site=site) for m in messages]
    if settings.CELERY_TASK_ALWAYS_EAGER:  # embedded default: no broker, deliver here
        deliver(messages)
        return
    send_notifications.delay([m.__dict__ for m in messages])


def unread_count(user: AbstractBaseUser) -> int:
    from .models import Notification

    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()

"""Notification channels: the inbox always, email through Django's backend, more later.

A channel is a class with `name` and `send(messages)`. Add an SMS or WeChat gateway by
writing one and listing its dotted path in settings.NOTIFY_CHANNELS; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.message import EmailMessage
from django.utils.module_loading import import_string

from doorstep.core import links


@dataclass(frozen=True)
class Message:
    user_id: int
    kind: str
    title: str
    body: str = ""
    url: str = ""
    # The site's address when the message was queued (a link in an e-mail sent later by
    # a worker must point to where the user was).
    site: str = ""


class Channel(Protocol):
    name: str

    def send(self, messages: Sequence[Message]) -> int: ...


class InboxChannel:
    name = "inbox"

    def send(self, messages: Sequence[Message]) -> int:
        from .models import Notification

        rows = [
            Notification(user_id=m.user_id, kind=m.kind, title=m.title, body=m.body, url=m.url)
            for m in messages
        ]
        Notification.objects.bulk_create(rows, batch_size=1000)
        return len(rows)


class EmailChannel:
    """Mails users who have an address, through settings.EMAIL_BACKEND."""

    name = "email"

    def send(self, messages: Sequence[Message]) -> int:
        from django.contrib.auth import get_user_model

        ids = {m.user_id for m in messages}
        emails = dict(
            get_user_model()
            .objects.filter(pk__in=ids, is_active=True)
            .exclude(email="")
            .values_list("pk", "email")
        )
        mails = [
            EmailMessage(
                subject=f"【家门口】{m.title}",
                body=m.body + (f"\n\n{m.site or links.site_url()}{m.url}" if m.url else ""),
                to=[emails[m.user_id]],
            )
            for m in messages
            if m.user_id in emails
        ]
        if not mails:
            return 0
        return get_connection(fail_silently=True).send_messages(mails) or 0


def channels() -> list[Any]:
    return [import_string(path)() for path in settings.NOTIFY_CHANNELS]

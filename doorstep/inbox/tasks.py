"""Notification delivery runs on the `notifications` queue in production."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from .channels import Message


@shared_task(name="doorstep.inbox.send_notifications")
def send_notifications(messages: list[dict[str, Any]]) -> int:
    from .services import deliver

    batch = [Message(**m) for m in messages]
    deliver(batch)
    return len(batch)

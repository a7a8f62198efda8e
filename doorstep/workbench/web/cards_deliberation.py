"""Workbench cards of deliberation: the owners' votes waiting for the user."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from .cards import Card, Row


def ballots_to_vote(user: Any) -> Card | None:
    """An owner or proxy: the open votes with a home of theirs not yet voted."""
    from doorstep.atlas.people.models import Holding
    from doorstep.deliberation import ballots

    if not user.has_perm("deliberation.view_ballot"):
        return None
    if not Holding.objects.visible_to(user).filter(resident__user=user).exists():
        return None
    pending = ballots.pending_for(user)
    url = reverse("deliberation:ballots") + "?mine=1"
    rows = [
        Row(b.title, reverse("deliberation:ballot", args=[b.pk]),
            f"{timezone.localtime(b.closes_at):%m-%d %H:%M} 截止")
        for b in pending[:5]
    ]  # fmt: skip
    return Card("ballots", "待我表决", url, count=len(pending), rows=rows,
                hint="小区业主共同决定事项，每户一票")  # fmt: skip

"""参与式治理: a resident proposes something for the community they live in; residents of
that community support it (one vote each); the community's staff adopt it as a
participatory project (参与式治理项目, which then runs the project lifecycle) or decline it
with a reason. A proposal shows no proposer's or supporter's name to anyone.

Keyword-only, take the acting user, atomic; a refusal is a `CogovError` with a Chinese
message and the field at fault, and leaves nothing written.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from doorstep.accounts.typing import Actor
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.models import Resident
from doorstep.core import audit

from .errors import CogovError, Conflict, NotAllowed
from .models import Project, ProjectKind, Proposal, ProposalStatus, ProposalVote
from .projects import propose as propose_project
from .services import text

MAX_OPEN_PER_RESIDENT = 5


def home_community(user: Actor) -> Organisation | None:
    """The community the user lives in (their resident record's grid's community)."""
    resident = (
        Resident.objects.filter(user=user, grid__isnull=False)
        .select_related("grid__parent")
        .first()
    )
    if resident is None or resident.grid is None:
        return None
    grid = resident.grid
    return grid.parent if grid.parent is not None and grid.parent.kind == Kind.COMMUNITY else None


def lives_in(user: Actor, proposal: Proposal) -> bool:
    return Resident.objects.filter(user=user, grid__path__startswith=proposal.path).exists()


@transaction.atomic
def propose(*, actor: Actor, title: Any, summary: Any = "") -> Proposal:
    """A resident's proposal for their own community."""
    community = home_community(actor)
    if community is None:
        raise NotAllowed("只有登记了住址的居民可以提议")
    name = text(title, "title", "提议", 60)
    detail = text(summary, "summary", "说明", 1000, required=False)
    if (
        Proposal.objects.filter(proposed_by=actor, status=ProposalStatus.OPEN).count()
        >= MAX_OPEN_PER_RESIDENT
    ):
        raise CogovError(f"每位居民同时最多有{MAX_OPEN_PER_RESIDENT}条征集中的提议", "title")
    proposal = Proposal.objects.create(
        node=community, path=community.path, title=name, summary=detail, proposed_by=actor
    )
    audit.record(actor=actor, action="create", target=proposal)
    return proposal


@transaction.atomic
def support(*, actor: Actor, proposal: Proposal) -> Proposal:
    """A resident of the community supports an open proposal, once."""
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.status != ProposalStatus.OPEN:
        raise Conflict("该提议已结束征集")
    if not lives_in(actor, locked):
        raise NotAllowed("只有本社区的居民可以支持")
    try:
        with transaction.atomic():
            ProposalVote.objects.create(proposal=locked, user=actor)
    except IntegrityError:
        raise Conflict("您已经支持过这条提议") from None
    Proposal.objects.filter(pk=locked.pk).update(votes=F("votes") + 1)
    locked.refresh_from_db()
    return locked


def _keeps(actor: Actor, proposal: Proposal) -> Proposal:
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not Proposal.objects.filter(pk=locked.pk).visible_to(actor, "change").exists():
        raise NotAllowed("您不能处理该社区的提议")
    if locked.status != ProposalStatus.OPEN:
        raise Conflict("该提议已处理")
    return locked


@transaction.atomic
def adopt(*, actor: Actor, proposal: Proposal, starts_on: Any, ends_on: Any) -> Project:
    """Staff take the proposal up as a participatory project (申报 stage)."""
    locked = _keeps(actor, proposal)
    project = propose_project(
        actor=actor,
        node=locked.node,
        title=locked.title,
        starts_on=starts_on,
        ends_on=ends_on,
        kind=ProjectKind.PARTICIPATORY,
        summary=f"居民提议，{locked.votes}位居民支持。{locked.summary}"[:2000],
    )
    locked.status, locked.project = ProposalStatus.ADOPTED, project
    locked.save(update_fields=["status", "project"])
    audit.record(actor=actor, action="update", target=locked, detail={"project": project.pk})
    return project


@transaction.atomic
def decline(*, actor: Actor, proposal: Proposal, reason: Any) -> Proposal:
    locked = _keeps(actor, proposal)
    locked.reason = text(reason, "reason", "未采纳原因", 200)
    locked.status = ProposalStatus.DECLINED
    locked.save(update_fields=["status", "reason"])
    audit.record(actor=actor, action="update", target=locked, detail={"status": "declined"})
    return locked

"""JSON API of residents' proposals (tag "cogov"): a resident's community's proposals (or
staff's, in scope) and supporting one. No proposer's or supporter's name is given."""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router

from doorstep.cogov import proposals
from doorstep.cogov.models import Proposal

from .api import PathId
from .schemas import ProposalOut

router = Router(tags=["cogov"])


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def proposal_out(p: Proposal) -> dict[str, Any]:
    return {
        "id": p.pk,
        "node_id": p.node_id,
        "node": p.node.name,
        "title": p.title,
        "summary": p.summary,
        "status": p.status,
        "votes": p.votes,
        "project_id": p.project_id,
        "created_at": p.created_at,
    }


def _proposals(request: HttpRequest) -> Any:
    return Proposal.objects.visible_to(_actor(request)).select_related("node")


@router.get("/cogov/proposals", response=list[ProposalOut], summary="居民提议")
def list_proposals(request: HttpRequest) -> Any:
    return [proposal_out(p) for p in _proposals(request)[:500]]


@router.post(
    "/cogov/proposals/{proposal_id}/support", response=ProposalOut, summary="支持一条居民提议"
)
def support_proposal(request: HttpRequest, proposal_id: PathId) -> Any:
    proposal = get_object_or_404(_proposals(request), pk=proposal_id)
    return proposal_out(proposals.support(actor=_actor(request), proposal=proposal))

"""Co-governance models, by topic: the three lists and their matches (`lists`), projects
(`projects`), the fund (`funds`), 党建联盟 and co-building units (`alliances`),
departments' and cadres' pairings (`pairings`),
residents' proposals and their support (`proposals`)."""

from .alliances import Agreement, Alliance, Scheme, SchemeItem, Seat, Sector, UnitProfile
from .funds import Fund, FundLine, FundQuerySet, LineKind, _receipt_path
from .lists import (
    DEFAULT_REACH_M,
    LIVE_MATCH_STATUSES,
    OPEN_NEED_STATUSES,
    Field,
    Match,
    MatchQuerySet,
    MatchStatus,
    Need,
    NeedQuerySet,
    NeedSource,
    NeedStatus,
    Quantity,
    Resource,
    ResourceKind,
    ResourceQuerySet,
    ResourceStatus,
    Urgency,
)
from .pairings import (
    PAIRED_NODE_KINDS,
    CadreLevel,
    Pairing,
    PairingKind,
    PairingOffer,
    PairingQuerySet,
)
from .projects import (
    BudgetLine,
    BudgetSource,
    Milestone,
    Project,
    ProjectEvent,
    ProjectKind,
    ProjectPhoto,
    ProjectQuerySet,
    ProjectRating,
)
from .proposals import Proposal, ProposalQuerySet, ProposalStatus, ProposalVote

__all__ = [
    "Agreement", "Alliance", "Scheme", "SchemeItem", "Seat", "Sector", "UnitProfile",
    "DEFAULT_REACH_M", "LIVE_MATCH_STATUSES", "OPEN_NEED_STATUSES", "BudgetLine", "BudgetSource",
    "Field", "Fund", "FundLine", "FundQuerySet", "LineKind", "Match", "MatchQuerySet",
    "MatchStatus", "Milestone", "Need", "NeedQuerySet", "NeedSource", "NeedStatus", "Project",
    "ProjectEvent", "ProjectKind", "ProjectPhoto", "ProjectQuerySet", "ProjectRating", "Quantity", "Resource",
    "ResourceKind", "ResourceQuerySet", "ResourceStatus", "Urgency", "_receipt_path",
    "PAIRED_NODE_KINDS", "CadreLevel", "Pairing", "PairingKind", "PairingOffer",
    "PairingQuerySet", "Proposal", "ProposalQuerySet", "ProposalStatus", "ProposalVote",
]  # fmt: skip

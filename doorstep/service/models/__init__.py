"""Models of the service app, one module per topic."""

from .dual import DualReport, DualStatus
from .honours import Certificate, HonourKind, HonourList, PeriodKind
from .points import (
    LineKind,
    Period,
    PointAccount,
    PointLine,
    PointRule,
    Redemption,
    Reward,
    RuleCode,
)
from .records import (
    EditStatus,
    RecordEdit,
    RecordSource,
    RecordStatus,
    ServiceRecord,
    Visit,
    VisitKind,
    VisitOutcome,
)
from .teams import (
    ACTIVE_HOLDING,
    HoldingStatus,
    MemberKind,
    Post,
    PostHolding,
    Team,
    TeamMember,
    Theme,
)

__all__ = [
    "DualReport",
    "DualStatus",
    "Certificate",
    "HonourKind",
    "HonourList",
    "PeriodKind",
    "ACTIVE_HOLDING",
    "EditStatus",
    "HoldingStatus",
    "Visit",
    "VisitKind",
    "VisitOutcome",
    "LineKind",
    "MemberKind",
    "Period",
    "PointAccount",
    "PointLine",
    "PointRule",
    "Post",
    "PostHolding",
    "RecordEdit",
    "RecordSource",
    "RecordStatus",
    "Redemption",
    "Reward",
    "RuleCode",
    "ServiceRecord",
    "Team",
    "TeamMember",
    "Theme",
]

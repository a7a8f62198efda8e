"""The deliberation domain's models, a module per topic."""

from .ballots import (
    Ballot,
    BallotKind,
    BallotQuerySet,
    BallotStatus,
    BallotVote,
    Channel,
    RollEntry,
)
from .campaigns import Campaign, CampaignTarget
from .councils import Council, CouncilMember, CouncilSeat, MajorityRule, SeatKind
from .meetings import (
    AgendaItem,
    Attachment,
    Invitation,
    Meeting,
    MeetingFormat,
    Opinion,
    Outcome,
    SignIn,
)
from .receptions import (
    Deputy,
    DeputyKind,
    DeputyLevel,
    ReceptionSlot,
    ReceptionVisit,
    VisitStatus,
)
from .resolutions import ActionKind, Objection, Resolution
from .surveys import (
    Answer,
    Audience,
    Per,
    Question,
    QuestionKind,
    Response,
    Survey,
    SurveyStatus,
)
from .topics import Topic, TopicSecond, TopicSource, TopicStatus

__all__ = [
    "AgendaItem", "Attachment", "Campaign", "CampaignTarget", "Council", "CouncilMember", "CouncilSeat", "Invitation",
    "MajorityRule", "Meeting", "MeetingFormat", "Opinion", "Outcome", "SeatKind", "SignIn",
    "Deputy", "DeputyKind", "DeputyLevel", "ReceptionSlot", "ReceptionVisit", "VisitStatus",
    "ActionKind", "Ballot", "BallotKind", "BallotQuerySet", "BallotStatus", "BallotVote",
    "Channel", "Objection", "Resolution", "RollEntry", "Topic", "TopicSecond", "TopicSource",
    "TopicStatus", "Answer", "Audience", "Per", "Question", "QuestionKind", "Response",
    "Survey", "SurveyStatus",
]  # fmt: skip

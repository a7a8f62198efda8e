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
from .resolutions import ActionKind, Objection, Resolution
from .topics import Topic, TopicSecond, TopicSource, TopicStatus

__all__ = [
    "ActionKind", "Ballot", "BallotKind", "BallotQuerySet", "BallotStatus", "BallotVote",
    "Channel", "Objection", "Resolution", "RollEntry", "Topic", "TopicSecond", "TopicSource",
    "TopicStatus",
]  # fmt: skip

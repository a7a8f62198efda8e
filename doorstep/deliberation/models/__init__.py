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

__all__ = [
    "Ballot", "BallotKind", "BallotQuerySet", "BallotStatus", "BallotVote", "Channel", "RollEntry",
]  # fmt: skip

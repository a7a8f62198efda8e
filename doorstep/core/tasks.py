"""Background tasks of the shared kernel."""

from celery import shared_task


@shared_task(name="doorstep.core.ping")
def ping(payload: str) -> str:
    """Echo for checking that a broker and a worker are wired up (used by the CI round-trip)."""
    return f"pong:{payload}"


@shared_task(name="doorstep.core.audit_checkpoint")
def audit_checkpoint() -> int | None:
    """Sign the audit chain's head outside the database (core/checkpoints.py)."""
    from .checkpoints import write

    point = write()
    return point["last_id"] if point else None

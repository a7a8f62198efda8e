"""Background tasks of the shared kernel."""

from celery import shared_task


@shared_task(name="doorstep.core.ping")
def ping(payload: str) -> str:
    """Echo for checking that a broker and a worker are wired up (used by the CI round-trip)."""
    return f"pong:{payload}"

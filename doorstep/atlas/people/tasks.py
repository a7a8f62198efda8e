"""Background work for the resident ledger (台账): imports run here, after commit."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def run_import(job_id: int) -> str:
    """Run (or continue after a crash) one ledger import job. Safe to run twice: a job
    continues after its last committed batch, and a finished job is left alone."""
    from doorstep.atlas.people.ledger.importer import run_job

    return run_job(job_id)


@shared_task(acks_late=True)
def run_export(job_id: int) -> str:
    """Write one resident ledger export. Safe to run twice: it writes the file again."""
    from doorstep.atlas.people.ledger.exporter import run_export_job

    return run_export_job(job_id)

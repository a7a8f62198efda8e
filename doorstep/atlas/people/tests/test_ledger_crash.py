"""A run that dies part-way leaves whole batches only, and running the job again finishes it.

These tests commit for real (transactional database): a batch either reached the database
or it did not, exactly as after a killed worker.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from doorstep.atlas.people.ledger import importer, rows, sample
from doorstep.atlas.people.models import ImportJob, ImportStatus, Resident
from doorstep.atlas.places.models import Building, Household, Unit
from doorstep.core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)

BATCH = 100
ROWS = 250


class Killed(BaseException):
    """Stands in for SIGKILL: not an Exception, so no handler in the importer sees it."""


@pytest.fixture(autouse=True)
def small_batches(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_BATCH_SIZE = BATCH


@pytest.fixture
def queued_job(world, tmp_path, monkeypatch):
    """A job for 250 valid rows (two households per four people), not yet run."""
    fresh = Building.objects.create(name="学知园9号楼", grid=world.grid_a)  # no units yet
    rows = [sample.resident_row(i, fresh.name) for i in range(ROWS)]
    path = sample.write_xlsx(tmp_path / "居民台账.xlsx", rows)
    # Keep the task from running on commit: the test runs the job itself.
    monkeypatch.setattr(importer, "_enqueue", lambda job_id: None)
    job = importer.start_import(
        kind="residents",
        upload=SimpleUploadedFile(path.name, path.read_bytes()),
        actor=world.personas["community_officer"],
    )
    return job


def die_at(sheet_row: int, error: type[BaseException]):
    def hook(row: int) -> None:
        if row == sheet_row:
            raise error(f"simulated crash at row {row}")

    return hook


def test_a_run_killed_mid_batch_keeps_whole_batches_and_the_rerun_completes(
    world, queued_job, monkeypatch
):
    residents, households, units = (
        Resident.objects.count(),
        Household.objects.count(),
        Unit.objects.count(),
    )
    # Row 2 is the first data row: sheet row 2 + 150 is the 51st row of the second batch.
    monkeypatch.setattr(rows, "on_row", die_at(152, Killed))

    with pytest.raises(Killed):
        importer.run_job(queued_job.pk)

    job = ImportJob.objects.get(pk=queued_job.pk)
    assert job.status == ImportStatus.RUNNING  # nobody lived to mark it
    assert (job.total, job.imported, job.last_row) == (BATCH, BATCH, BATCH + 1)
    assert Resident.objects.count() - residents == BATCH
    # The first batch's 100 people live in 25 households; none of the second batch's
    # households survived the rollback.
    assert Household.objects.count() - households == BATCH // 4
    assert Unit.objects.count() - units == 6

    monkeypatch.setattr(rows, "on_row", lambda row: None)
    assert importer.run_job(queued_job.pk) == ImportStatus.DONE

    job.refresh_from_db()
    assert (job.total, job.imported, job.skipped, job.error_count) == (ROWS, ROWS, 0, 0)
    assert job.last_row == ROWS + 1
    assert Resident.objects.count() - residents == ROWS
    assert Household.objects.count() - households == (ROWS + 3) // 4
    imports = AuditEntry.objects.filter(action=AuditAction.IMPORT, target_id=str(job.pk))
    assert [e.detail["status"] for e in imports] == ["done"]


def test_a_run_that_fails_mid_batch_is_marked_and_can_be_continued(world, queued_job, monkeypatch):
    residents = Resident.objects.count()
    monkeypatch.setattr(rows, "on_row", die_at(2 + 2 * BATCH + 10, RuntimeError))

    assert importer.run_job(queued_job.pk) == ImportStatus.FAILED

    job = ImportJob.objects.get(pk=queued_job.pk)
    assert (job.imported, job.last_row) == (2 * BATCH, 2 * BATCH + 1)
    assert Resident.objects.count() - residents == 2 * BATCH
    assert job.message.startswith("导入中断")
    assert importer.can_resume(job)

    monkeypatch.setattr(rows, "on_row", lambda row: None)
    monkeypatch.setattr(importer, "_enqueue", lambda job_id: importer.run_job(job_id))
    importer.resume_import(job=job, actor=world.personas["community_officer"])

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert (job.total, job.imported, job.skipped) == (ROWS, ROWS, 0)
    assert Resident.objects.count() - residents == ROWS
    statuses = AuditEntry.objects.filter(action=AuditAction.IMPORT, target_id=str(job.pk))
    assert sorted(e.detail["status"] for e in statuses) == ["done", "failed"]


def test_a_batch_already_committed_by_another_run_is_not_written_twice(world, queued_job):
    importer.run_job(queued_job.pk)
    ImportJob.objects.filter(pk=queued_job.pk).update(status=ImportStatus.RUNNING)
    residents = Resident.objects.count()

    assert importer.run_job(queued_job.pk) == ImportStatus.DONE

    job = ImportJob.objects.get(pk=queued_job.pk)
    assert (job.total, job.imported) == (ROWS, ROWS)
    assert Resident.objects.count() == residents


def test_a_run_whose_process_is_gone_may_be_continued_at_once(tmp_path):
    """Trust probe, finding 8: a crashed import could be resumed only 10 minutes later."""
    import socket
    import subprocess
    import sys

    from django.utils import timezone

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    here = socket.gethostname()
    job = ImportJob(status=ImportStatus.RUNNING, updated_at=timezone.now())
    job.worker = f"{here}:{gone.stdout.strip()}"
    assert importer.can_resume(job)
    job.worker = importer.this_worker()  # this very process: alive
    assert not importer.can_resume(job)
    job.worker = f"another-host:{gone.stdout.strip()}"  # cannot tell: wait for the timeout
    assert not importer.can_resume(job)

"""Importing a ledger (导入台账): accept the upload, then import it in batches.

How a run goes:

- `start_import` refuses a file that is wrong as a whole (type, size, header, no data)
  before anything is written; otherwise it stores the file and queues `run_import` on
  commit.
- `run_job` streams the rows. Each row is checked on its own (a bad row is reported with
  its row number and column, and skipped); rows are written in batches of
  `IMPORT_BATCH_SIZE` (2000), each batch in its own transaction together with the job's
  counts and `last_row`. A run that dies leaves whole batches only, and running the job
  again continues after `last_row`.
- Importing the same file again adds nothing: a person whose ID-card number is already
  registered *in the same household* (or, without a number, a person of the same name in
  the same household) counts as "already present" (`skipped`), not as an error. The same
  number registered at another address is an error (one person, one registration).
  Buildings already present in the grid (same name) are skipped likewise.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import reset_queries, transaction
from django.utils import timezone

from doorstep.atlas.people.models import (
    ImportJob,
    ImportKind,
    ImportStatus,
)
from doorstep.core import audit, background
from doorstep.core.models import AuditAction

from . import columns as C
from .buildings import BuildingRows
from .reader import LedgerFile, LedgerRejected, check
from .residents import ResidentRows
from .rows import RowHandler

logger = logging.getLogger(__name__)

MAX_REPORTED_ERRORS = 5000  # the error table keeps the first 5,000; the count stays exact
# A "running" job untouched this long is taken to have died (its worker was killed). A run
# on this machine whose process is gone is known dead at once (`worker_gone`).
STALE_AFTER_SECONDS = int(os.environ.get("DOORSTEP_IMPORT_STALE_SECONDS", "600"))

PERMISSION = "people.import_ledger"
KIND_PERMISSIONS: dict[str, str] = {ImportKind.BUILDINGS: "places.add_building"}


def batch_size() -> int:
    return int(getattr(settings, "IMPORT_BATCH_SIZE", 2000))


def may_import(actor: Any, kind: str) -> bool:
    extra = KIND_PERMISSIONS.get(kind)
    return bool(actor.has_perm(PERMISSION) and (extra is None or actor.has_perm(extra)))


# -- entry points ---------------------------------------------------------------------------


def start_import(*, kind: str, upload: UploadedFile, actor: Any) -> ImportJob:
    """Accept an uploaded ledger and queue its import (导入台账).

    Raises LedgerRejected (nothing written) for a file that cannot be imported as a whole.
    """
    if kind not in C.COLUMNS:
        raise LedgerRejected("请选择导入类型（楼栋清单或居民台账）")
    if not may_import(actor, kind):
        raise PermissionDenied("没有导入台账的权限")
    name = os.path.basename(upload.name or "")[:255] or "upload.xlsx"
    # Checked before the transaction: reading a big file must not hold SQLite's write lock.
    if upload.file is None:
        raise LedgerRejected("文件是空的")
    expected = check(upload.file, kind=kind, file_name=name, size=upload.size or 0)
    with transaction.atomic():
        job = ImportJob(kind=kind, file_name=name, uploaded_by=actor, expected=expected or 0)
        job.file.save(name, upload, save=False)
        job.save()
        _enqueue(job.pk)
    return job


@transaction.atomic
def resume_import(*, job: ImportJob, actor: Any) -> ImportJob:
    """Queue an interrupted import again; it continues after its last committed batch."""
    if not may_import(actor, job.kind):
        raise PermissionDenied("没有导入台账的权限")
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not can_resume(job):
        raise LedgerRejected("这次导入没有中断，不需要继续")
    job.status = ImportStatus.PENDING
    job.message = ""
    job.save(update_fields=["status", "message", "updated_at"])
    _enqueue(job.pk)
    return job


def can_resume(job: ImportJob) -> bool:
    return died(job)


def died(job: Any) -> bool:
    """Whether a ledger job (an import or an export) stopped without finishing: it failed,
    or it is still marked running or pending but its process is gone or it went stale."""
    if job.status == ImportStatus.FAILED:
        return True
    if job.status == ImportStatus.RUNNING and worker_gone(job.worker):
        return True
    if job.status in {ImportStatus.RUNNING, ImportStatus.PENDING}:
        return (timezone.now() - job.updated_at).total_seconds() >= STALE_AFTER_SECONDS
    return False


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


def worker_gone(worker: str) -> bool:
    """Whether the process that ran a job is known to be gone: it ran on this machine and
    no process has its id any more. A run elsewhere is judged by STALE_AFTER_SECONDS."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # another user's process has that id: alive
    return False


def _enqueue(job_id: int) -> None:
    from doorstep.atlas.people.tasks import run_import

    background.submit(run_import, job_id)


def run_job(job_id: int, *, size: int | None = None) -> str:
    """Run (or continue) an import job; returns its final status. Safe to run twice."""
    job = ImportJob.objects.select_related("uploaded_by").get(pk=job_id)
    if job.status in {ImportStatus.DONE, ImportStatus.REJECTED}:
        return job.status
    actor = job.uploaded_by
    if not actor.is_active or not may_import(actor, job.kind):
        return _finish(job, ImportStatus.FAILED, "导入人已没有导入台账的权限")
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, message="", worker=this_worker(), updated_at=timezone.now()
    )
    try:
        with (
            job.file.open("rb") as fh,
            LedgerFile(fh, kind=job.kind, file_name=job.file_name) as ledger,
        ):
            handler_class = ResidentRows if job.kind == ImportKind.RESIDENTS else BuildingRows
            handler = handler_class(actor, ledger.columns, job.pk)
            _run_batches(job, ledger, handler, size or batch_size())
    except LedgerRejected as exc:
        return _finish(job, ImportStatus.REJECTED, exc.message)
    except Exception as exc:
        # No row values in the log: they are personal data.
        logger.exception("import job %s stopped (%s)", job.pk, type(exc).__name__)
        return _finish(
            job, ImportStatus.FAILED, "导入中断：已提交的批次已保存，可以点击“继续导入”从中断处继续"
        )
    return _finish(job, ImportStatus.DONE, "")


def _finish(job: ImportJob, status: str, message: str) -> str:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        job.status = status
        job.message = message[:500]
        job.finished_at = timezone.now() if status != ImportStatus.FAILED else None
        job.save(update_fields=["status", "message", "finished_at", "updated_at"])
        audit.record(
            actor=job.uploaded_by,
            action=AuditAction.IMPORT,
            target=job,
            detail={
                "kind": job.kind,
                "status": status,
                "total": job.total,
                "imported": job.imported,
                "skipped": job.skipped,
                "registered": job.registered,
                "errors": job.error_count,
            },
        )
    return status


# -- the batch loop -------------------------------------------------------------------------


def _run_batches(job: ImportJob, ledger: LedgerFile, handler: RowHandler, size: int) -> None:
    resume_after = job.last_row
    items: list[Any] = []
    errors: list[dict[str, Any]] = []
    count = 0
    last = 0
    for number, values in ledger.rows():
        # A refused row is never prepared, on the first run as on a resumed one.
        checked = handler.control_characters(number, values) or handler.prepare(
            number, values
        )  # prepare also rebuilds the in-file duplicate state
        if number <= resume_after:
            continue
        count += 1
        last = number
        if isinstance(checked, list):
            errors.extend(checked)
        else:
            items.append(checked)
        if count >= size:
            _commit(job, handler, items, errors, count, last)
            items, errors, count = [], [], 0
            if settings.DEBUG:
                reset_queries()  # DEBUG keeps every SQL string: memory must stay flat
    if count:
        _commit(job, handler, items, errors, count, last)


def _commit(
    job: ImportJob,
    handler: RowHandler,
    items: list[Any],
    errors: list[dict[str, Any]],
    count: int,
    last: int,
) -> None:
    try:
        with transaction.atomic():
            jobs = ImportJob.objects.select_for_update()
            locked = jobs.defer("errors").get(pk=job.pk)
            if locked.last_row >= last:
                return  # another run already committed this batch
            outcome = handler.write(items)
            found = sorted(errors + outcome.errors, key=lambda e: e["row"])
            locked.total += count
            locked.imported += outcome.imported
            locked.skipped += outcome.skipped
            locked.registered += outcome.registered
            locked.error_count += len({e["row"] for e in found})
            locked.last_row = last
            fields = [
                *("total", "imported", "skipped", "registered", "error_count", "last_row"),
                "updated_at",
            ]
            if found:  # the error list is read and rewritten only when it grows
                listed = jobs.values_list("errors", flat=True).get(pk=job.pk)
                room = MAX_REPORTED_ERRORS - len(listed)
                if room > 0:
                    locked.errors = [*listed, *found[:room]]
                    fields.append("errors")
            locked.save(update_fields=fields)
    except BaseException:
        handler.forget()  # ids cached during the rolled-back batch no longer exist
        raise

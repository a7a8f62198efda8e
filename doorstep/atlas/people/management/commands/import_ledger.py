"""manage.py import_ledger FILE --kind residents --user NAME: import a ledger from the shell.

The same import as the ledger page (same checks, batches, audit entry), for operators with
big files. `--resume JOB` continues an interrupted job after its last committed batch.
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser

from doorstep.atlas.people.ledger.importer import LedgerRejected, resume_import, start_import
from doorstep.atlas.people.models import ImportJob
from doorstep.core import background


class Command(BaseCommand):
    help = "Import a building list or resident ledger (.xlsx/.csv) as a given user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?")
        parser.add_argument("--kind", choices=["residents", "buildings"], default="residents")
        parser.add_argument("--user", required=True, help="the importing user's username")
        parser.add_argument("--resume", type=int, help="continue this interrupted job")

    def handle(self, *args: Any, **options: Any) -> None:
        with background.inline_unless_celery():
            self._import(options)

    def _import(self, options: dict[str, Any]) -> None:
        try:
            user = get_user_model().objects.get(username=options["user"], is_active=True)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"没有这个账号：{options['user']}") from exc
        try:
            if options["resume"]:
                job = ImportJob.objects.get(pk=options["resume"], uploaded_by=user)
                job = resume_import(job=job, actor=user)
            else:
                if not options["file"]:
                    raise CommandError("请给出要导入的文件")
                path = options["file"]
                with open(path, "rb") as fh:
                    upload = UploadedFile(
                        fh, name=os.path.basename(path), size=os.path.getsize(path)
                    )
                    job = start_import(kind=options["kind"], upload=upload, actor=user)
        except (LedgerRejected, PermissionDenied, ImportJob.DoesNotExist) as exc:
            raise CommandError(str(getattr(exc, "message", exc))) from exc
        job.refresh_from_db()
        self.stdout.write(
            f"导入任务 {job.pk}：{job.get_status_display()}；共 {job.total} 行，导入 {job.imported}，"
            f"跳过 {job.skipped}，更新房屋登记 {job.registered}，错误 {job.error_count}"
        )

"""Import a 12345 hotline export (.xlsx / .csv) as a given user; or write a sample file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from doorstep.cases.hotline import HotlineFileError, fallback_for, import_hotline
from doorstep.cases.hotline_sample import sample_rows, write_csv, write_xlsx


class Command(BaseCommand):
    help = "导入12345热线工单（Excel/CSV，按工单编号去重）；--write-sample 生成示例文件"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="工单文件（.xlsx 或 .csv）")
        parser.add_argument("--user", help="以该账号导入（须有“导入12345工单”权限）")
        parser.add_argument(
            "--write-sample", action="store_true", help="不导入，而是把示例工单写到 FILE"
        )
        parser.add_argument("--rows", type=int, default=12, help="示例工单的行数")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if options["write_sample"]:
            rows = sample_rows(max(1, options["rows"]))
            if path.suffix.lower() == ".csv":
                path.write_bytes(write_csv(rows))
            else:
                write_xlsx(path, rows)
            self.stdout.write(f"已写入示例工单 {len(rows)} 行：{path}")
            return
        if not options.get("user"):
            raise CommandError("请用 --user 指定导入账号")
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"账号“{options['user']}”不存在或已停用")
        if not user.has_perm("cases.import_hotline"):
            raise CommandError(f"账号“{user.username}”没有导入12345工单的权限")
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        fallback = fallback_for(user)
        with path.open("rb") as fh:
            try:
                result = import_hotline(fh, path.name, actor=user, fallback=fallback)
            except HotlineFileError as exc:
                raise CommandError(exc.message) from exc
        for row_no, message in result.errors:
            self.stderr.write(f"第{row_no}行：{message}")
        self.stdout.write(str(result))

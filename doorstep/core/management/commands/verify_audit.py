"""manage.py verify_audit: check the audit log's keyed hash chain and its signed
checkpoints; exit 1 naming what is wrong."""

from django.core.management.base import BaseCommand, CommandError

from doorstep.core import checkpoints
from doorstep.core.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log: the keyed hash chain and the signed checkpoints."

    def handle(self, *args: object, **options: object) -> None:
        report = verify_chain()
        problems = []
        if not report.ok:
            problems.append(
                f"审计日志链在第 {report.broken_id} 条处断裂：{report.reason}"
                f"（此前 {report.checked} 条完好）"
            )
        problems += [f.reason for f in checkpoints.verify()]
        if problems:
            raise CommandError("\n".join(problems))
        points = len(checkpoints.read())
        self.stdout.write(
            f"审计日志完好：共 {report.checked} 条，哈希链连续，{points} 个签名检查点相符。"
        )

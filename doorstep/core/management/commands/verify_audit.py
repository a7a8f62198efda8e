"""manage.py verify_audit: check the audit log's hash chain; exit 1 at the first break."""

from django.core.management.base import BaseCommand, CommandError

from doorstep.core.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log and name the first broken entry."

    def handle(self, *args: object, **options: object) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"审计日志链在第 {report.broken_id} 条处断裂：{report.reason}"
                f"（此前 {report.checked} 条完好）"
            )
        self.stdout.write(f"审计日志完好：共 {report.checked} 条，哈希链连续。")

"""manage.py reencrypt: re-encrypt every encrypted field under the current key and
recompute every stored lookup hash, so that old field keys (and an old lookup key) can be
retired.

Why: `doorstep.core.crypto` encrypts with the first key of DOORSTEP_FIELD_KEY and decrypts
with any of them, so a new key can be put first at any time. But every value written
before still needs its old key, and the lookup hashes (HMACs of the ID and phone numbers
used for exact-match search and for the uniqueness of ID numbers) need the lookup key they
were made with. Until every row is rewritten, no old key may be dropped.

How to rotate:

1. Put the new field key first in DOORSTEP_FIELD_KEY and keep the old ones after it
   (`new,old`). To rotate the lookup key too, set the new DOORSTEP_LOOKUP_KEY. (If
   DOORSTEP_LOOKUP_KEY is unset the lookup key is derived from the *last* field key:
   set it explicitly before that key is ever dropped; the command warns about this.)
2. Restart the application with the new settings, then run `manage.py reencrypt`
   (`--dry-run` first to see the counts and any value no configured key can read).
3. When it finishes without errors, drop the old keys from DOORSTEP_FIELD_KEY.

What it does: it finds every EncryptedTextField / EncryptedJSONField of every installed
model (no list to keep up to date) and, for each model, walks the rows in primary-key
order, in batches of `--batch` rows each in its own transaction. For each row it reads the
raw ciphertext, decrypts it with the configured keys and encrypts it again under the first
key; for the lookup hashes in HASHES it recomputes the HMAC from the decrypted source
value under the current lookup key. Rows are written with `QuerySet.update()` (one
UPDATE per batch), so no `save()`, no signals, no `auto_now` timestamps, no counters move:
the plaintext does not change. Rows in the batch being read are locked (`SELECT ... FOR
UPDATE` where the database has it) so a concurrent edit is not overwritten with the old
value.

It is idempotent (a second run re-encrypts again, harmlessly) and safe to interrupt: each
batch commits on its own, and every row is readable at any moment as long as the old keys
stay configured; after a crash, simply run it again. A value that no configured key can
decrypt is left untouched and counted; the command then exits with an error (after the
audit entry is written), because the old keys must not be dropped yet.

Not covered, on purpose: the failed-login entries of unknown usernames in the audit log
(`accounts.lockout.recorded_name`) hold a truncated lookup hash, but the log is append-only
and the username itself is not stored; after a lookup-key rotation those counters start
afresh, which at worst shortens one lockout window.

The audit log gets one entry with counts only: no values, no keys.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.db.models.functions import Cast

from doorstep.core import audit, crypto
from doorstep.core.crypto import EncryptedJSONField, EncryptedTextField
from doorstep.core.models import AuditAction

ENCRYPTED_FIELD_TYPES = (EncryptedTextField, EncryptedJSONField)


@dataclass(frozen=True)
class HashSpec:
    """A stored lookup hash: `model.hash_field` is `lookup_hash(model.source_field)`, or
    `empty` when the source is empty."""

    model: str  # app_label.ModelName (by label: core must not import the domains)
    hash_field: str
    source_field: str
    empty: str | None


# Every column that stores a `crypto.lookup_hash` of a value in the same row. Keep it in
# step with the code that writes them (grep -rn lookup_hash doorstep).
HASHES: tuple[HashSpec, ...] = (
    HashSpec("people.Resident", "id_card_hash", "id_card", None),
    HashSpec("people.Resident", "phone_hash", "phone", ""),
)

_UNREADABLE = object()  # a source value no configured key could decrypt


def encrypted_fields() -> list[models.Field[Any, Any]]:
    """Every encrypted field of every installed model, each once (on the model that owns
    its column: not again on a proxy or a multi-table child)."""
    found: list[models.Field[Any, Any]] = []
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for f in model._meta.concrete_fields:
            if isinstance(f, ENCRYPTED_FIELD_TYPES) and f.model is model:
                found.append(f)
    return found


def label_of(f: models.Field[Any, Any]) -> str:
    return f"{f.model._meta.label}.{f.name}"


@dataclass
class Plan:
    """What to do for one model: the encrypted columns and the lookup hashes it holds."""

    model: type[models.Model]
    encrypted: list[models.Field[Any, Any]] = field(default_factory=list)
    hashes: list[HashSpec] = field(default_factory=list)


@dataclass
class Tally:
    reencrypted: Counter[str] = field(default_factory=Counter)
    recomputed: Counter[str] = field(default_factory=Counter)
    changed: Counter[str] = field(default_factory=Counter)
    unreadable: Counter[str] = field(default_factory=Counter)


def build_plans() -> list[Plan]:
    plans: dict[type[models.Model], Plan] = {}
    for f in encrypted_fields():
        plans.setdefault(f.model, Plan(f.model)).encrypted.append(f)
    for spec in HASHES:
        model = apps.get_model(spec.model)
        model._meta.get_field(spec.hash_field)  # fail loudly if the registry is stale
        model._meta.get_field(spec.source_field)
        plans.setdefault(model, Plan(model)).hashes.append(spec)
    return sorted(plans.values(), key=lambda p: p.model._meta.label)


def _raw_alias(name: str) -> str:
    return f"reencrypt_raw_{name}"


class Command(BaseCommand):
    help = (
        "用字段密钥列表中的第一个密钥重新加密所有加密字段，并用当前检索密钥重算所有检索哈希；"
        "完成后即可删除旧密钥。可中断、可重复运行。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="只统计将要改动的行数（并检查每个值能否解密），不写入任何数据",
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=500,
            help="每批处理的行数，每批一个事务（默认 500）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch: int = options["batch"]
        dry_run: bool = options["dry_run"]
        if batch < 1:
            raise CommandError("--batch 必须是正整数")
        crypto._keys.cache_clear()  # the settings as they are now, not as first read
        if not settings.FIELD_LOOKUP_KEY:
            self.stderr.write(
                self.style.WARNING(
                    "注意：未设置 DOORSTEP_LOOKUP_KEY，检索哈希的密钥由字段密钥列表中最后一个"
                    "（最旧的）密钥派生。删除该密钥后，按身份证号、电话的检索和身份证号查重都将"
                    "失效。请先设置 DOORSTEP_LOOKUP_KEY 并重新运行本命令，再删除旧密钥。"
                )
            )

        tally = Tally()
        plans = build_plans()
        for plan in plans:
            self._run_plan(plan, batch=batch, dry_run=dry_run, tally=tally)

        self._report(plans, tally, dry_run=dry_run)
        if not dry_run:
            audit.record(
                actor=None,
                actor_name="manage.py reencrypt",
                action=AuditAction.UPDATE,
                target_type="crypto",
                detail={
                    "operation": "reencrypt",
                    "reencrypted": dict(sorted(tally.reencrypted.items())),
                    "hashes_recomputed": dict(sorted(tally.recomputed.items())),
                    "hashes_changed": dict(sorted(tally.changed.items())),
                    "unreadable": dict(sorted(tally.unreadable.items())),
                    "total_reencrypted": sum(tally.reencrypted.values()),
                    "total_hashes_recomputed": sum(tally.recomputed.values()),
                    "lookup_key": "explicit" if settings.FIELD_LOOKUP_KEY else "derived",
                    "batch": batch,
                },
            )
        if tally.unreadable:
            parts = "；".join(f"{name} {n} 个" for name, n in sorted(tally.unreadable.items()))
            raise CommandError(
                f"有值无法用当前配置的任何字段密钥解密，已原样跳过：{parts}。"
                "请检查 DOORSTEP_FIELD_KEY 是否漏了旧密钥；在此之前不要删除任何旧密钥。"
            )

    # -- one model ------------------------------------------------------------------
    def _run_plan(self, plan: Plan, *, batch: int, dry_run: bool, tally: Tally) -> None:
        model = plan.model
        encrypted = {f.name: f for f in plan.encrypted}
        # Columns read raw (the ciphertext, not through from_db_value): the encrypted ones
        # and the sources of the hashes.
        raw_names = list(encrypted)
        for spec in plan.hashes:
            if spec.source_field not in raw_names:
                raw_names.append(spec.source_field)
        hash_names = [spec.hash_field for spec in plan.hashes]
        annotations = {
            _raw_alias(name): Cast(name, output_field=models.TextField()) for name in raw_names
        }
        columns = ["pk", *annotations, *hash_names]

        last: Any = None
        while True:
            with transaction.atomic():
                qs = model._base_manager.order_by("pk")
                if last is not None:
                    qs = qs.filter(pk__gt=last)
                if not dry_run:
                    qs = qs.select_for_update()
                rows = list(qs.annotate(**annotations).values_list(*columns)[:batch])
                if not rows:
                    return
                last = rows[-1][0]
                new_values: dict[str, dict[Any, Any]] = {
                    name: {} for name in [*encrypted, *hash_names]
                }
                for row in rows:
                    self._row(row, plan, raw_names, encrypted, new_values, tally)
                if not dry_run:
                    self._write(model, plan, new_values)
            if len(rows) < batch:
                return

    def _row(
        self,
        row: tuple[Any, ...],
        plan: Plan,
        raw_names: list[str],
        encrypted: dict[str, models.Field[Any, Any]],
        new_values: dict[str, dict[Any, Any]],
        tally: Tally,
    ) -> None:
        pk = row[0]
        raws = dict(zip(raw_names, row[1 : 1 + len(raw_names)], strict=True))
        hashes = dict(
            zip([s.hash_field for s in plan.hashes], row[1 + len(raw_names) :], strict=True)
        )
        plain: dict[str, Any] = {}
        for name, raw in raws.items():
            if name not in encrypted or raw is None or raw == "":
                plain[name] = raw
                continue
            label = label_of(encrypted[name])
            try:
                plain[name] = crypto.decrypt(raw)
            except ValueError:
                plain[name] = _UNREADABLE
                tally.unreadable[label] += 1
                continue
            new_values[name][pk] = crypto.encrypt(plain[name])
            tally.reencrypted[label] += 1
        for spec in plan.hashes:
            source = plain[spec.source_field]
            if source is _UNREADABLE:
                continue  # left as it is; the run ends with an error
            label = f"{spec.model}.{spec.hash_field}"
            if source:
                digest: str | None = crypto.lookup_hash(source)
                tally.recomputed[label] += 1
            else:
                digest = spec.empty
            if digest != hashes[spec.hash_field]:
                new_values[spec.hash_field][pk] = digest
                tally.changed[label] += 1

    def _write(
        self, model: type[models.Model], plan: Plan, new_values: dict[str, dict[Any, Any]]
    ) -> None:
        """One UPDATE ... SET col = CASE pk WHEN ... END per chunk: the values are written
        as they are (already encrypted), bypassing the fields' get_prep_value, save() and
        the signals."""
        targets: dict[str, models.Field[Any, Any]] = {}
        for f in plan.encrypted:
            targets[f.name] = models.TextField()  # the column holds the ciphertext as text
        for spec in plan.hashes:
            targets[spec.hash_field] = model._meta.get_field(spec.hash_field)  # type: ignore[assignment]
        pks = sorted({pk for values in new_values.values() for pk in values})
        if not pks:
            return
        # Two parameters per value and one per key: stay under the database's limit.
        limit = connection.features.max_query_params or 30000
        step = max(1, (limit - 10) // (2 * len(targets) + 1))
        for start in range(0, len(pks), step):
            chunk = pks[start : start + step]
            updates: dict[str, Any] = {}
            for name, output in targets.items():
                whens = [
                    models.When(pk=pk, then=models.Value(new_values[name][pk], output_field=output))
                    for pk in chunk
                    if pk in new_values[name]
                ]
                if not whens:
                    continue
                case: Any = models.Case(*whens, default=models.F(name), output_field=output)
                if connection.features.requires_casted_case_in_updates:
                    case = Cast(case, output_field=output)
                updates[name] = case
            model._base_manager.filter(pk__in=chunk).update(**updates)

    # -- summary --------------------------------------------------------------------
    def _report(self, plans: list[Plan], tally: Tally, *, dry_run: bool) -> None:
        verb = "将重新加密" if dry_run else "已重新加密"
        hverb = "将重算" if dry_run else "已重算"
        out = self.stdout
        if dry_run:
            out.write("试运行：只统计，不写入任何数据。")
        out.write("加密字段：")
        for plan in plans:
            meta = plan.model._meta
            for f in plan.encrypted:
                label = label_of(f)
                line = (
                    f"  {label}（{meta.verbose_name}·{f.verbose_name}）："
                    f"{verb} {tally.reencrypted[label]} 行"
                )
                if tally.unreadable[label]:
                    line += f"，无法解密 {tally.unreadable[label]} 行（未改动）"
                out.write(line)
        out.write("检索哈希：")
        for plan in plans:
            for spec in plan.hashes:
                label = f"{spec.model}.{spec.hash_field}"
                out.write(
                    f"  {label}（由 {spec.source_field} 计算）：{hverb} {tally.recomputed[label]} 行，"
                    f"其中值有变化 {tally.changed[label]} 行"
                )
        out.write(
            f"合计：{verb} {sum(tally.reencrypted.values())} 个字段值，"
            f"{hverb} {sum(tally.recomputed.values())} 个检索哈希"
            f"（其中 {sum(tally.changed.values())} 个有变化）。"
        )
        if not dry_run and not tally.unreadable:
            out.write(
                self.style.SUCCESS(
                    "完成。确认应用运行正常后，即可从 DOORSTEP_FIELD_KEY 删除旧密钥。"
                )
            )

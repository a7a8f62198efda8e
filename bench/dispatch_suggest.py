"""Benchmark: how often the first dispatch suggestion is the handler that did the work.

    .venv/bin/python bench/dispatch_suggest.py

On a fresh SQLite file: migrate and seed the 学院路 demo street (what `make demo` loads,
a few months of case history). Then every case that was dispatched and handled to the
end is dispatched again on paper: the suggestions are worked out from the street's history
with that case's own outcome held out (leave one out), and the first one is compared with
the lead that actually finished the case. For comparison, the same is counted for the
plain rule a dispatcher would use without history (the category's default handler, else
the case's grid).

Last line: `bench dispatch_suggest: ratio X (target >= 0.80) PASS|MISS`, X the share of
cases whose first suggestion was right.
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.80


def setup() -> None:
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "dispatch_suggest.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("DOORSTEP_LOG_LEVEL", "ERROR")
    os.environ.pop("CELERY_BROKER_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", stdout=io.StringIO())


def main() -> int:
    started = time.perf_counter()
    setup()
    from doorstep.atlas.organisations.models import Kind, Organisation
    from doorstep.cases import suggest
    from doorstep.cases.models import Case

    street = Organisation.objects.get(kind=Kind.STREET, name__startswith="学院路")
    h = suggest.history(street.path)
    print(f"seeded in {time.perf_counter() - started:.0f} s; {len(h.rows)} cases to re-dispatch")
    cases = Case.objects.select_related("category", "territory").in_bulk(
        [r.case_id for r in h.rows]
    )
    right = plain = 0
    misses: dict[str, int] = {}
    for row in h.rows:
        case = cases[row.case_id]
        first = suggest.suggestions(case, h.without(case.pk), limit=1)
        actual = suggest.target_key(case, row.outcome)
        if first and first[0].key == actual:
            right += 1
        else:
            misses[case.category.name] = misses.get(case.category.name, 0) + 1
        default = case.category.default_handler_id
        rule = f"o:{default}" if default else f"o:{case.territory_id}"
        plain += rule == actual
    n = len(h.rows)
    ratio = right / n if n else 0.0
    print(f"first suggestion right: {right} of {n}; the plain rule: {plain} of {n}")
    worst = sorted(misses.items(), key=lambda x: -x[1])[:5]
    print("misses by category: " + "，".join(f"{k} {v}" for k, v in worst))
    verdict = "PASS" if n >= 50 and ratio >= TARGET else "MISS"
    print(f"bench dispatch_suggest: ratio {ratio:.2f} (target >= {TARGET:.2f}) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

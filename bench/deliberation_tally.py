"""Benchmark: tallying owners' votes and surveys against SQL GROUP BY over the same rows.

    .venv/bin/python bench/deliberation_tally.py [--rows 100000]

Into a fresh database — a SQLite file under var/bench/, and, when DATABASE_URL points at
PostgreSQL, a scratch database `<name>_bench_deliberation_tally` on that server (dropped afterwards
unless BENCH_KEEP=1) — it writes (bulk, outside the services: the rows, not the path that
writes them, are measured here):
  * 50 owners' votes over one compound of 2,000 parts (100,000 roll rows; owners of
    several parts among them, about 70 % of the owners voting, each owner's parts the
    same way, as the service writes them);
  * a public survey of 12,500 responses of 8 answer rows each (100,000 answer rows): a
    single choice, a multiple choice, a rating, a three-row matrix and a free text that
    repeats in 繁体 and with punctuation.
Then, round after round, interleaved, median of several:
  * ours: `ballots.tally` for every vote, `survey_results.tally` for the survey;
  * the anchor: the same figures from hand-written GROUP BY queries (a vote's roll LEFT
    JOIN its votes grouped by choice, owners counted once by DISTINCT, areas summed;
    answers counted per question, row and choice; texts grouped with the same
    normalisation), compared with ours and required equal.
Target (issue 17): each at most 1.5× its anchor. The last line is
`bench deliberation_tally_sqlite: ratio X (target <= 1.5) PASS|MISS`, X the worse ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from _scratch import (  # bench/ is on sys.path when run as a script
    fresh_sqlite,
    on_each_database,
    timed,
)

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5
RUNS = 7
WARMUP = 1
PARTS = 2000
TEXTS = (
    "希望尽快加装电梯",
    "希望盡快加裝電梯！",
    "楼道灯太暗",
    "增设休息座椅。",
    "希望 尽快加装电梯",
)


# --- the rows ------------------------------------------------------------------------------


def seed(rows: int) -> tuple[list[Any], Any]:
    from django.utils import timezone

    from doorstep.atlas.places.models import Building, Compound, Household, Unit
    from doorstep.core.testing import build_world
    from doorstep.deliberation.models import (
        Answer,
        Ballot,
        BallotVote,
        Question,
        Response,
        RollEntry,
        Survey,
    )

    rng = random.Random(17)
    world = build_world()
    compound = Compound.objects.create(name="静淑苑", community=world.community_1)
    building = Building.objects.create(name="静淑苑9号楼", grid=world.grid_a, compound=compound)
    unit = Unit.objects.create(building=building, number="1单元")
    Household.objects.bulk_create(
        Household(unit=unit, grid=world.grid_a, room=str(n), area=rng.randint(5000, 15000))
        for n in range(PARTS)
    )
    homes = list(Household.objects.filter(unit=unit).values_list("pk", "area"))
    # every tenth owner holds three parts; the rest one each
    owner_of: dict[int, str] = {}
    for i, (pk, _area) in enumerate(homes):
        owner_of[pk] = f"o{i // 3}" if i % 30 < 3 else f"o{i}"
    now = timezone.now()
    ballots = []
    for n in range(rows // PARTS):
        ballot = Ballot.objects.create(
            compound=compound, path=world.community_1.path, title=f"表决{n}", question="内容",
            matter="major" if n % 2 else "ordinary", opens_at=now - dt.timedelta(days=2),
            closes_at=now - dt.timedelta(days=1), status="closed",
        )  # fmt: skip
        RollEntry.objects.bulk_create(
            (RollEntry(ballot=ballot, household_id=pk, owner=owner_of[pk], area=area)
             for pk, area in homes), batch_size=2000,
        )  # fmt: skip
        said: dict[str, str] = {}
        for owner in set(owner_of.values()):
            if rng.random() < 0.7:
                said[owner] = rng.choice(["yes", "yes", "no", "abstain"])
        BallotVote.objects.bulk_create(
            (BallotVote(ballot=ballot, household_id=pk, choice=said[owner_of[pk]])
             for pk, _ in homes if owner_of[pk] in said), batch_size=2000,
        )  # fmt: skip
        ballots.append(ballot)

    survey = Survey.objects.create(
        node=world.community_1, path=world.community_1.path, title="基准问卷", audience="public",
        token="bench", opens_at=now - dt.timedelta(days=9), closes_at=now + dt.timedelta(days=9),
        status="open",
    )  # fmt: skip
    kinds = [("single", ["一", "二", "三"], []), ("multiple", ["甲", "乙", "丙", "丁"], []),
             ("rating", [], []), ("matrix", ["好", "中", "差"], ["保洁", "绿化", "停车"]),
             ("text", [], [])]  # fmt: skip
    qs = [
        Question.objects.create(survey=survey, position=i + 1, kind=k, text=f"题{i + 1}",
                                options=opts, rows=lines, scale=5)
        for i, (k, opts, lines) in enumerate(kinds)
    ]  # fmt: skip
    people = rows // 8  # 8 answer rows each
    Response.objects.bulk_create(
        (Response(survey=survey, key=f"a:{n}", submitted_at=now) for n in range(people)),
        batch_size=5000,
    )
    answers: list[Answer] = []
    for rid in Response.objects.filter(survey=survey).values_list("pk", flat=True):
        single, multi, rating, matrix, text = qs
        answers.append(
            Answer(response_id=rid, survey=survey, question=single, choice=rng.randrange(3))
        )
        for c in rng.sample(range(4), 2):
            answers.append(Answer(response_id=rid, survey=survey, question=multi, choice=c))
        answers.append(
            Answer(response_id=rid, survey=survey, question=rating, choice=rng.randint(1, 5))
        )
        for r in range(3):
            answers.append(Answer(response_id=rid, survey=survey, question=matrix, row=r,
                                  choice=rng.randrange(3)))  # fmt: skip
        answers.append(Answer(response_id=rid, survey=survey, question=text,
                              text=rng.choice(TEXTS) + (str(rng.randrange(50)) if rng.random() < .3 else "")))  # fmt: skip
    Answer.objects.bulk_create(answers, batch_size=5000)
    return ballots, survey


# --- the anchors ---------------------------------------------------------------------------


def anchor_ballot(ballot_id: int, matter: str) -> dict[str, Any]:
    """The owners' figures from one GROUP BY, thresholds on the integers."""
    from django.db import connection

    from doorstep.deliberation.vote_rule import at_least, more_than

    # one GROUP BY: the roll joined to this ballot's votes, per choice (NULL: did not vote);
    # an owner votes all their parts alike, so each owner is in one group
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v.choice, COUNT(DISTINCT r.owner), SUM(r.area) "
            "FROM deliberation_rollentry r LEFT JOIN deliberation_ballotvote v "
            "  ON v.ballot_id = r.ballot_id AND v.household_id = r.household_id "
            "WHERE r.ballot_id = %s GROUP BY v.choice",
            [ballot_id],
        )
        rows = cursor.fetchall()
    owners, area = sum(n for _, n, _ in rows), sum(a for _, _, a in rows)
    by = {c: (n, a) for c, n, a in rows if c is not None}
    voted = (sum(n for n, _ in by.values()), sum(a for _, a in by.values()))
    yes, no = by.get("yes", (0, 0)), by.get("no", (0, 0))
    if matter == "major":
        pass_area, pass_owners = at_least(yes[1], voted[1], 3, 4), at_least(yes[0], voted[0], 3, 4)
    else:
        pass_area = more_than(yes[1], voted[1], 1, 2)
        pass_owners = more_than(yes[0], voted[0], 1, 2)
    return {
        "total": (owners, area), "voted": voted, "yes": yes, "no": no,
        "quorum": (quorum := at_least(voted[1], area, 2, 3) and at_least(voted[0], owners, 2, 3)),
        "passed": quorum and voted[0] > 0 and pass_area and pass_owners,
    }  # fmt: skip


def ours_ballot(ballot: Any) -> dict[str, Any]:
    from doorstep.deliberation import ballots

    t = ballots.tally(ballot)
    return {
        "total": (t.total.owners, t.total.area), "voted": (t.voted.owners, t.voted.area),
        "yes": (t.yes.owners, t.yes.area), "no": (t.no.owners, t.no.area),
        "quorum": t.quorum, "passed": t.passed,
    }  # fmt: skip


def anchor_survey(survey_id: int) -> dict[int, Any]:
    from django.db import connection

    from doorstep.deliberation.survey_results import normalised

    out: dict[Any, Any] = defaultdict(lambda: {"cells": {}, "answered": 0, "texts": {}})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT channel, COUNT(*) FROM deliberation_response WHERE survey_id = %s "
            "GROUP BY channel",
            [survey_id],
        )
        out["responses"] = dict(cursor.fetchall())
        cursor.execute(
            "SELECT question_id, row, choice, COUNT(*) FROM deliberation_answer "
            "WHERE survey_id = %s AND choice IS NOT NULL GROUP BY question_id, row, choice",
            [survey_id],
        )
        for q, row, choice, n in cursor.fetchall():
            out[q]["cells"][(row, choice)] = n
        cursor.execute(
            "SELECT question_id, COUNT(DISTINCT response_id) FROM deliberation_answer "
            "WHERE survey_id = %s GROUP BY question_id",
            [survey_id],
        )
        for q, n in cursor.fetchall():
            out[q]["answered"] = n
        cursor.execute(
            "SELECT question_id, text FROM deliberation_answer "
            "WHERE survey_id = %s AND text <> '' ORDER BY id",
            [survey_id],
        )
        for q, said in cursor.fetchall():
            key = normalised(said) or said
            out[q]["texts"][key] = out[q]["texts"].get(key, 0) + 1
    return dict(out)


def ours_survey(survey: Any) -> dict[int, Any]:
    from doorstep.deliberation import survey_results

    res = survey_results.tally(survey, survey.responses.all(), whole=True)
    out: dict[Any, Any] = {"responses": {"online": res.online}}
    for r in res.questions:
        q = r.question
        cells: dict[tuple[Any, int], int] = {}
        if q.kind == "matrix":
            cells = {(i, c): n for i, row in enumerate(r.matrix) for c, n in enumerate(row) if n}
        elif q.kind == "rating":
            cells = {(None, c + 1): n for c, n in enumerate(r.counts) if n}
        elif q.kind != "text":
            cells = {(None, c): n for c, n in enumerate(r.counts) if n}
        texts = {survey_results.normalised(g.text) or g.text: g.count for g in r.groups}
        out[q.pk] = {"cells": cells, "answered": r.answered, "texts": texts}
    return out


# --- one database, in a child process ------------------------------------------------------


def child(rows: int, label: str) -> int:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("DOORSTEP_LOG_LEVEL", "ERROR")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from doorstep.deliberation.models import Answer, RollEntry

    settings.DEBUG = False
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    ballots, survey = seed(rows)
    print(
        f"seeded {RollEntry.objects.count()} roll rows in {len(ballots)} votes and "
        f"{Answer.objects.count()} survey answers in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    for b in ballots:
        if ours_ballot(b) != anchor_ballot(b.pk, b.matter):
            print(f"MISMATCH on vote {b.pk}:\n{ours_ballot(b)}\n{anchor_ballot(b.pk, b.matter)}")
            return 1
    if ours_survey(survey) != anchor_survey(survey.pk):
        print(f"MISMATCH on the survey:\n{ours_survey(survey)}\n{anchor_survey(survey.pk)}")
        return 1
    times = timed(
        {
            "ballots.tally": lambda: [ours_ballot(b) for b in ballots],
            "ballots anchor": lambda: [anchor_ballot(b.pk, b.matter) for b in ballots],
            "survey tally": lambda: ours_survey(survey),
            "survey anchor": lambda: anchor_survey(survey.pk),
        },
        RUNS,
        WARMUP,
    )
    med = {name: statistics.median(runs) for name, runs in times.items()}
    for name, runs in times.items():
        spread = ", ".join(f"{t:.0f}" for t in sorted(runs))
        print(f"{name:>15}: median {med[name]:8.1f} ms  (runs: {spread})")
    ratios = {
        "votes": med["ballots.tally"] / med["ballots anchor"],
        "survey": med["survey tally"] / med["survey anchor"],
    }
    print("ratios: " + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()))
    worst = max(ratios.values())
    print(
        f"bench deliberation_tally_{label}: ratio {worst:.2f} (target <= {TARGET_RATIO}, "
        f"votes and survey) {'PASS' if worst <= TARGET_RATIO else 'MISS'}",
        flush=True,
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_ROWS", "100000")))
    parser.add_argument("--child", metavar="LABEL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.rows, args.child)
    return on_each_database(
        __file__,
        "deliberation_tally",
        fresh_sqlite("deliberation_tally"),
        ["--rows", str(args.rows)],
    )


if __name__ == "__main__":
    sys.exit(main())

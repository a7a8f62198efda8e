"""The housing register and owners' votes on the 学院路 demo.

Every home of the street gets its exclusive part's area (as registered, 45–140 m²); the
head of each owner-occupied household is registered as its owner (a let flat's landlord
lives elsewhere and is not in the ledger: it counts as an owner of its own). In a
compound of the first community, the vacant flats are the developer's, an owner gets the
`owner` login (业主), and there are three votes: one that failed on the floor area with
the headcount there, its second round that passed, and one open now that the `owner`
login can cast. Written through `doorstep.deliberation.ballots` like any vote; past votes
are cast while open and their window then moved into the past."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Count, F
from django.utils import timezone

from doorstep.accounts.models import Membership
from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.people.models import Holding, HoldingRole, Relation, Resident
from doorstep.atlas.places.models import AreaSource, Compound, Household, Tenure
from doorstep.deliberation import ballots
from doorstep.deliberation.models import Ballot, BallotVote, RollEntry

from .common import Log
from .logins import Login, ensure_logins


def seed_register(street: Organisation, log: Log) -> None:
    homes = Household.objects.filter(grid__path__startswith=street.path)
    # 45.00–140.00 m², spread by the id in one statement (a loop of 12,000 saves took 3 s)
    homes.update(area=F("id") * 7919 % 9501 + 4500, area_source=AreaSource.REGISTERED)
    owned = homes.filter(tenure=Tenure.OWNER).values("pk")
    heads = dict(
        Resident.objects.filter(household__in=owned, relation=Relation.HEAD).values_list(
            "household_id", "pk"
        )
    )
    since = timezone.localdate() - dt.timedelta(days=3650)
    Holding.objects.bulk_create(
        (Holding(household_id=h, resident_id=r, role=HoldingRole.OWNER, since=since)
         for h, r in heads.items()),
        batch_size=2000,
    )  # fmt: skip
    log(f"  房屋登记：{homes.count()} 户登记专有部分面积，{len(heads)} 户登记业主")


def _compound(community: Organisation) -> Compound | None:
    return (
        Compound.objects.filter(community=community)
        .annotate(n=Count("buildings__units__households"))
        .filter(n__gte=20)
        .order_by("n", "pk")
        .first()
    )


def seed_ballots(street: Organisation, log: Log) -> None:
    staff = get_user_model().objects.filter(username="community").first()
    held = Membership.objects.filter(
        user=staff, role__code="community_staff", organisation__path__startswith=street.path
    ).first()
    if staff is None or held is None:
        return
    community = held.organisation
    compound = _compound(community)
    if compound is None or Ballot.objects.filter(compound=compound).exists():
        return
    parts = ballots.parts_of(compound)
    parts.filter(tenure=Tenure.VACANT).update(developer_held=True)
    Holding.objects.filter(household__in=parts.filter(developer_held=True)).delete()
    owner = (
        Resident.objects.filter(household__in=parts, holdings__role=HoldingRole.OWNER)
        .order_by("pk")
        .first()
    )
    if owner is None:
        return
    ensure_logins([Login("owner", f"业主{owner.name}", "resident", community, owner)])
    now = timezone.now()

    def vote(title: str, matter: str, days_ago: int, pick: str) -> Ballot:
        ballot = ballots.draw_up(
            actor=staff, compound=compound, title=title, matter=matter,
            question=f"{compound.name}全体业主：{title}，请于投票期内表决。",
            opens_at=now - dt.timedelta(days=days_ago), closes_at=now + dt.timedelta(days=7),
        )  # fmt: skip
        ballot = ballots.open_ballot(actor=staff, ballot=ballot)
        roll = list(RollEntry.objects.filter(ballot=ballot).order_by("area", "household_id"))
        owners: dict[str, list[RollEntry]] = {}
        for entry in roll:
            owners.setdefault(entry.owner, []).append(entry)
        keys = list(owners)  # smallest homes first
        if pick == "headcount_only":  # the smaller 70% of owners: enough heads, too little area
            chosen = keys[: -(-len(keys) * 7 // 10)]
        else:
            chosen = keys[len(keys) // 10 :]  # all but the smallest tenth
        ballots.enter_paper_stack(
            actor=staff, ballot=ballot,
            choices={owners[k][0].household_id: "no" if n % 4 == 3 else "yes"
                     for n, k in enumerate(chosen)},
        )  # fmt: skip
        return ballot

    first = vote("选聘新的物业服务企业", "ordinary", 60, "headcount_only")
    second = vote("选聘新的物业服务企业（第二次表决）", "ordinary", 40, "most")
    for ballot, ended in ((first, 50), (second, 30)):
        closes = now - dt.timedelta(days=ended)
        Ballot.objects.filter(pk=ballot.pk).update(closes_at=closes)
        BallotVote.objects.filter(ballot=ballot).update(cast_at=closes - dt.timedelta(days=3))
        ballot.refresh_from_db()
        ballots.close_ballot(actor=staff, ballot=ballot)
    third = ballots.draw_up(
        actor=staff, compound=compound, title="利用共有部分建设电动自行车充电棚",
        question="拟在小区北侧绿地边缘（共有部分）建设电动自行车集中充电棚，收费用于充电设施维护。",
        matter="major", opens_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=13),
    )  # fmt: skip
    ballots.open_ballot(actor=staff, ballot=third)
    results = "、".join(
        f"{b.title}（{'通过' if b.passed else '未通过'}）"
        for b in Ballot.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk")
    )
    log(f"  业主表决（{compound.name}）：{results}；进行中 1 项，业主账号 owner")

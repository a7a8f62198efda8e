"""Removing a seeded subtree (重建演示数据), in an order the PROTECT foreign keys allow.

Users are kept (the append-only audit log may point at them); only their roles inside the
subtree go. The audit log itself is never touched. The subtree's cases go first, with their
events, photos, rollup shares and inbox messages (`delete_cases`).
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Q

from doorstep.accounts.models import Membership
from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.people import tallies
from doorstep.atlas.people.models import CentralHousehold, HouseholdLink, PartyMember, Resident
from doorstep.atlas.places.models import Building, Compound, Household, Unit
from doorstep.cases import category_rollups, rollups
from doorstep.cases.models import Attachment, Case, CaseEvent, CategoryRollup, Rollup
from doorstep.cogov.models import (
    Agreement,
    Alliance,
    Fund,
    FundLine,
    Match,
    Need,
    Pairing,
    PairingOffer,
    Project,
    ProjectEvent,
    Proposal,
    Resource,
    Seat,
    UnitProfile,
)
from doorstep.inbox.models import Notification
from doorstep.nearby.sites.models import Booking, BookingSeries, Room, ServiceSite
from doorstep.service.models import Visit


def delete_subtree(root: Organisation) -> dict[str, int]:
    """Delete everything under `root` (and `root`); returns rows deleted per table."""
    done: dict[str, int] = {}

    def drop(label: str, qs: object) -> None:
        done[label] = qs.only("pk").delete()[0]  # type: ignore[attr-defined]

    _delete_service(root.path, drop)  # its records hold cases and activities
    done["case"] = delete_cases(root.path)
    tallies.subtree_removed(root)  # settles the ancestors' population counters at once
    _delete_rest(root, done)  # bulk deletes: nothing else counts them
    return done


def _delete_rest(root: Organisation, done: dict[str, int]) -> None:
    path = root.path
    grid_q = Q(grid__path__startswith=path)

    def drop(label: str, qs: object) -> None:
        # only("pk"): the collector must not load (and decrypt) whole rows.
        done[label] = qs.only("pk").delete()[0]  # type: ignore[attr-defined]

    _delete_cogov(path, drop)
    # Co-governance lists: matches first (they point at needs and resources).
    need_q = Q(path__startswith=path) | Q(node__path__startswith=path)
    res_q = Q(path__startswith=path) | Q(provider__path__startswith=path)
    drop(
        "match",
        Match.objects.filter(
            Q(need__in=Need.objects.filter(need_q)) | Q(resource__in=Resource.objects.filter(res_q))
        ),
    )
    drop("need", Need.objects.filter(need_q))
    drop("resource", Resource.objects.filter(res_q))
    # Activities held or run in the subtree, with their sign-ups and attendance log.
    from doorstep.nearby.activities.models import Activity

    drop(
        "activity",
        Activity.objects.filter(
            Q(territory__path__startswith=path) | Q(organiser__path__startswith=path)
        ),
    )
    # Service sites of the subtree (run by or placed in it), with their rooms and bookings.
    site_q = Q(territory_path__startswith=path) | Q(organisation__path__startswith=path)
    sites = ServiceSite.objects.filter(site_q)
    drop(
        "booking",
        Booking.objects.filter(Q(room__site__in=sites) | Q(organisation__path__startswith=path)),
    )
    drop("booking_series", BookingSeries.objects.filter(room__site__in=sites))
    drop("room", Room.objects.filter(site__in=sites))
    drop("service_site", ServiceSite.objects.filter(site_q))
    drop("membership", Membership.objects.filter(organisation__path__startswith=path))
    drop(
        "household_link",
        HouseholdLink.objects.filter(
            Q(household__grid__path__startswith=path)
            | Q(central__organisation__path__startswith=path)
        ),
    )
    drop("central_household", CentralHousehold.objects.filter(organisation__path__startswith=path))
    drop("party_member", PartyMember.objects.filter(resident__grid__path__startswith=path))
    drop("resident", Resident.objects.filter(grid_q))
    drop("household", Household.objects.filter(grid_q))
    drop("unit", Unit.objects.filter(building__grid__path__startswith=path))
    drop("building", Building.objects.filter(grid_q))
    drop("compound", Compound.objects.filter(community__path__startswith=path))
    orgs = Organisation.objects.filter(path__startswith=path)
    orgs.update(party_parent=None)
    depths = sorted(set(orgs.values_list("depth", flat=True)), reverse=True)
    done["organisation"] = 0
    for depth in depths:
        done["organisation"] += orgs.filter(depth=depth).only("pk").delete()[0]


def _delete_cogov(path: str, drop: Any) -> None:
    """The subtree's pairings (and its departments'), visits, alliances (agreements, seats,
    unit profiles), funds and projects. Fund
    lines and project events are append-only for everything but this: they go by a plain
    DELETE past the ORM's guard, with the funds and projects they belong to."""
    from doorstep.deliberation.models import (
        Ballot,
        Campaign,
        Council,
        Deputy,
        Meeting,
        ReceptionSlot,
        ReceptionVisit,
        Resolution,
        Response,
        Survey,
        Topic,
    )

    drop("campaign", Campaign.objects.filter(path__startswith=path))  # with its targets
    # the subtree's answers to surveys of a wider node, then its surveys with all answers
    drop("survey_response", Response.objects.filter(grid_path__startswith=path))
    drop("survey", Survey.objects.filter(path__startswith=path))
    drop("reception_visit", ReceptionVisit.objects.filter(path__startswith=path))
    drop("reception_slot", ReceptionSlot.objects.filter(path__startswith=path))
    drop("deputy", Deputy.objects.filter(path__startswith=path))
    drop("resolution", Resolution.objects.filter(path__startswith=path))  # with objections
    drop("meeting", Meeting.objects.filter(path__startswith=path))  # agenda, sign-ins, files
    drop("council", Council.objects.filter(path__startswith=path))  # seats and members
    drop("topic", Topic.objects.filter(path__startswith=path))  # with its seconds
    drop("ballot", Ballot.objects.filter(path__startswith=path))  # its roll and votes with it
    unit_q = Q(unit__path__startswith=path)
    paired_q = Q(path__startswith=path) | Q(department__path__startswith=path)
    drop("pairing_offer", PairingOffer.objects.filter(pairing__in=Pairing.objects.filter(paired_q)))
    drop("pairing", Pairing.objects.filter(paired_q))
    drop("proposal", Proposal.objects.filter(path__startswith=path))
    drop(
        "visit",
        Visit.objects.filter(
            Q(path__startswith=path)
            | Q(node__path__startswith=path)
            | Q(household__grid__path__startswith=path)
        ),
    )
    drop("seat", Seat.objects.filter(Q(path__startswith=path) | unit_q))
    drop("agreement", Agreement.objects.filter(Q(alliance__path__startswith=path) | unit_q))
    drop("alliance", Alliance.objects.filter(path__startswith=path))
    drop("unit_profile", UnitProfile.objects.filter(path__startswith=path))
    projects = list(Project.objects.filter(path__startswith=path).values_list("pk", flat=True))
    funds = list(Fund.objects.filter(path__startswith=path).values_list("pk", flat=True))
    _raw_delete(FundLine, "fund_id", funds)
    _raw_delete(FundLine, "project_id", projects)
    _raw_delete(ProjectEvent, "project_id", projects)
    drop("fund", Fund.objects.filter(pk__in=funds))
    drop("project", Project.objects.filter(pk__in=projects))


def _delete_service(path: str, drop: Any) -> None:
    """The subtree's people-who-serve rows: service records and their edits, point lines
    (append-only for everything but this: a plain DELETE past the model's guard) with the
    redemptions on them, rewards, rules, honour lists, certificates, teams, posts and 双报到.
    Point accounts are then recounted from the lines left (ledger.recount)."""
    from doorstep.service import ledger
    from doorstep.service.models import (
        Certificate,
        DualReport,
        HonourList,
        PointLine,
        PointRule,
        Post,
        PostHolding,
        RecordEdit,
        Redemption,
        Reward,
        ServiceRecord,
        Team,
        TeamMember,
    )

    org_q = Q(organisation__path__startswith=path)
    drop("record_edit", RecordEdit.objects.filter(record__organisation__path__startswith=path))
    drop("service_record", ServiceRecord.objects.filter(org_q))
    lines = list(PointLine.objects.filter(org_q).values_list("pk", flat=True))
    drop(
        "redemption",
        Redemption.objects.filter(
            Q(line_id__in=lines) | Q(reward__organisation__path__startswith=path)
        ),
    )
    _raw_delete(PointLine, "id", lines)
    drop("reward", Reward.objects.filter(org_q))
    drop("point_rule", PointRule.objects.filter(org_q))
    drop("certificate", Certificate.objects.filter(org_q))
    drop("honour_list", HonourList.objects.filter(org_q))
    drop("post_holding", PostHolding.objects.filter(post__organisation__path__startswith=path))
    drop("post", Post.objects.filter(org_q))
    drop("team_member", TeamMember.objects.filter(team__organisation__path__startswith=path))
    drop("team", Team.objects.filter(org_q))
    drop("dual_report", DualReport.objects.filter(community__path__startswith=path))
    ledger.recount(fix=True)


def _raw_delete(model: Any, column: str, ids: list[int]) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        for chunk in _chunks(sorted(ids), 500):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)


def delete_cases(path: str) -> int:
    """Delete the cases in, owned by, assigned to or summoning units of the subtree.

    Their events go too, and their photos' files. The rollup rows of organisations inside
    the subtree go with those organisations; ancestors outside it (a district that stays)
    have what the deleted events had added to them taken off again, so the counters keep
    matching a recount from the remaining events.
    """
    ids = set(
        Case.objects.filter(
            Q(territory_path__startswith=path)
            | Q(owner_path__startswith=path)
            | Q(assignments__organisation__path__startswith=path)
            | Q(whistles__street__path__startswith=path)
            | Q(whistles__summonses__department__path__startswith=path)
        ).values_list("pk", flat=True)
    )
    if not ids:
        return 0
    inside = set(Organisation.objects.filter(path__startswith=path).values_list("pk", flat=True))
    rows = sorted(ids)
    _take_off(Rollup, ("day",), rollups.recount(rollups.event_rows(rows)), inside)
    _take_off(
        CategoryRollup,
        ("month", "category_id"),
        category_rollups.recount(rollups.event_rows(rows)),
        inside,
    )
    photos = Attachment.objects.filter(case_id__in=ids)
    for attachment in photos.only("file"):
        if attachment.file:
            attachment.file.delete(save=False)
    photos.delete()
    # Events are append-only for everything but this: the demo cases themselves go, so
    # their events go with them, by a plain DELETE past the ORM's guard.
    _raw_delete(CaseEvent, "case_id", sorted(ids))
    # Inbox messages about the deleted cases would lead nowhere.
    numbers = list(Case.objects.filter(pk__in=ids).values_list("number", flat=True))
    for chunk in _chunks(numbers, 500):
        Notification.objects.filter(url__in=[f"/cases/{n}/" for n in chunk]).delete()
    Case.objects.filter(merged_into_id__in=ids).exclude(pk__in=ids).update(merged_into=None)
    return Case.objects.filter(pk__in=ids).delete()[1].get("cases.Case", 0)


def _take_off(model: Any, keys: tuple[str, ...], counted: dict, inside: set[int]) -> None:
    """Subtract recounted counters from the rows of organisations outside the subtree;
    each key of `counted` is (organisation id, *keys)."""
    for (org_id, *rest), counts in counted.items():
        if org_id in inside:
            continue
        row = model.objects.filter(
            organisation_id=org_id, **dict(zip(keys, rest, strict=True))
        ).first()
        if row is not None:
            for name, n in counts.items():
                setattr(row, name, getattr(row, name) - n)
            row.save(update_fields=list(counts))


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]

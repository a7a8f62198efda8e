"""The population counters stay equal to a recount from the residents through every write
path: the ledger services (create, edit, delete, move a household), the ledger import, the
demo seeding and the removal of a seeded subtree; the checking command finds and fixes drift."""

import datetime as dt
import io
import random
from collections import defaultdict

import pytest
from django.core.management import CommandError, call_command

from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.people import households, services, tallies
from doorstep.atlas.people.models import (
    VULNERABLE_TAGS,
    CentralHousehold,
    HouseholdLink,
    PartyMember,
    PopulationTally,
    Resident,
)
from doorstep.atlas.people.queries import subtree_counts
from doorstep.atlas.places.models import Household

TAGS = [code for code, _ in VULNERABLE_TAGS]


def drift() -> list:
    return tallies.differences(tallies.recount(), tallies.stored())


def direct(org: Organisation) -> dict:
    """What the counters of `org` must say, counted from its residents' rows (decrypted)."""
    rows = Resident.objects.filter(grid__path__startswith=org.path).select_related("party_member")
    out: dict = defaultdict(dict)
    for r in rows:
        born = r.birth_date.isoformat() if r.birth_date else ""
        pairs = [("type", r.residence_type), ("sex", r.gender), ("born", born)]
        pairs += [("month", born[:7])] if born else []
        pairs += [("tag", t) for t in set(r.tags or ())]
        pairs += [("member", "")] if hasattr(r, "party_member") else []
        for bucket, key in pairs:
            out[bucket][key] = out[bucket].get(key, 0) + 1
    for h in Household.objects.filter(grid__path__startswith=org.path).select_related("link"):
        out["tenure"][h.tenure] = out["tenure"].get(h.tenure, 0) + 1
        if hasattr(h, "link"):
            out["linked"][""] = out["linked"].get("", 0) + 1
    return dict(out)


def counters(org: Organisation) -> dict:
    out: dict = defaultdict(dict)
    for d, k, n in PopulationTally.objects.filter(organisation=org, n__gt=0).values_list(
        "dimension", "key", "n"
    ):
        out[d][k] = n
    return dict(out)


def test_the_world_counts_agree_at_every_level(world):
    assert drift() == []
    for org in (world.street, world.community_1, world.community_2, world.grid_a):
        assert counters(org) == direct(org)
    assert counters(world.street)["tag"] == {"elderly_alone": 1}
    assert sum(counters(world.street)["type"].values()) == 4
    assert counters(world.street)["linked"] == {"": 1}
    assert counters(world.street)["tenure"] == {"owner": 4}


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_edits_through_the_services_keep_the_counters_exact(world, seed):
    rng = random.Random(seed)
    actor = world.personas["street_officer"]
    homes = [world.household_a, world.household_a2, world.household_b, world.household_c]
    buildings = [world.building_a, world.building_b, world.building_c]
    living = list(Resident.objects.exclude(pk=world.member.resident_id))
    central = CentralHousehold.objects.get()
    last = 0.0
    for step in range(40):
        assert drift() == [], f"counters drifted before step {step} after {last}"
        roll = rng.random()
        last = roll
        if roll < 0.4 or not living:
            living.append(
                services.create_resident(
                    household=rng.choice(homes),
                    name=f"居民{step}",
                    residence_type=rng.choice(["registered", "floating", "tenant"]),
                    gender=rng.choice(["M", "F", ""]),
                    birth_date=rng.choice(
                        [
                            None,
                            dt.date(
                                1930 + rng.randrange(90),
                                1 + rng.randrange(12),
                                1 + rng.randrange(28),
                            ),
                        ]
                    ),  # fmt: skip
                    tags=rng.sample(TAGS, rng.randrange(3)),
                    actor=actor,
                )
            )
        elif roll < 0.7:
            person = rng.choice(living)
            services.update_resident(
                resident=Resident.objects.get(pk=person.pk),
                actor=actor,
                tags=rng.sample(TAGS, rng.randrange(3)),
                residence_type=rng.choice(["registered", "floating", "tenant"]),
                birth_date=rng.choice([None, dt.date(1950, 5, 5), dt.date(2015, 2, 28)]),
                gender=rng.choice(["M", "F"]),
            )
        elif roll < 0.8:
            person = living.pop(rng.randrange(len(living)))
            services.delete_resident(resident=person, actor=actor)  # a member's goes too
        elif roll < 0.84:  # a household changes tenure (the admin saves through the service)
            household = Household.objects.get(pk=rng.choice(homes).pk)
            household.tenure = rng.choice(["owner", "rented", "vacant", "other"])
            households.save_household(household=household, actor=actor)
        elif roll < 0.86:  # a link is made or ended (the admin)
            household = rng.choice(homes)
            link = HouseholdLink.objects.filter(household_id=household.pk).first()
            if link:
                households.delete_link(link=link, actor=actor)
            else:
                households.save_link(
                    link=HouseholdLink(central=central, household_id=household.pk), actor=actor
                )
        elif roll < 0.88:  # join or leave the party (one row at a time, as the admin does)
            person = rng.choice(living)
            membership = PartyMember.objects.filter(resident=person).first()
            if membership:
                households.delete_party_member(member=membership, actor=actor)
            else:
                households.save_party_member(
                    member=PartyMember(
                        resident=person, status="formal", external_organisation="某公司党委"
                    ),
                    actor=actor,
                )
        else:
            household = Household.objects.get(pk=rng.choice(homes).pk)
            building = rng.choice(buildings)
            services.move_household(
                household=household,
                building=building,
                unit_number=f"{rng.randrange(1, 4)}",
                room=f"{step}0{rng.randrange(9)}",
                actor=actor,
            )
    assert drift() == []
    for org in (
        world.street,
        world.community_1,
        world.community_2,
        world.grid_a,
        world.grid_b,
        world.grid_c,
    ):
        assert counters(org) == direct(org)
    # The tree pages read the same figures from the counters as from the rows.
    nodes = [world.street, world.community_1, world.community_2, world.grid_b]
    rows = subtree_counts(world.street, nodes)
    read = subtree_counts(world.street, nodes, from_counters=True)
    assert {k: vars(v) for k, v in rows.items()} == {k: vars(v) for k, v in read.items()}


def test_a_membership_moved_to_another_person_moves_its_count(world):
    """The admin lets a membership be re-pointed at another resident."""
    member = PartyMember.objects.get(pk=world.member.pk)
    member.resident = world.resident_c  # grid A (community 1) -> grid C (community 2)
    households.save_party_member(member=member, actor=None)
    assert counters(world.community_2)["member"] == {"": 1}
    assert "member" not in counters(world.community_1)
    assert drift() == []


def test_a_refused_edit_leaves_the_counters_as_they_were(world):
    before = tallies.stored()
    with pytest.raises(Exception, match="未知"):
        services.update_resident(resident=world.planted, actor=None, tags=["pirate"])
    with pytest.raises(Exception, match="党员中心户"):
        services.delete_resident(resident=world.member.resident, actor=None)
    assert tallies.stored() == before


def test_moving_a_household_to_another_community_moves_its_people_in_the_counters(world):
    services.move_household(
        household=world.household_a,
        building=world.building_c,
        unit_number="9",
        room="909",
        actor=None,
    )
    assert counters(world.community_2)["tag"] == {"elderly_alone": 1}
    assert "tag" not in counters(world.community_1)
    assert counters(world.street)["tag"] == {"elderly_alone": 1}
    assert drift() == []


def test_the_ledger_import_counts_what_it_writes(world, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from doorstep.atlas.people.ledger import importer, sample

    settings.MEDIA_ROOT = tmp_path / "media"
    names = [world.building_a.name, world.building_b.name]
    rows = [sample.resident_row(i, names[i % 2]) for i in range(300)]
    path = sample.write_xlsx(tmp_path / "居民台账.xlsx", rows)
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    job = importer.start_import(
        kind="residents", upload=upload, actor=world.personas["community_officer"]
    )
    importer.run_job(job.pk, size=70)  # several batches
    assert Resident.objects.count() == 304
    assert drift() == []
    assert counters(world.community_1) == direct(world.community_1)


def test_the_command_reports_drift_and_fix_repairs_it(world):
    out = io.StringIO()
    call_command("recount_population", stdout=out)
    assert "一致" in out.getvalue()
    # Someone edits a resident behind the application's back.
    Resident.objects.filter(pk=world.resident_c.pk).update(residence_type="registered")
    PopulationTally.objects.filter(organisation=world.street, dimension="tag").delete()
    with pytest.raises(CommandError, match="处不同"):
        call_command("recount_population", stdout=io.StringIO())
    out = io.StringIO()
    call_command("recount_population", "--fix", stdout=out)
    assert "已按台账重写" in out.getvalue()
    assert drift() == []
    assert counters(world.street) == direct(world.street)


def test_the_admin_saves_households_members_and_links_through_the_services(world, client):
    from doorstep.accounts.models import User

    client.force_login(User.objects.create_superuser("root", password="x"))
    household = world.household_b
    before = counters(world.community_1)["tenure"]
    response = client.post(
        f"/admin/places/household/{household.pk}/change/",
        {"room": household.room, "tenure": "rented"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert counters(world.community_1)["tenure"] != before
    link = HouseholdLink.objects.get()
    response = client.post(f"/admin/people/householdlink/{link.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not HouseholdLink.objects.exists()
    member = households.save_party_member(
        member=PartyMember(resident=world.resident_b, status="formal", external_organisation="某厂")
    )
    assert counters(world.community_1)["member"] == {"": 2}
    response = client.post(
        "/admin/people/partymember/",
        {"action": "delete_selected", "_selected_action": [member.pk], "post": "yes"},
    )
    assert response.status_code == 302 and not PartyMember.objects.filter(pk=member.pk).exists()
    assert counters(world.community_1)["member"] == {"": 1}
    assert drift() == []
    assert counters(world.street) == direct(world.street)

"""Removing a seeded subtree keeps the population counters of the ancestors that stay."""

from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.people import tallies
from doorstep.atlas.people.models import PopulationTally


def test_removing_a_seeded_community_takes_its_people_off_the_street(world):
    from doorstep.demo.reset import delete_subtree

    delete_subtree(Organisation.objects.get(pk=world.community_2.pk))
    types = PopulationTally.objects.filter(organisation=world.street, dimension="type", n__gt=0)
    assert dict(types.values_list("key", "n")) == {"registered": 2, "tenant": 1}
    assert tallies.differences(tallies.recount(), tallies.stored()) == []


def test_removing_a_community_takes_its_alliances_projects_and_fund_lines(co, settings, tmp_path):
    from doorstep.cogov import funds
    from doorstep.cogov.models import Agreement, Alliance, Fund, FundLine, Project, Seat
    from doorstep.cogov.tests.test_alliances import community_alliance, sign
    from doorstep.cogov.tests.test_funds import running_project
    from doorstep.demo.reset import delete_subtree

    settings.MEDIA_ROOT = tmp_path
    sign(co, community_alliance(co), co.hospital)
    fund = funds.create_fund(
        actor=co.p["street_officer"], owner=co.world.community_1, name="社区微基金",
        threshold="100000",
    )  # fmt: skip
    funds.submit(actor=co.p["street_officer"], fund=fund, kind="income", amount="500",
                 memo="捐赠", counterpart="904医院")  # fmt: skip
    running_project(co)
    assert Project.objects.exists() and FundLine.objects.exists()
    delete_subtree(Organisation.objects.get(pk=co.world.community_1.pk))
    assert not Alliance.objects.exists() and not Agreement.objects.exists()
    assert not Project.objects.exists() and not Fund.objects.exists()
    assert not FundLine.objects.all().exists() and not Seat.objects.exists()
    assert Organisation.objects.filter(pk=co.hospital.pk).exists()  # the unit stays


def test_the_whole_demo_street_can_be_removed_and_its_points_recount_clean(
    demo_module, db, django_db_blocker
):
    """What `seed_demo --reset` does first: everything seeded under the street goes — service
    records, point lines, teams, activities, pairings, visits, proposals, cases — and the
    accounts' points recount from the lines left."""
    from doorstep.cogov.models import Pairing, Proposal
    from doorstep.demo.reset import delete_subtree
    from doorstep.nearby.activities.models import Activity
    from doorstep.service import ledger
    from doorstep.service.models import PointLine, ServiceRecord, Team, Visit

    street = demo_module
    assert ServiceRecord.objects.exists() and Pairing.objects.exists() and Visit.objects.exists()
    done = delete_subtree(street)
    assert done["organisation"] > 0 and done["service_record"] > 0 and done["visit"] > 0
    assert not Organisation.objects.filter(path__startswith=street.path).exists()
    for model in (ServiceRecord, PointLine, Team, Activity, Pairing, Proposal, Visit):
        assert not model.objects.exists(), model
    assert ledger.recount() == []

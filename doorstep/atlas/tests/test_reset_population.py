"""Removing a seeded subtree keeps the population counters of the ancestors that stay."""

from doorstep.organisations.models import Organisation
from doorstep.people import tallies
from doorstep.people.models import PopulationTally


def test_removing_a_seeded_community_takes_its_people_off_the_street(world):
    from doorstep.atlas.seeding.reset import delete_subtree

    delete_subtree(Organisation.objects.get(pk=world.community_2.pk))
    types = PopulationTally.objects.filter(organisation=world.street, dimension="type", n__gt=0)
    assert dict(types.values_list("key", "n")) == {"registered": 2, "tenant": 1}
    assert tallies.differences(tallies.recount(), tallies.stored()) == []

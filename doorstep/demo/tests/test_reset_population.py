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

"""The deliberation pages through the one door: every persona opens a topic and a
resolution of community 1 and of community 2 and gets the page exactly when the table
below (written by hand, from who lives and works where) says so; every deliberation URL
is covered here or by its own page tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import get_resolver, reverse

from doorstep.deliberation.models import (
    Council,
    Meeting,
    ReceptionSlot,
    Resolution,
    Survey,
    Topic,
)
from doorstep.nearby.sites.models import ServiceSite

pytestmark = pytest.mark.django_db

# persona -> the communities whose topics and resolutions they see
SEES = {
    "grid_worker_a": {"c1"},  # the community their grid is in
    "grid_worker_b": {"c1"},
    "grid_leader_a": {"c1"},
    "community_officer": {"c1"},
    "street_officer": {"c1", "c2"},
    "party_member": {"c1"},  # lives in community 1
    "resident": {"c1"},
    "cadre": set(),
    "outsider": set(),
    "audit_admin": set(),
    "system_admin": set(),
    "security_admin": set(),
}
# URLs whose rights are tested by the page and service tests of their own
COVERED_ELSEWHERE = {
    "deliberation:ballots", "deliberation:ballot_new", "deliberation:ballot",
    "deliberation:ballot_choices", "deliberation:ballot_act",  # test_ballot_pages
    "deliberation:topics", "deliberation:topic_new", "deliberation:topic_act",
    "deliberation:resolutions", "deliberation:resolution_new",
    "deliberation:resolution_act",  # test_topic_pages
    "deliberation:councils", "deliberation:council_new", "deliberation:council_act",
    "deliberation:meeting_sign_in", "deliberation:meeting_act",
    "deliberation:attachment",  # test_council_pages
    "deliberation:meetings",  # tests/test_figures
    "deliberation:receptions", "deliberation:reception_act", "deliberation:deputies",
    "deliberation:slot_act", "deliberation:reception_visit",  # test_reception_pages
    "deliberation:reception_visits",  # tests/test_figures
    "deliberation:campaigns", "deliberation:campaign_new", "deliberation:campaign",
    "deliberation:campaign_split", "deliberation:campaign_doors",
    "deliberation:campaign_knock",  # test_campaign_pages
    "deliberation:surveys", "deliberation:survey_new", "deliberation:survey_act",
    "deliberation:survey_paper", "deliberation:survey_results", "deliberation:survey_export",
    "deliberation:survey_answer",  # test_survey_pages
}  # fmt: skip
OBJECT_PAGES = {
    "deliberation:topic", "deliberation:resolution", "deliberation:council", "deliberation:meeting",
    "deliberation:reception_slot", "deliberation:survey",
}  # fmt: skip


def test_every_deliberation_url_is_covered():
    names = {
        f"deliberation:{p.name}"
        for r in get_resolver().url_patterns
        if getattr(r, "namespace", None) == "deliberation"
        for p in r.url_patterns
    }
    assert names == COVERED_ELSEWHERE | OBJECT_PAGES
    assert set(SEES) >= {"community_officer", "resident", "outsider"}


def test_each_persona_sees_exactly_the_topics_and_resolutions_of_their_community(client, world):
    assert set(SEES) == set(world.personas)
    made = {}
    for key, community in (("c1", world.community_1), ("c2", world.community_2)):
        topic = Topic.objects.create(
            node=community, path=community.path, title=f"{community.name}议题", status="accepted"
        )
        resolution = Resolution.objects.create(
            node=community, path=community.path, title=f"{community.name}决议", text="决议内容",
            topic=topic, notice_ends=topic.created_at + dt.timedelta(days=7),
        )  # fmt: skip
        council = Council.objects.create(node=community, path=community.path, name="议事会")
        meeting = Meeting.objects.create(
            council=council, path=community.path, title=f"{community.name}圆桌会",
            starts_at=topic.created_at, ends_at=topic.created_at + dt.timedelta(hours=2),
        )  # fmt: skip
        studio = ServiceSite.objects.create(
            name=f"{community.name}工作室", kind="studio", organisation=community,
            territory=community, territory_path=community.path,
        )  # fmt: skip
        slot = ReceptionSlot.objects.create(
            site=studio, path=community.path, starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
        )  # fmt: skip
        survey = Survey.objects.create(
            node=community, path=community.path, title=f"{community.name}问卷", token=key,
            opens_at=meeting.starts_at, closes_at=meeting.ends_at,
        )  # fmt: skip
        made[key] = (topic, resolution, council, meeting, slot, survey)
    for persona, sees in SEES.items():
        client.force_login(world.personas[persona])
        for key, rows in made.items():
            want = 200 if key in sees else 404
            got = [
                client.get(reverse(f"deliberation:{page}", args=[row.pk])).status_code
                for page, row in zip(
                    ("topic", "resolution", "council", "meeting", "reception_slot", "survey"),
                    rows,
                    strict=True,
                )
            ]
            assert got == [want] * 6, (persona, key)
        listing = client.get(reverse("deliberation:topics")).content.decode()
        for key, (topic, *_rest) in made.items():
            assert (topic.title in listing) == (key in sees), (persona, key)

"""The cockpit's deliberation figures: topics raised, answered and awaiting an answer,
meetings and their 人次, resolutions published and carried out — each equal to a direct
count, each tile drilling to a list that says the same number, and the briefing saying
them in the seeds' phrasing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from doorstep.cockpit.briefing import compose
from doorstep.core.testing import make_user
from doorstep.deliberation import councils, figures, meetings, resolutions, topics

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MONTH = TODAY.replace(day=1)


def _tile(body: str, figure: str) -> tuple[str, str]:
    found = re.search(
        rf'<a class="tile" data-figure="{figure}" href="([^"]+)"><b>([^<]*)</b>', body
    )
    assert found, f"{figure} is not a link"
    return found.group(2), found.group(1).replace("&amp;", "&")


def _line(page: str, anchor: str) -> str:
    found = re.search(rf'id="{anchor}"[^>]*>(.*?)</p>', page, re.S)
    assert found, anchor
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_deliberation_figures_drill_to_lists_that_say_the_same(world, estate, client, monkeypatch):
    monkeypatch.setattr(topics, "SECONDS_TO_ANSWER", 1)
    officer = world.personas["community_officer"]
    # last month: a topic raised and answered — outside this month's figures
    with time_machine.travel(MONTH - dt.timedelta(days=5)):
        old = topics.raise_topic(actor=estate.people["owner_lin"], title="上月的议题")
        topics.decline(actor=officer, topic=old, reason="不属于小区公共事务")
    lift = topics.raise_topic(actor=estate.people["owner_chen"], title="5号楼加装电梯")
    lift = topics.accept(actor=officer, topic=lift)
    waiting = topics.raise_topic(actor=estate.people["owner_zhou"], title="路灯不亮")
    topics.second(actor=estate.people["owner_lin"], topic=waiting)  # enough: awaiting answer
    secretary = make_user("secretary", "书记", ("resident", world.community_1))
    council = councils.set_up(
        actor=officer, community=world.community_1, name="议事会",
        seats={"branch": 1, "owners": 1, "grid_worker": 1},
    )  # fmt: skip
    for kind, name, user, chair in (("branch", "书记", secretary, True),
                                    ("owners", "主任", estate.people["owner_wang"], False),
                                    ("grid_worker", "网格员", world.personas["grid_worker_a"], False)):  # fmt: skip
        councils.add_member(actor=officer, council=council, kind=kind, name=name, user=user,
                            is_chair=chair, starts_on=MONTH - dt.timedelta(days=40),
                            ends_on=TODAY + dt.timedelta(days=300))  # fmt: skip
    now = timezone.now()
    meeting = meetings.convene(
        actor=officer, council=council, title="圆桌会", topics=[lift], place="服务站",
        starts_at=now - dt.timedelta(minutes=5), ends_at=now + dt.timedelta(hours=1),
    )  # fmt: skip
    for user in (secretary, estate.people["owner_wang"]):
        meetings.sign_in(actor=user, meeting=meeting, token=meeting.token)
    item = meetings.decide(actor=officer, item=meeting.agenda.get(), decision="同意", yes="2")
    meetings.write_minutes(actor=officer, meeting=meeting, minutes="通过")
    meetings.sign_off(actor=secretary, meeting=meeting)
    resolutions.publish(actor=officer, title="加装电梯", text_="同意加装", item=item)

    got = figures.deliberation(world.community_1, MONTH, TODAY)
    assert got == {
        "topics_raised": 2,
        "topics_answered": 1, "topics_awaiting": 1, "meetings": 1, "attendance": 2,
        "resolutions": 1, "resolutions_acted": 0, "deputies_received": 0,
        "residents_received": 0, "issues_raised": 0, "issues_resolved": 0,
        "knock_visits": 0, "knock_households": 0, "survey_responses": 0, "survey_suggestions": 0,
    }  # fmt: skip
    assert figures.deliberation(world.community_2, MONTH, TODAY)["topics_raised"] == 0

    client.force_login(world.personas["street_officer"])
    body = client.get(reverse("cockpit:node", args=[world.community_1.pk])).content.decode()
    checks = {
        "delib_topics_raised": ("topic-figures", "共 2 个议题"),
        "delib_topics_answered": ("topic-figures", "共 1 个议题"),
        "delib_topics_awaiting": ("topic-figures", "共 1 个议题"),
        "delib_meetings": ("meeting-figures", "会议 1 次"),
        "delib_attendance": ("meeting-figures", "参会 2 人次"),
        "delib_resolutions": ("resolution-figures", "共 1 项决议"),
        "delib_resolutions_acted": ("resolution-figures", "共 0 项决议"),
    }
    for figure, (anchor, says) in checks.items():
        shown, url = _tile(body, figure)
        assert shown == str(got[figure.removeprefix("delib_")]), figure
        assert says in _line(client.get(url).content.decode(), anchor), (figure, url)

    text = " ".join(
        s
        for section in compose(world.community_1, TODAY, TODAY).sections
        for s in section.sentences
    )
    assert (
        "居民提出议题 2 个，答复 1 个；召开议事会议 1 次、2 人次参会，形成决议 1 项，落实 0 项"
        in text
    )


def test_reception_figures_drill_to_the_visits_and_the_briefing_says_them(world, client):
    from doorstep.deliberation import receptions
    from doorstep.nearby.sites.models import ServiceSite

    street = world.personas["street_officer"]
    studio = ServiceSite.objects.create(
        name="代表委员工作室", kind="studio", organisation=world.community_1,
        territory=world.community_1, territory_path=world.community_1.path,
    )  # fmt: skip
    deputies = [
        receptions.add_deputy(actor=street, name=name, kind=kind, level="district",
                              node=world.street, user=make_user(login, name))
        for name, kind, login in (("李代表", "npc", "d1"), ("王委员", "cppcc", "d2"))
    ]  # fmt: skip
    now = timezone.now()
    slot = receptions.schedule(actor=street, site=studio, deputies=deputies,
                               starts_at=now - dt.timedelta(minutes=30), ends_at=now + dt.timedelta(hours=1))  # fmt: skip
    for n, (deputy, visitor) in enumerate(
        ((deputies[0], "赵大爷"), (deputies[1], "钱阿姨"), (deputies[1], "孙师傅"))
    ):
        visit = receptions.walk_in(actor=deputy.user, slot=slot, visitor=visitor)
        receptions.record(actor=deputy.user, visit=visit, issue=f"诉求{n}", reply="已答复")
        if n == 0:
            receptions.tell(visit, "已办结。", timezone.now())
    got = figures.deliberation(world.community_1, MONTH, TODAY)
    assert (got["deputies_received"], got["residents_received"]) == (2, 3)
    assert (got["issues_raised"], got["issues_resolved"]) == (3, 1)
    client.force_login(street)
    body = client.get(reverse("cockpit:node", args=[world.community_1.pk])).content.decode()
    for figure, says in (("delib_residents_received", "接待群众 3 人次"),
                         ("delib_deputies_received", "代表委员 2 人接待"),
                         ("delib_issues_resolved", "接待群众 1 人次")):  # fmt: skip
        shown, url = _tile(body, figure)
        assert shown == str(got[figure.removeprefix("delib_")])
        assert says in _line(client.get(url).content.decode(), "visit-figures"), figure
    text = " ".join(
        s
        for section in compose(world.community_1, TODAY, TODAY).sections
        for s in section.sentences
    )
    assert (
        "“两代表一委员”2 名下沉社区工作室接待居民来访，接待群众 3 人次，反映问题 3 个，解决 1 个"
        in text
    )


def test_knock_and_survey_figures_drill_to_their_lists_and_the_briefing_says_them(world, client):
    from doorstep.deliberation import campaigns, surveys

    from .test_surveys import _answers, build_survey

    officer = world.personas["community_officer"]
    campaign = campaigns.launch(
        actor=officer, node=world.community_1, title="敲门行动", purpose="走访问需",
        starts_on=TODAY - dt.timedelta(days=1), ends_on=TODAY + dt.timedelta(days=9),
    )  # fmt: skip
    worker = world.personas["grid_worker_a"]
    campaigns.split(actor=officer, campaign=campaign, visitors=[worker])
    first = campaigns.assigned_to(worker).order_by("pk").first()
    campaigns.knock(actor=worker, target=first, outcome="absent", found="家中无人")
    campaigns.knock(actor=worker, target=first, outcome="met", found="一切安好")
    survey, *_ = build_survey(world)
    surveys.answer(actor=world.personas["resident"], survey=survey,
                    answers=_answers(survey, 0, suggestion="增设休息座椅"))  # fmt: skip
    surveys.answer(actor=world.personas["party_member"], survey=survey,
                    answers=_answers(survey, 0))  # fmt: skip
    got = figures.deliberation(world.community_1, MONTH, TODAY)
    assert (got["knock_visits"], got["knock_households"]) == (2, 1)
    assert (got["survey_responses"], got["survey_suggestions"]) == (2, 1)
    assert figures.deliberation(world.community_2, MONTH, TODAY)["survey_responses"] == 0
    client.force_login(world.personas["street_officer"])
    body = client.get(reverse("cockpit:node", args=[world.community_1.pk])).content.decode()
    for figure, anchor, says in (
        ("delib_knock_visits", "knock-figures", "敲门走访 2 户次，走访到 1 户"),
        ("delib_knock_households", "knock-figures", "走访到 1 户"),
        ("delib_survey_responses", "survey-period", "收到答卷 2 份，意见建议 1 条"),
        ("delib_survey_suggestions", "survey-period", "意见建议 1 条"),
    ):
        shown, url = _tile(body, figure)
        assert shown == str(got[figure.removeprefix("delib_")]), figure
        assert says in _line(client.get(url).content.decode(), anchor), (figure, url)
    text = " ".join(
        s
        for section in compose(world.community_1, TODAY, TODAY).sections
        for s in section.sentences
    )
    assert "开展敲门行动走访问需 2 户次、问卷调查收到答卷 2 份，广泛征集意见建议 1 条" in text

"""The survey pages: the community draws up a survey with a conditional question and
publishes it (a QR code of its /s/ link); a resident answers on the phone page (an answer
to the hidden question is refused with nothing written, the page says so in Chinese); a
grid worker enters a paper one; the results page shows the counts and a suggestion turns
into a topic; the export downloads; an outsider and a resident of elsewhere see nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from doorstep.deliberation.models import Answer, Response, Survey, Topic

pytestmark = pytest.mark.django_db


def _draw_up(client, world) -> Survey:
    client.force_login(world.personas["community_officer"])
    now = timezone.localtime()
    form = {"title": "加装电梯意愿调查", "node": world.community_1.pk, "audience": "residents",
            "per": "household", "opens_at": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")}  # fmt: skip
    r = client.post(reverse("deliberation:survey_new"), {**form, "title": "\x07"})
    assert r.status_code == 400 and not Survey.objects.exists()
    r = client.post(reverse("deliberation:survey_new"), form)
    survey = Survey.objects.get()
    assert r.url == reverse("deliberation:survey", args=[survey.pk])
    act = lambda a: reverse("deliberation:survey_act", args=[survey.pk, a])  # noqa: E731
    client.post(act("question"), {"kind": "single", "text": "您住几层？", "required": "1",
                                  "options": "一层\r\n二至三层\r\n四层及以上"})  # fmt: skip
    floor = survey.questions.get()
    page = client.get(reverse("deliberation:survey", args=[survey.pk])).content.decode()
    assert "第1题选“二至三层”" in page  # offered as a condition
    client.post(act("question"), {"kind": "single", "text": "您是否支持加装电梯？", "required": "1",
                                  "options": "支持\n不支持",
                                  "show_if": [f"{floor.pk}:1", f"{floor.pk}:2"]})  # fmt: skip
    client.post(act("question"), {"kind": "text", "text": "您的建议"})
    r = client.post(act("question"), {"kind": "matrix", "text": "评价", "options": "好\n差"})
    assert r.status_code == 400 and "矩阵题至少要有一行" in r.content.decode()
    assert survey.questions.count() == 3
    client.post(act("open"))
    survey.refresh_from_db()
    assert survey.status == "open"
    page = client.get(reverse("deliberation:survey", args=[survey.pk])).content.decode()
    assert "<svg" in page and f"/s/{survey.token}/" in page
    assert "仅当第1题选“二至三层”或“四层及以上”时作答" in page
    return survey


def test_draw_up_answer_on_paper_and_see_the_results(client, world):
    survey = _draw_up(client, world)
    floor, lift, idea = list(survey.questions.order_by("position"))
    link = reverse("deliberation:survey_answer", args=[survey.token])

    client.force_login(world.personas["resident"])
    page = client.get(link).content.decode()
    assert f'data-show-if="q{floor.pk}"' in page and "提交问卷" in page
    r = client.post(link, {f"q{floor.pk}": "0", f"q{lift.pk}": "0"})
    assert r.status_code == 400 and "第2题不适用于您前面的回答" in r.content.decode()
    assert not Response.objects.exists()
    r = client.post(
        link, {f"q{floor.pk}": "2", f"q{lift.pk}": "0", f"q{idea.pk}": "小区增设休息座椅"}
    )
    assert r.status_code == 302, r.content.decode()
    assert "已提交这份问卷" in client.get(link).content.decode()
    r = client.post(link, {f"q{floor.pk}": "0"})  # a second time: the page says it is done
    assert Response.objects.count() == 1
    # the resident's list: the survey, done
    listed = client.get(reverse("deliberation:surveys")).content.decode()
    assert "加装电梯意愿调查" in listed and "已填写" in listed

    # the grid worker enters 李建国's paper questionnaire
    client.force_login(world.personas["grid_worker_a"])
    paper = reverse("deliberation:survey_paper", args=[survey.pk])
    found = client.get(paper, {"q": "李建国"}).content.decode()
    assert f"?resident={world.member.resident_id}" in found
    assert "赵磊" not in client.get(paper, {"q": "赵磊"}).content.decode().split("查找")[1]
    r = client.post(paper, {"resident": world.member.resident_id, f"q{floor.pk}": "1",
                            f"q{lift.pk}": "1", f"q{idea.pk}": "小区增設休息座椅！"})  # fmt: skip
    assert r.status_code == 302 and Response.objects.filter(channel="paper").count() == 1

    client.force_login(world.personas["community_officer"])
    res = client.get(reverse("deliberation:survey_results", args=[survey.pk])).content.decode()
    assert 'data-responses="2"' in res
    assert 'data-option="四层及以上" data-count="1"' in res
    assert 'data-option="不支持" data-count="1"' in res
    assert 'data-count="2"' in res and "小区增设休息座椅" in res  # the two wordings, one group
    first = Answer.objects.filter(question=idea).order_by("pk").first()
    r = client.post(reverse("deliberation:survey_act", args=[survey.pk, "topic"]),
                    {"answer": first.pk})  # fmt: skip
    topic = Topic.objects.get(source="survey")
    assert r.url == reverse("deliberation:topic", args=[topic.pk])
    book = load_workbook(
        io.BytesIO(client.get(reverse("deliberation:survey_export", args=[survey.pk])).content)
    )
    assert [row[2] for row in book["答卷"].iter_rows(min_row=3, values_only=True)] == [
        "线上填写", "纸质问卷录入",
    ]  # fmt: skip


def test_a_resident_elsewhere_and_an_outsider_see_nothing(client, world):
    survey = _draw_up(client, world)
    link = reverse("deliberation:survey_answer", args=[survey.token])
    client.logout()
    assert client.get(link).status_code == 302  # to sign in: the survey is for residents
    client.force_login(world.personas["outsider"])
    page = client.get(link).content.decode()
    assert "只面向清华东路社区的居民" in page and "提交问卷" not in page
    r = client.post(link, {"q1": "0"})
    assert not Response.objects.exists()
    for name in ("survey", "survey_results", "survey_export", "survey_paper"):
        r = client.get(reverse(f"deliberation:{name}", args=[survey.pk]))
        assert r.status_code == 404, name
    client.force_login(world.personas["resident"])
    for name in ("survey_results", "survey_export", "survey_paper"):
        assert client.get(reverse(f"deliberation:{name}", args=[survey.pk])).status_code == 403
    assert (
        client.get(reverse("deliberation:survey_answer", args=["nosuchtoken"])).status_code == 404
    )


def test_a_public_survey_takes_each_phone_once(client, world):
    client.force_login(world.personas["community_officer"])
    now = timezone.localtime()
    client.post(reverse("deliberation:survey_new"), {
        "title": "社区活动需求征集", "node": world.community_1.pk, "audience": "public",
        "per": "resident", "opens_at": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")})  # fmt: skip
    survey = Survey.objects.get()
    act = lambda a: reverse("deliberation:survey_act", args=[survey.pk, a])  # noqa: E731
    client.post(
        act("question"), {"kind": "rating", "text": "满意度", "scale": "5", "required": "1"}
    )
    client.post(act("open"))
    q = survey.questions.get()
    client.logout()
    link = reverse("deliberation:survey_answer", args=[survey.token])
    assert "提交问卷" in client.get(link).content.decode()  # sets the phone's cookie
    assert client.post(link, {f"q{q.pk}": "9"}).status_code == 400
    assert client.post(link, {f"q{q.pk}": "4"}).status_code == 302
    assert "已提交" in client.get(link).content.decode()
    client.cookies.clear()  # another phone
    client.get(link)
    assert client.post(link, {f"q{q.pk}": "5"}).status_code == 302
    assert Response.objects.filter(survey=survey).count() == 2

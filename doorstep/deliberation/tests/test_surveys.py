"""问卷: a survey with a condition (the lift question only for those who live upstairs),
answered online by residents of its audience and from paper by staff, once per household
when so set; an answer to a hidden question, a missing required one, an outsider or a
closed survey refused with nothing written; results that equal a direct count, free text
grouped across 繁体 and punctuation; the Excel export (no names), audited; a suggestion
becomes a topic."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from doorstep.core.models import AuditEntry
from doorstep.deliberation import survey_results, surveys
from doorstep.deliberation.errors import Conflict, DeliberationError, NotAllowed
from doorstep.deliberation.models import Answer, Response, Survey, Topic

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def build_survey(world, *, node=None, per="resident", audience="residents", tag=""):
    officer = world.personas["community_officer"]
    survey = surveys.draw_up(
        actor=officer, node=node or world.community_1, title="加装电梯意愿调查",
        intro="了解居民对老楼加装电梯的意见", opens_at=NOW - dt.timedelta(hours=1),
        closes_at=NOW + dt.timedelta(days=7), per=per, audience=audience, tag=tag,
    )  # fmt: skip
    floor = surveys.add_question(
        actor=officer, survey=survey, kind="single", text_="您住几层？",
        options="一层\n二至三层\n四层及以上",
    )  # fmt: skip
    lift = surveys.add_question(
        actor=officer, survey=survey, kind="single", text_="您是否支持加装电梯？",
        options=["支持", "不支持", "无所谓"], show_if=floor.pk, show_if_options=[1, 2],
    )  # fmt: skip
    surveys.add_question(
        actor=officer, survey=survey, kind="multiple", text_="您关心哪些方面？",
        options=["费用分摊", "采光", "噪音", "施工期间出行"], required=False,
    )  # fmt: skip
    surveys.add_question(
        actor=officer, survey=survey, kind="rating", text_="对社区工作的满意度", scale=5
    )
    surveys.add_question(
        actor=officer, survey=survey, kind="matrix", text_="请评价以下服务",
        rows=["物业保洁", "绿化养护"], options=["满意", "一般", "不满意"],
    )  # fmt: skip
    surveys.add_question(
        actor=officer, survey=survey, kind="text", text_="您的其他建议", required=False
    )
    return surveys.open_survey(actor=officer, survey=survey), floor, lift


def _q(survey):
    return {q.position: q for q in survey.questions.all()}


def _answers(survey, floor, lift=None, rating=4, suggestion="", multiple=()):
    q = _q(survey)
    out = {f"q{q[1].pk}": floor, f"q{q[4].pk}": rating,
           f"q{q[5].pk}": {"0": 0, "1": 1}}  # fmt: skip
    if lift is not None:
        out[f"q{q[2].pk}"] = lift
    if multiple:
        out[f"q{q[3].pk}"] = list(multiple)
    if suggestion:
        out[f"q{q[6].pk}"] = suggestion
    return out


def test_a_condition_shows_the_lift_question_only_upstairs_and_a_hidden_answer_is_refused(
    world,
):
    survey, floor, lift = build_survey(world)
    resident = world.personas["resident"]
    # ground floor: the lift question is hidden, answering it is refused, nothing written
    with pytest.raises(DeliberationError, match="不适用于您前面的回答"):
        surveys.answer(actor=resident, survey=survey, answers=_answers(survey, 0, lift=0))
    assert not Response.objects.exists() and not Answer.objects.exists()
    # upstairs without the lift question: required, refused
    with pytest.raises(DeliberationError, match="请回答第2题"):
        surveys.answer(actor=resident, survey=survey, answers=_answers(survey, 2))
    assert not Response.objects.exists()
    response = surveys.answer(
        actor=resident, survey=survey, answers=_answers(survey, 2, lift=0, multiple=[0, 3])
    )
    rows = {(a.question.position, a.row, a.choice) for a in response.answers.all()}
    assert rows == {(1, None, 2), (2, None, 0), (3, None, 0), (3, None, 3), (4, None, 4),
                    (5, 0, 0), (5, 1, 1)}  # fmt: skip
    assert surveys.answered(resident, survey)
    with pytest.raises(Conflict, match="已经填写过"):
        surveys.answer(actor=resident, survey=survey, answers=_answers(survey, 0))
    assert Response.objects.count() == 1


def test_who_may_answer_and_when(world):
    survey, *_ = build_survey(world)
    # a resident of another community, an outsider: not in the audience
    for who in (world.personas["outsider"],):
        with pytest.raises(NotAllowed):
            surveys.answer(actor=who, survey=survey, answers=_answers(survey, 0))
    with pytest.raises(DeliberationError, match="选项无效"):
        surveys.answer(actor=world.personas["resident"], survey=survey,
                       answers=_answers(survey, 7))  # fmt: skip
    with pytest.raises(DeliberationError, match="请打1到5分"):
        surveys.answer(actor=world.personas["resident"], survey=survey,
                       answers=_answers(survey, 0, rating=9))  # fmt: skip
    with pytest.raises(DeliberationError, match="不属于本问卷"):
        surveys.answer(actor=world.personas["resident"], survey=survey,
                       answers={"q999999": 1, **_answers(survey, 0)})  # fmt: skip
    surveys.close_survey(actor=world.personas["community_officer"], survey=survey)
    survey.refresh_from_db()
    with pytest.raises(Conflict, match="不在填写时间内"):
        surveys.answer(actor=world.personas["resident"], survey=survey,
                       answers=_answers(survey, 0))  # fmt: skip
    assert not Response.objects.exists()
    # a published survey's questions cannot change; a grid worker cannot draw one up
    with pytest.raises(Conflict):
        surveys.add_question(actor=world.personas["community_officer"], survey=survey,
                             kind="text", text_="再加一题")  # fmt: skip
    with pytest.raises(NotAllowed):
        surveys.draw_up(actor=world.personas["grid_worker_a"], node=world.community_1,
                        title="x", opens_at=NOW, closes_at=NOW + dt.timedelta(days=1))  # fmt: skip
    assert Survey.objects.count() == 1


def test_a_public_survey_takes_a_phone_once_and_a_bad_condition_is_refused(world):
    survey, *_ = build_survey(world, audience="public")
    outsider = world.personas["outsider"]
    surveys.answer(actor=None, survey=survey, answers=_answers(survey, 0), anon="phone-1")
    surveys.answer(actor=outsider, survey=survey, answers=_answers(survey, 0))
    with pytest.raises(Conflict):
        surveys.answer(actor=None, survey=survey, answers=_answers(survey, 0), anon="phone-1")
    with pytest.raises(DeliberationError):  # no key at all
        surveys.answer(actor=None, survey=survey, answers=_answers(survey, 0), anon="")
    assert Response.objects.filter(survey=survey).count() == 2
    draft = surveys.draw_up(
        actor=world.personas["community_officer"], node=world.community_1, title="草稿",
        opens_at=NOW, closes_at=NOW + dt.timedelta(days=1),
    )  # fmt: skip
    text_q = surveys.add_question(actor=world.personas["community_officer"], survey=draft,
                                  kind="text", text_="建议")  # fmt: skip
    with pytest.raises(DeliberationError, match="显示条件"):
        surveys.add_question(actor=world.personas["community_officer"], survey=draft,
                             kind="text", text_="x", show_if=text_q.pk, show_if_options=[0])  # fmt: skip
    with pytest.raises(DeliberationError, match="两个选项"):
        surveys.add_question(actor=world.personas["community_officer"], survey=draft,
                             kind="single", text_="x", options="只有一个")  # fmt: skip
    assert draft.questions.count() == 1


def test_one_response_per_household_online_and_on_paper(world):
    survey, *_ = build_survey(world, per="household")
    worker = world.personas["grid_worker_a"]
    # the grid worker enters 王芳's paper questionnaire (household_a) …
    response = surveys.enter_paper(
        actor=worker, survey=survey, resident=world.planted.pk,
        answers=_answers(survey, 1, lift=1, suggestion="希望尽快加装電梯！"),
    )  # fmt: skip
    assert (response.channel, response.entered_by, response.key) == (
        "paper", worker, f"h:{world.household_a.pk}",
    )  # fmt: skip
    assert AuditEntry.objects.filter(action="create", target_type="deliberation.response").exists()
    # … so 王芳 online is refused (her household has answered)
    with pytest.raises(Conflict, match="您家已经填写过"):
        surveys.answer(actor=world.personas["resident"], survey=survey,
                       answers=_answers(survey, 0))  # fmt: skip
    # 李建国 is another household of the grid: his answer counts
    surveys.answer(actor=world.personas["party_member"], survey=survey,
                   answers=_answers(survey, 2, lift=0, suggestion="希望尽快加装电梯"))  # fmt: skip
    # a resident of another grid is outside grid_worker_a's scope; of another community,
    # outside the survey's audience
    with pytest.raises((NotAllowed, DeliberationError)):
        surveys.enter_paper(actor=worker, survey=survey, resident=world.resident_b.pk,
                            answers=_answers(survey, 0))  # fmt: skip
    with pytest.raises((NotAllowed, DeliberationError)):
        surveys.enter_paper(actor=world.personas["community_officer"], survey=survey,
                            resident=world.resident_c.pk, answers=_answers(survey, 0))  # fmt: skip
    assert Response.objects.filter(survey=survey).count() == 2


def test_a_survey_for_a_vulnerable_group_is_answered_by_that_group_only(world):
    survey, *_ = build_survey(world, tag="elderly_alone")  # 王芳 is tagged, 李建国 is not
    surveys.answer(actor=world.personas["resident"], survey=survey, answers=_answers(survey, 0))
    with pytest.raises(NotAllowed, match="重点人群"):
        surveys.answer(actor=world.personas["party_member"], survey=survey,
                       answers=_answers(survey, 0))  # fmt: skip
    with pytest.raises(DeliberationError, match="填写对象"):
        surveys.enter_paper(actor=world.personas["community_officer"], survey=survey,
                            resident=world.member.resident_id, answers=_answers(survey, 0))  # fmt: skip
    assert Response.objects.filter(survey=survey).count() == 1
    assert survey_results.audience_size(survey) == 1


def test_results_equal_a_direct_count_and_group_free_text(world):
    survey, floor, lift = build_survey(world)
    surveys.answer(actor=world.personas["resident"], survey=survey,
                   answers=_answers(survey, 2, lift=0, rating=5, multiple=[0, 1],
                                    suggestion="希望尽快加装電梯！"))  # fmt: skip
    surveys.answer(actor=world.personas["party_member"], survey=survey,
                   answers=_answers(survey, 0, rating=2, multiple=[0],
                                    suggestion="希望 尽快加装电梯"))  # fmt: skip
    surveys.enter_paper(actor=world.personas["community_officer"], survey=survey,
                        resident=world.resident_b.pk,
                        answers=_answers(survey, 1, lift=1, rating=4, suggestion="楼道灯坏了"))  # fmt: skip
    res = survey_results.results(actor=world.personas["community_officer"], survey=survey)
    assert (res.responses, res.online, res.paper) == (3, 2, 1)
    by_pos = {r.question.position: r for r in res.questions}
    for r in res.questions:  # every count equals a direct count of the answer rows
        rows = Answer.objects.filter(question=r.question)
        if r.question.kind in ("single", "multiple"):
            assert r.counts == [rows.filter(choice=i).count() for i in range(len(r.counts))]
        assert r.answered == rows.values("response").distinct().count()
    assert by_pos[1].counts == [1, 1, 1] and by_pos[2].counts == [1, 1, 0]
    assert by_pos[2].answered == 2  # hidden for the ground floor
    assert by_pos[4].average == pytest.approx((5 + 2 + 4) / 3)
    assert by_pos[5].matrix == [[3, 0, 0], [0, 3, 0]]
    groups = by_pos[6].groups
    assert [(g.count, g.text) for g in groups] == [(2, "希望尽快加装電梯！"), (1, "楼道灯坏了")]
    # a grid worker sees their grid's responses only (王芳 and 李建国 live in grid A)
    part = survey_results.results(actor=world.personas["grid_worker_a"], survey=survey)
    assert part.responses == 2
    with pytest.raises(NotAllowed):
        survey_results.results(actor=world.personas["resident"], survey=survey)


def test_the_export_has_the_tally_and_the_answers_without_names_and_is_audited(world):
    survey, *_ = build_survey(world)
    surveys.answer(actor=world.personas["resident"], survey=survey,
                   answers=_answers(survey, 2, lift=0, suggestion="=HYPERLINK(\"x\")"))  # fmt: skip
    officer = world.personas["community_officer"]
    response = survey_results.export(actor=officer, survey=survey)
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["汇总", "答卷"]
    summary = [[c for c in row] for row in book["汇总"].iter_rows(values_only=True)]
    assert ["答卷", None, 1, None] in [list(r) for r in summary]
    answers = list(book["答卷"].iter_rows(values_only=True))
    assert answers[1][:4] == ("序号", "网格", "方式", "提交时间")
    line = answers[2]
    assert line[1] == "清华东路第一网格" and line[2] == "线上填写"
    assert "四层及以上" in line and "支持" in line and '=HYPERLINK("x")' in line
    flat = " ".join(str(c) for row in answers for c in row if c is not None)
    assert "王芳" not in flat
    entry = AuditEntry.objects.get(action="export", target_type="deliberation.survey")
    assert entry.detail == {"what": "deliberation:survey", "rows": 1}
    with pytest.raises(NotAllowed):
        survey_results.export(actor=world.personas["resident"], survey=survey)
    assert AuditEntry.objects.filter(action="export").count() == 1


def test_a_suggestion_becomes_a_topic_once(world):
    survey, *_ = build_survey(world)
    surveys.answer(actor=world.personas["resident"], survey=survey,
                   answers=_answers(survey, 0, suggestion="小区里增设几处休息座椅"))  # fmt: skip
    row = Answer.objects.get(question__kind="text")
    officer = world.personas["community_officer"]
    topic = surveys.suggestion_to_topic(actor=officer, answer_row=row)
    assert (topic.title, topic.source, topic.node) == (
        "小区里增设几处休息座椅", "survey", world.community_1,
    )  # fmt: skip
    assert "加装电梯意愿调查" in topic.detail
    with pytest.raises(Conflict):
        surveys.suggestion_to_topic(actor=officer, answer_row=row)
    with pytest.raises(NotAllowed):
        surveys.suggestion_to_topic(actor=world.personas["resident"], answer_row=row)
    assert Topic.objects.filter(source="survey").count() == 1

"""问卷 on the 学院路 demo: the community of the `community` login asks its households about
adding lifts and about its services (a condition: the lift question only for those above
the ground floor; a rating, a matrix, a suggestion), one response per household. Over the
past fortnight its grid staff entered the paper questionnaires they collected door to door
and the `resident` login answered online; the suggestions repeat in different wordings
(繁体, punctuation) so the results group them. Written through
`doorstep.deliberation.surveys`; times are the services' "now" moved into the past."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from doorstep.accounts.models import Membership
from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.people.models import Resident
from doorstep.deliberation import surveys
from doorstep.deliberation.errors import DeliberationError
from doorstep.deliberation.models import Survey

from .cases.clock import at_moment
from .common import Log

SUGGESTIONS = (
    "希望尽快加装电梯",
    "希望盡快加裝電梯！",
    "楼道里堆放杂物太多，希望清理",
    "小区里增设几处休息座椅",
    "希望 尽快加装电梯。",
    "晚上路灯太暗",
    "",
    "",
)


def _questions(staff, survey: Survey) -> list[int]:
    floor = surveys.add_question(actor=staff, survey=survey, kind="single", text_="您家住在几层？",
                                 options=["一层", "二至三层", "四层及以上"])  # fmt: skip
    lift = surveys.add_question(
        actor=staff, survey=survey, kind="single", text_="您是否支持本楼加装电梯？",
        options=["支持", "不支持", "看费用分摊再定"], show_if=floor, show_if_options=[1, 2],
    )  # fmt: skip
    care = surveys.add_question(
        actor=staff, survey=survey, kind="multiple", text_="您最关心加装电梯的哪些方面？",
        options=["费用分摊", "低层采光", "噪音", "施工期间出行"], required=False,
    )  # fmt: skip
    rating = surveys.add_question(actor=staff, survey=survey, kind="rating",
                                  text_="您对社区服务的总体满意度", scale=5)  # fmt: skip
    matrix = surveys.add_question(
        actor=staff, survey=survey, kind="matrix", text_="请评价以下服务",
        rows=["物业保洁", "绿化养护", "停车管理"], options=["满意", "一般", "不满意"],
    )  # fmt: skip
    idea = surveys.add_question(actor=staff, survey=survey, kind="text",
                                text_="您对社区还有什么意见建议？", required=False)  # fmt: skip
    return [floor.pk, lift.pk, care.pk, rating.pk, matrix.pk, idea.pk]


def _answers(ids: list[int], rng: random.Random, n: int) -> dict[str, object]:
    floor, lift, care, rating, matrix, idea = ids
    level = rng.choice([0, 1, 2, 2])
    out: dict[str, object] = {
        f"q{floor}": level,
        f"q{rating}": rng.choice([3, 4, 4, 5, 5]),
        f"q{matrix}": {
            "0": rng.choice([0, 0, 1]),
            "1": rng.choice([0, 1]),
            "2": rng.choice([1, 2]),
        },
    }
    if level:
        out[f"q{lift}"] = rng.choice([0, 0, 0, 1, 2])
        out[f"q{care}"] = sorted(set(rng.sample([0, 1, 2, 3], rng.randint(1, 2))))
    if SUGGESTIONS[n % len(SUGGESTIONS)]:
        out[f"q{idea}"] = SUGGESTIONS[n % len(SUGGESTIONS)]
    return out


def seed_surveys(street: Organisation, log: Log) -> None:
    if Survey.objects.filter(path__startswith=street.path).exists():
        return
    users = get_user_model().objects
    staff = users.filter(username="community").first()
    held = Membership.objects.filter(user=staff, role__code="community_staff").first()
    if staff is None or held is None:
        return
    community = held.organisation
    now = timezone.now()
    with at_moment(now - dt.timedelta(days=16)):
        survey = surveys.draw_up(
            actor=staff, node=community, title="加装电梯与社区服务意见调查", per="household",
            intro="为推进老旧小区加装电梯、改进社区服务，请每户填写一份，约需3分钟。",
            opens_at=now - dt.timedelta(days=15), closes_at=now + dt.timedelta(days=10),
        )  # fmt: skip
        ids = _questions(staff, survey)
        survey = surveys.open_survey(actor=staff, survey=survey)
    rng = random.Random(17)
    grid_staff = list(
        users.filter(
            memberships__organisation__path__startswith=community.path,
            memberships__role__code__in=["grid_worker", "grid_leader"],
        )
        .distinct()
        .order_by("username")
    )
    online = 0
    for login in ("resident", "owner", "member"):
        user = users.filter(username=login).first()
        if user is not None and surveys.may_answer(user, survey):
            try:
                with at_moment(now - dt.timedelta(days=2)):
                    surveys.answer(actor=user, survey=survey, answers=_answers(ids, rng, 1))
                online += 1
            except DeliberationError:
                pass
    entered = 0
    for worker in grid_staff:
        scope = [m.organisation.path for m in worker.memberships.select_related("organisation")]
        heads = (
            Resident.objects.outside_door("the demo's heads of household, by grid")
            .filter(relation="head", grid__path__in=scope)
            .order_by("pk")[:20]
        )
        for resident in heads:
            with at_moment(now - dt.timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 8))):
                try:
                    surveys.enter_paper(actor=worker, survey=survey, resident=resident,
                                        answers=_answers(ids, rng, entered))  # fmt: skip
                except DeliberationError:
                    continue  # the household has answered already
            entered += 1
    log(f"  问卷：{survey.title}，纸质录入 {entered} 份、线上填写 {online} 份")

"""The demo stories, one per kind of case, and playing them side by side in time order."""

from __future__ import annotations

import datetime as dt
import heapq

from django.utils import timezone

from doorstep.atlas.organisations.models import Organisation
from doorstep.cases import services
from doorstep.cases.errors import CaseError
from doorstep.cases.hotline import import_rows
from doorstep.cases.models import Case, CaseKind
from doorstep.cases.sweep import sweep

from ..common import Log
from .cast import DEFAULT_HANDLERS
from .clock import DAYS, SWEEP_EVERY, TZ, at_moment, office_hours
from .moves import Step, Story, StoryMoves


class Storyteller(StoryMoves):
    """Writes and plays the demo stories."""

    # -------------------------------------------------------- the stories

    def story(self, kind: str, grid: Organisation) -> Story:
        rng = self.rng
        h = self.hours
        if kind == "pool":
            s = Story(CaseKind.REQUEST, grid, self.pick("物业报修", "为老服务", "环境卫生"), [])
            s.steps = [
                (0, self.filed_by_resident(s)),
                (h(0.3, 5), self.move("accept", self.dispatcher)),
                (h(0.1, 2), self.move("publish", self.dispatcher)),
                (h(0.5, 20), self.claim(s)),
                *self.handling(s, rate=True),
            ]
        elif kind == "grid":
            s = Story(
                CaseKind.REQUEST,
                grid,
                self.pick("物业报修", "矛盾调解", "环境卫生", "施工管理", "安全隐患"),
                [],
            )
            s.steps = [
                (0, self.filed_by_resident(s)),
                (h(0.3, 5), self.move("accept", self.dispatcher)),
                (h(0.1, 2), self.dispatch_to(s, "grid")),
                (h(0.2, 6), self.move("sign", self.handler)),
                *self.handling(s, rate=True),
            ]
        elif kind == "department":
            s = Story(CaseKind.REQUEST, grid, self.pick(*DEFAULT_HANDLERS), [])
            steps: list[tuple[float, Step]] = [
                (0, self.filed_by_resident(s)),
                (h(0.3, 5), self.move("accept", self.dispatcher)),
                (h(0.1, 2), self.dispatch_to(s, "department")),
            ]
            if rng.random() < 0.15:  # returned as not theirs, then sent to the grid
                steps += [
                    (
                        h(1, 10),
                        self.noted(
                            "return", self.handler, "不属于本单位职责范围，请社区协调物业处理"
                        ),
                    ),
                    (h(0.5, 4), self.dispatch_to(s, "grid")),
                ]
            steps += [(h(0.5, 8), self.move("sign", self.handler)), *self.handling(s, rate=True)]
            s.steps = steps
        elif kind == "self_handle":
            s = Story(CaseKind.PATROL, grid, self.pick("环境卫生", "安全隐患", "物业报修"), [])

            def self_handle(st: Story) -> None:
                assert st.case is not None
                st.case = services.perform(
                    st.case,
                    "self_handle",
                    actor=self.cast.grid_workers[st.grid.pk],
                    note=self.resolution(st.category),
                    photos=[self.photo()],
                )

            s.steps = [(0, self.reported_on_patrol(s)), (h(0.2, 2), self_handle)]
        elif kind == "patrol":
            s = Story(CaseKind.PATROL, grid, self.pick("环境卫生", "施工管理", "安全隐患"), [])
            worker = self.cast.grid_workers[grid.pk]
            s.steps = [
                (0, self.reported_on_patrol(s)),
                (h(0.1, 3), self.move("submit", lambda st: worker)),
                (h(0.3, 5), self.move("accept", self.dispatcher)),
                (h(0.1, 2), self.dispatch_to(s, "grid")),
                (h(0.2, 6), self.move("sign", self.handler)),
                *self.handling(s, rate=False),
            ]
        elif kind == "whistle":
            s = Story(
                CaseKind.PATROL,
                grid,
                self.pick("施工管理 › 施工安全隐患", "安全隐患", "城乡建设 › 城乡规划 › 违章建筑"),
                [],
            )
            worker = self.cast.grid_workers[grid.pk]
            depts = list(self.cast.departments.values())
            chosen = [self.cast.departments["城管执法队"]] + rng.sample(
                [d for d in depts if d.name != "城管执法队"], k=rng.choice((1, 1, 2))
            )
            s.departments = chosen
            s.handler = self.cast.liaisons[chosen[0].pk]

            def report(dept: Organisation) -> Step:
                return self.move("report_in", lambda st: self.cast.liaisons[dept.pk])

            def evaluate(st: Story) -> None:
                assert st.case is not None
                from doorstep.cases.models import Summons

                pending = Summons.objects.filter(whistle__case=st.case, score__isnull=True)
                scores = {
                    x.pk: (rng.choice((5, 5, 4, 4, 3)), "响应及时，配合到位") for x in pending
                }
                st.case = services.perform(
                    st.case, "evaluate", actor=self.cast.officer, scores=scores
                )

            s.steps = [
                (0, self.reported_on_patrol(s)),
                (h(0.1, 2), self.move("submit", lambda st: worker)),
                (h(0.2, 2), self.move("accept", self.dispatcher)),
                (
                    h(0.2, 3),
                    self.noted(
                        "escalate",
                        self.dispatcher,
                        "涉及多个职能部门，社区无法单独处置，请街道协调",
                    ),
                ),
                (
                    h(0.2, 3),
                    self.noted(
                        "whistle", self.officer, "请相关部门到场联合处置", departments=chosen
                    ),
                ),
                *[(h(0.1, 0.7), report(d)) for d in chosen],
                (
                    h(6, 40),
                    self.noted("resolve", self.handler, "多部门联合执法，隐患已消除，现场已恢复"),
                ),
                (h(1, 8), self.move("verify_close", self.officer)),
                (h(2, 48), evaluate),
            ]
        elif kind == "hotline":
            s = Story(
                CaseKind.HOTLINE,
                grid,
                self.pick(*DEFAULT_HANDLERS, "城乡建设 › 城市建设和市政管理 › 城管执法"),
                [],
            )

            def imported(st: Story) -> None:
                staff = self.cast.staff[self.cast.community_of[st.grid.pk].pk]
                building = rng.choice(self.cast.buildings[st.grid.pk])
                self.counter += 1
                called = timezone.now() - dt.timedelta(minutes=rng.randint(30, 180))
                record = {
                    "工单编号": f"BJ12345{called.astimezone(TZ):%y%m%d}{self.counter:04d}",
                    "诉求类型": rng.choice(("投诉", "求助", "投诉", "建议")),
                    "问题分类": st.category.full_name,
                    "诉求内容": self.text(st.category),
                    "地址": f"北京市海淀区学院路街道{building.name}",
                    "来电时间": called.astimezone(TZ).replace(tzinfo=None),
                    "办结时限": "",
                    "来电人": rng.choice(("张先生", "王女士", "李女士", "刘先生")),
                    "联系电话": f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
                }
                result = import_rows(
                    [(2, record)], actor=staff, fallback=self.cast.community_of[st.grid.pk]
                )
                if result.errors:
                    raise CaseError(result.errors[0][1])
                st.case = Case.objects.get(number=result.numbers[0])
                st.rater = staff  # the callback (回访) is made by the importing staff

            # Each community has its own practice for a category of hotline order (some
            # send 食品安全 to the grid first, others straight to the department); one
            # order in ten goes the other way.
            practice = self.practice(self.cast.community_of[grid.pk], s.category)
            other = "department" if practice == "grid" else "grid"
            target = practice if rng.random() >= 0.1 else other
            s.steps = [
                (0, imported),
                (h(0.2, 3), self.dispatch_to(s, target)),
                (h(0.3, 6), self.move("sign", self.handler)),
                *self.handling(s, rate=True),
            ]
        elif kind == "wish":
            s = Story(CaseKind.MICRO_WISH, grid, self.pick("微心愿"), [])
            s.steps = [
                (0, self.filed_by_resident(s, CaseKind.MICRO_WISH)),
                (h(1, 24), self.move("accept", self.dispatcher)),
                (h(0.1, 4), self.move("publish", self.dispatcher)),
                (h(2, 72), self.claim(s)),
                *self.handling(s, rate=True),
            ]
        elif kind == "info":
            s = Story(CaseKind.REQUEST, grid, self.pick("矛盾调解", "物业报修"), [])
            s.steps = [
                (0, self.filed_by_resident(s)),
                (
                    h(0.5, 6),
                    self.noted("request_info", self.dispatcher, "请补充具体楼号、单元和现场照片"),
                ),
                (h(2, 30), self.noted("supplement", self.rater, "是3单元2层东户，晚上8点后最明显")),
                (h(0.5, 6), self.move("accept", self.dispatcher)),
                (h(0.1, 2), self.dispatch_to(s, "grid")),
                (h(0.2, 6), self.move("sign", self.handler)),
                *self.handling(s, rate=True),
            ]
        elif kind == "cancelled":
            s = Story(CaseKind.REQUEST, grid, self.pick("环境卫生", "物业报修"), [])
            end: Step = (
                self.noted("withdraw", self.rater, "问题已自行解决，撤回申请")
                if rng.random() < 0.5
                else self.noted("cancel", self.dispatcher, "经核实为重复诉求，已在其他工单中办理")
            )
            s.steps = [(0, self.filed_by_resident(s)), (h(0.5, 8), end)]
        else:  # pragma: no cover - a typo in MIX
            raise ValueError(kind)
        return s

    # -------------------------------------------------------- playing them

    def play(self, mix: dict[str, int], grids: list[Organisation], log: Log) -> dict[str, int]:
        rng = self.rng
        start = self.now - dt.timedelta(days=DAYS)
        queue: list[tuple[dt.datetime, int, Story | None]] = []
        n = 0
        kinds = [k for k, count in mix.items() for _ in range(count)]
        rng.shuffle(kinds)
        for kind in kinds:
            grid = rng.choice(grids)
            story = self.story(kind, grid)
            # More recent days are busier (the service grew); filed 07:00–22:00.
            age = DAYS * (rng.random() ** 1.3)
            filed = (self.now - dt.timedelta(days=age)).astimezone(TZ)
            filed = filed.replace(hour=rng.randint(7, 21), minute=rng.randint(0, 59))
            if filed >= self.now - dt.timedelta(minutes=30):
                filed = self.now - dt.timedelta(hours=rng.uniform(1, 6))
            n += 1
            heapq.heappush(queue, (filed, n, story))
        t = start
        while t < self.now:
            n += 1
            heapq.heappush(queue, (t, n, None))
            t += SWEEP_EVERY
        done: dict[str, int] = {"moves": 0, "stopped": 0, "sweeps": 0}
        while queue:
            moment, _n, item = heapq.heappop(queue)
            if moment >= self.now:
                continue
            if item is None:
                with at_moment(moment):
                    sweep(moment)
                done["sweeps"] += 1
                continue
            story = item
            _delay, step = story.steps[story.index]
            try:
                with at_moment(moment):
                    step(story)
            except CaseError as exc:
                # The sweep escalated it, or it closed by itself: the story ends here.
                done["stopped"] += 1
                self.stats[exc.message] = self.stats.get(exc.message, 0) + 1
                if story.case is None:
                    log(f"  跳过一件演示工单：{exc.message}")
                continue
            done["moves"] += 1
            story.index += 1
            if story.index < len(story.steps):
                delay = story.steps[story.index][0]
                following = moment + dt.timedelta(hours=delay)
                if delay >= 0.5:
                    following = office_hours(following, rng)
                n += 1
                heapq.heappush(queue, (max(following, moment + dt.timedelta(minutes=1)), n, story))
        return done

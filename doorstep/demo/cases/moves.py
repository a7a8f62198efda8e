"""A demo story and the material, moves and building blocks its steps are written with."""

from __future__ import annotations

import datetime as dt
import io
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from doorstep.accounts.models import User
from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.places.models import Building
from doorstep.cases import services
from doorstep.cases.errors import CaseError
from doorstep.cases.locating import locate
from doorstep.cases.models import Case, CaseKind, Category, Source

from .cast import Cast
from .texts import DEFAULT_RESOLUTIONS, RESOLUTIONS, TEXTS

Step = Callable[["Story"], None]


@dataclass
class Story:
    """One case from filing to wherever it has got by now."""

    kind: str
    grid: Organisation
    category: Category
    steps: list[tuple[float, Step]]  # (hours after the previous step, what happens)
    case: Case | None = None
    handler: User | None = None
    rater: User | None = None
    departments: list[Organisation] = field(default_factory=list)
    index: int = 0


class StoryMoves:
    """The material, moves and building blocks the demo stories are written with."""

    def __init__(self, cast: Cast, rng: random.Random, now: dt.datetime) -> None:
        self.cast = cast
        self.rng = rng
        self.now = now
        self.cats = self._categories()
        self.png = _png()
        self.counter = 0
        self.stats: dict[str, int] = {}

    # -------------------------------------------------------- material

    def _categories(self) -> dict[str, Category]:
        leaves = Category.objects.filter(active=True, children__isnull=True)
        return {c.full_name: c for c in leaves if c.full_name in TEXTS}

    def pick(self, *groups: str) -> Category:
        names = [n for n in self.cats if n.split(" › ")[0] in groups or n in groups]
        return self.cats[self.rng.choice(sorted(names))]

    def text(self, category: Category) -> str:
        return self.rng.choice(TEXTS[category.full_name])

    def resolution(self, category: Category) -> str:
        group = category.full_name.split(" › ")[0]
        return self.rng.choice(RESOLUTIONS.get(group, DEFAULT_RESOLUTIONS))

    def photo(self) -> SimpleUploadedFile:
        return SimpleUploadedFile("现场照片.png", self.png, content_type="image/png")

    def resident(self, grid: Organisation) -> tuple[User, Building] | None:
        options = self.cast.residents.get(grid.pk) or []
        return self.rng.choice(options) if options else None

    def hours(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high)

    def work_hours(self, category: Category, slow: bool) -> float:
        """How long the handler takes, by urgency; a slow one overruns the limit."""
        if category.urgency == "urgent":
            return self.hours(20, 40) if slow else self.hours(1, 16)
        if category.urgency == "pressing":
            return self.hours(80, 140) if slow else self.hours(4, 60)
        return self.hours(200, 300) if slow else self.hours(8, 150)

    # -------------------------------------------------------- moves

    def move(self, code: str, who: Callable[[Story], User | None], **params: Any) -> Step:
        def step(story: Story) -> None:
            assert story.case is not None
            actor = who(story)
            story.case = services.perform(story.case, code, actor=actor, **params)

        return step

    def noted(
        self, code: str, who: Callable[[Story], User | None], note: str, **params: Any
    ) -> Step:
        return self.move(code, who, note=note, **params)

    def dispatcher(self, story: Story) -> User:
        assert story.case is not None
        return self.cast.dispatcher(story.case)

    def handler(self, story: Story) -> User | None:
        return story.handler

    def rater(self, story: Story) -> User | None:
        return story.rater

    def officer(self, story: Story) -> User:
        return self.cast.officer

    # -------------------------------------------------------- building blocks

    def handling(
        self, story: Story, *, rate: bool, slow: bool | None = None
    ) -> list[tuple[float, Step]]:
        """start → (suspend/resume | extension) → resolve → verify → rate or reopen."""
        rng = self.rng
        slow = rng.random() < 0.12 if slow is None else slow
        cat = story.category
        steps: list[tuple[float, Step]] = [(self.hours(0.1, 3), self.move("start", self.handler))]
        work = self.work_hours(cat, slow)
        roll = rng.random()
        if roll < 0.06:
            steps.append((work * 0.3, self.noted("suspend", self.handler, "等待业主提供维修配件")))
            steps.append((self.hours(12, 48), self.move("resume", self.handler)))
            work *= 0.7
        elif roll < 0.12 and cat.urgency != "urgent":
            steps.append(
                (
                    work * 0.4,
                    self.noted(
                        "request_extension",
                        self.handler,
                        "需协调产权单位，申请延期",
                        amount=3,
                        unit="workdays",
                    ),
                )
            )
            steps.append((self.hours(1, 8), self.move("approve_extension", self.dispatcher)))
            work *= 0.6
        resolution = self.resolution(cat)
        steps.append((work, self.noted("resolve", self.handler, resolution)))
        if story.kind == CaseKind.PATROL:
            steps.append((self.hours(1, 20), self.move("verify_close", self.dispatcher)))
            return steps
        steps.append((self.hours(1, 20), self.move("verify", self.dispatcher)))
        if not rate or rng.random() < 0.08:
            return steps  # nobody rates: the sweep closes it when the window ends
        r = rng.random()
        if r < 0.05:
            steps.append(
                (
                    self.hours(2, 48),
                    self.move(
                        "reopen",
                        self.rater,
                        rating="unsatisfied",
                        solved=False,
                        comment="问题没有彻底解决",
                    ),
                )
            )
            steps.append(
                (self.hours(8, 48), self.noted("resolve", self.handler, "已再次上门，彻底解决"))
            )
            steps.append((self.hours(1, 10), self.move("verify", self.dispatcher)))
            r = 0.5
        rating = "satisfied" if r < 0.82 else "basic"
        steps.append(
            (
                self.hours(2, 60),
                self.move("rate", self.rater, rating=rating, solved=True, comment=""),
            )
        )
        return steps

    def filed_by_resident(self, story: Story, kind: str = CaseKind.REQUEST) -> Step:
        def step(s: Story) -> None:
            found = self.resident(s.grid)
            if found is None:
                raise CaseError("该网格没有演示居民")
            user, home = found
            s.rater = user
            s.case = services.create_case(
                actor=user,
                category=s.category,
                description=self.text(s.category),
                location=locate(building=home),
                kind=kind,
                source=Source.WEB,
                anonymous=self.rng.random() < 0.15,
                created_at=timezone.now(),
            )

        return step

    def reported_on_patrol(self, story: Story) -> Step:
        def step(s: Story) -> None:
            building = self.rng.choice(self.cast.buildings[s.grid.pk])
            s.case = services.create_case(
                actor=self.cast.grid_workers[s.grid.pk],
                category=s.category,
                description=self.text(s.category),
                location=locate(building=building),
                kind=CaseKind.PATROL,
                source=Source.PATROL,
                draft=True,
                created_at=timezone.now(),
            )

        return step

    @staticmethod
    def practice(community: Organisation, category: Category) -> str:
        """Where a community sends hotline orders of a category: fixed per pair (no draw
        from the story's random stream), four pairs in ten to the grid."""
        return (
            "grid"
            if zlib.crc32(f"{community.name}|{category.code}".encode()) % 10 < 4
            else "department"
        )

    def dispatch_to(self, story: Story, target: str) -> Step:
        """Dispatch to the grid, the category's default handler or a given department."""

        def step(s: Story) -> None:
            assert s.case is not None
            if target == "grid":
                lead: Organisation = s.grid
                s.handler = self.cast.grid_workers[s.grid.pk]
            else:
                found = s.category.default_handler
                lead = found if found and found.pk in self.cast.liaisons else self.cast.city
                s.handler = self.cast.liaisons[lead.pk]
            s.case = services.perform(
                s.case, "dispatch", actor=self.cast.dispatcher(s.case), lead=lead
            )

        return step

    def claim(self, story: Story) -> Step:
        def step(s: Story) -> None:
            assert s.case is not None
            community = self.cast.community_of[s.grid.pk]
            s.handler = self.rng.choice(self.cast.claimers[community.pk])
            s.case = services.perform(s.case, "claim", actor=s.handler)

        return step


def _png() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (64, 48), (214, 224, 232))
    ImageDraw.Draw(img).rectangle((8, 8, 56, 40), outline=(40, 90, 140), width=3)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()

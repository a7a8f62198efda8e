"""The case list as an Excel download (导出工单): exactly the rows the list shows for the same
tab and filters, every page, masked per role and audited (`core.xlsx.export`).

Who filed a case follows the case page: those who receive cases see the filer and a contact
number, others see an anonymous filer as 匿名 and no number. The number is masked unless the
viewer may unmask personal data (people.unmask_personal_data)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from doorstep.atlas.organisations.models import Kind
from doorstep.atlas.people.models import Resident
from doorstep.cases.models import Assignment, AssignmentRole, AssignmentState, Case, Flag, Rating
from doorstep.cases.workflow import S
from doorstep.core import xlsx
from doorstep.core.masking import mask_phone

from .views_queue import TABS, may_use_list, queue

# openpyxl keeps every cell of the shared helper's workbook in memory (about 20 s and
# 450 MB for 50,000 rows here), so one download stops well below that.
MAX_ROWS = 50_000
HEADER = [
    "工单编号",
    "标题",
    "分类",
    "类型",
    "来源",
    "状态",
    "时限",
    "所在社区/网格",
    "承办单位",
    "提交人",
    "联系电话",
    "提交时间",
    "办结期限",
    "办结时间",
    "满意度",
    "重办次数",
]
# Handlers shown: the current ones, and those who finished the case.
HANDLER_STATES = (AssignmentState.PENDING, AssignmentState.SIGNED, AssignmentState.DONE)
# Statuses in which the time flag means nothing (as on the list).
NO_FLAG = frozenset({S.DRAFT, S.PENDING_RATING, S.CLOSED, S.ARCHIVED, S.CANCELLED})
FLAGS = dict(Flag.choices)
RATINGS = dict(Rating.choices)


def text(value: str | None) -> str:
    return value or ""  # core.xlsx keeps "=…" as text


def local(moment: dt.datetime | None) -> dt.datetime | None:
    """Beijing wall-clock time without tzinfo (Excel has no time zones)."""
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def place(case: Case) -> str:
    territory = case.territory
    if territory.kind == Kind.GRID and territory.parent is not None:
        return f"{territory.parent.name} / {territory.name}"
    return territory.name


def handlers(case: Case) -> str:
    rows = sorted(case.shown_handlers, key=lambda a: (a.role != AssignmentRole.LEAD, a.pk))  # type: ignore[attr-defined]
    names: list[str] = []
    for a in rows:
        name = a.handler_name + ("（协办）" if a.role == AssignmentRole.CO else "")
        if name not in names:
            names.append(name)
    return "、".join(names)


class Filers:
    """Who filed each case, as the case page shows it to this viewer (see views_case)."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self.staff = user.is_staff or user.has_perm("cases.receive_case")
        self.clear = self.staff and user.has_perm("people.unmask_personal_data")
        self._phones: dict[int, str] = {}

    @property
    def masked(self) -> bool:
        return not self.clear

    def load_phones(self, cases: list[Case]) -> None:
        """Residents' numbers for the filers of a chunk that left no contact number."""
        if not self.staff:
            return
        wanted = {c.reporter_id for c in cases if c.reporter_id and not c.contact_phone}
        wanted -= set(self._phones)
        for user_id, phone in (
            Resident.objects.outside_door("the filers' numbers of cases the viewer sees")
            .filter(user_id__in=wanted)
            .values_list("user_id", "phone")
            if wanted
            else []
        ):
            self._phones.setdefault(user_id, phone or "")

    def cells(self, case: Case) -> tuple[str, str]:
        if case.reporter_id == self.user.pk:
            return f"{case.reporter}（本人）", ""
        if not self.staff:
            if case.anonymous:
                return "匿名", ""
            return (str(case.reporter) if case.reporter else "—"), ""
        phone = case.contact_phone or (
            self._phones.get(case.reporter_id, "") if case.reporter_id else ""
        )
        name = str(case.reporter) if case.reporter else (case.contact_name or "—")
        if case.anonymous:
            name += "（对外匿名）"
        return name, (phone if self.clear else mask_phone(phone))


def rows(cases: Any, filers: Filers) -> Iterator[list[Any]]:
    chunk: list[Case] = []
    for case in cases.iterator(chunk_size=2000):
        chunk.append(case)
        if len(chunk) == 2000:
            yield from _chunk_rows(chunk, filers)
            chunk = []
    yield from _chunk_rows(chunk, filers)


def _chunk_rows(chunk: list[Case], filers: Filers) -> Iterator[list[Any]]:
    filers.load_phones(chunk)
    for c in chunk:
        name, phone = filers.cells(c)
        flag = "" if (c.status in NO_FLAG or not c.due_at) else str(FLAGS.get(c.flag, c.flag))
        yield [
            c.number,
            text(c.title),
            c.category.full_name or c.category.name,
            c.get_kind_display(),
            c.get_source_display(),
            c.status_label,
            flag,
            place(c),
            text(handlers(c)),
            text(name),
            phone,
            local(c.submitted_at or c.created_at),
            local(c.due_at),
            local(c.closed_at),
            str(RATINGS.get(c.rating, "")) if c.rating else "",
            c.reopen_count,
        ]


def refuse(request: HttpRequest, message: str, back: str) -> HttpResponse:
    return render(
        request, "cases/export_refused.html", {"message": message, "back": back}, status=400
    )


def bad_filters(request: HttpRequest, form: Any) -> str:
    """Why the query cannot be exported, or "" when it can."""
    raw_tab = request.GET.get("tab")
    wrong = []
    if raw_tab and raw_tab not in {t[0] for t in TABS}:
        wrong.append("分类标签")
    wrong += [str(form.fields[name].label or "组织") for name in form.errors]
    if not wrong:
        return ""
    return f"筛选条件不正确（{'、'.join(wrong)}），请回到工单列表重新筛选后再导出。"


def _filter_detail(tab: str, cleaned: dict[str, Any]) -> dict[str, Any]:
    used = {k: v for k, v in cleaned.items() if v not in (None, "")}
    for k, v in used.items():
        if isinstance(v, dt.date):  # the audit detail is JSON
            used[k] = v.isoformat()
    if "q" in used:
        used["q"] = str(used["q"])[:100]
    return {"tab": tab, "filters": used}


@login_required
@require_GET
def export_cases(request: HttpRequest) -> HttpResponse:
    """导出Excel of the case list: the list's tab and filters, all pages."""
    user: Any = request.user
    may_use_list(user)
    shown = queue(user, request.GET)
    back = reverse("desk:list") + "?" + request.GET.urlencode()
    problem = bad_filters(request, shown.form)
    if problem:
        return refuse(request, problem, reverse("desk:list"))
    cases = shown.cases.select_related("territory__parent", "reporter").prefetch_related(
        Prefetch(
            "assignments",
            queryset=Assignment.objects.filter(state__in=HANDLER_STATES).select_related(
                "organisation", "user"
            ),
            to_attr="shown_handlers",
        )
    )
    filers = Filers(user)
    if not filers.staff:
        cases = cases.defer("contact_name", "contact_phone")
    total = cases.count()
    if total > MAX_ROWS:
        return refuse(
            request,
            f"符合条件的工单共 {total} 件，超过单次导出上限 {MAX_ROWS} 件。"
            "请按状态、分类或组织缩小范围后分批导出。",
            back,
        )
    label = dict((t[0], t[1]) for t in TABS)[shown.tab]
    return xlsx.export(
        actor=user,
        what="desk:cases",
        title=f"工单（{label}）导出于 {timezone.localtime():%Y-%m-%d %H:%M}",
        header=HEADER,
        rows=rows(cases, filers),
        name=f"工单-{label}",
        detail={**_filter_detail(shown.tab, shown.form.cleaned_data), "masked": filers.masked},
    )

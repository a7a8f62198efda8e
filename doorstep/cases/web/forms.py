"""Forms of the case pages (Chinese messages; the service does the real checks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms

from doorstep.atlas.places.models import Building
from doorstep.cases.models import CaseKind, Category, Flag
from doorstep.cases.workflow import STATUS_CHOICES
from doorstep.core.ids import parse_id

KIND_CHOICES = [(CaseKind.REQUEST, "群众点单"), (CaseKind.MICRO_WISH, "微心愿")]
WHERE_CHOICES = [("building", "选择楼栋"), ("point", "在地图上标出"), ("address", "填写地址")]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FileCaseForm(forms.Form):
    """群众点单 / 微心愿 and 网格发现: what, where, photos."""

    kind = forms.ChoiceField(label="类型", choices=KIND_CHOICES, initial=CaseKind.REQUEST)
    category = forms.CharField(label="分类", error_messages={"required": "请选择分类"})
    title = forms.CharField(label="标题", max_length=120, required=False)
    description = forms.CharField(
        label="诉求内容",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": "请填写诉求内容", "max_length": "诉求内容过长（最多5000字）"},
    )
    where = forms.ChoiceField(label="位置", choices=WHERE_CHOICES, initial="building")
    building = forms.CharField(label="楼栋", required=False)
    lat = forms.FloatField(label="纬度", required=False, error_messages={"invalid": "坐标无效"})
    lon = forms.FloatField(label="经度", required=False, error_messages={"invalid": "坐标无效"})
    address = forms.CharField(label="地址", max_length=200, required=False)
    anonymous = forms.BooleanField(label="对外匿名（工作人员仍可看到提交人）", required=False)

    def __init__(
        self,
        *args: Any,
        find_building: Callable[[str], Building | None],
        patrol: bool = False,
        **kw: Any,
    ):
        """`find_building(raw)`: the building a filer may choose by that id, or None."""
        super().__init__(*args, **kw)
        self.find_building = find_building
        self.patrol = patrol
        if patrol:
            del self.fields["kind"]
            del self.fields["anonymous"]

    def clean_category(self) -> Category:
        raw = (self.cleaned_data.get("category") or "").strip()
        cat = None
        cat_id = parse_id(raw)
        if cat_id is not None:
            cat = Category.objects.filter(pk=cat_id, active=True).first()
        if cat is None:
            cat = Category.objects.filter(code=raw, active=True).first()
        if cat is None:
            raise forms.ValidationError("分类不存在，请重新选择")
        if cat.children.exists():
            raise forms.ValidationError("请选择最末一级分类")
        return cat

    def clean_building(self) -> Building | None:
        raw = (self.cleaned_data.get("building") or "").strip()
        if not raw:
            return None
        b = self.find_building(raw)
        if b is None:
            raise forms.ValidationError("请选择有效的楼栋")
        return b

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        where = data.get("where")
        if where == "building" and not data.get("building") and "building" not in self.errors:
            self.add_error("building", "请选择楼栋")
        missing_point = data.get("lat") is None or data.get("lon") is None
        if where == "point" and missing_point and "lat" not in self.errors:
            self.add_error("lat", "请在地图上点选位置")
        if where == "address" and not (data.get("address") or "").strip():
            self.add_error("address", "请填写地址")
        return data


# Far enough for any case, near enough that a day's bounds never leave what a datetime holds.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)


def period_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m-%d"],
        validators=[within_years],
        error_messages={"invalid": "日期格式应为 年-月-日，如 2026-11-01"},
    )


def within_years(day: dt.date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise forms.ValidationError(f"日期应在 {FIRST_DAY.year} 年至 {LAST_DAY.year} 年之间")


class QueueFilter(forms.Form):
    q = forms.CharField(label="搜索", required=False)
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态")])
    flag = forms.ChoiceField(label="时限", required=False, choices=[("", "全部")])
    kind = forms.ChoiceField(label="类型", required=False, choices=[("", "全部类型")])
    category = forms.IntegerField(label="分类", required=False)
    # A node of the tree (the cockpit drills down with it): its subtree only.
    org = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    # Periods by local (Beijing) day, as the cockpit counts 受理量 and 办结.
    received_from = period_field("受理日期（起）")
    received_to = period_field("受理日期（止）")
    closed_from = period_field("办结日期（起）")
    closed_to = period_field("办结日期（止）")
    # Cases this organisation dispatches now (a street's escalations), exactly that node.
    owner = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    # 吹哨 whose summoned departments have not all reported (报到).
    whistle = forms.ChoiceField(
        label="吹哨", required=False, choices=[("", "全部"), ("waiting", "待报到")]
    )
    sort = forms.ChoiceField(
        label="排序", required=False, choices=[("", "最新在前"), ("due", "期限最近在前")]
    )
    # The cockpit's 办结 and 超期办结 of a cohort: closed now, and of those, resolved late.
    outcome = forms.ChoiceField(
        label="办结情况",
        required=False,
        choices=[("", "全部"), ("closed", "已办结"), ("late", "超期办结")],
    )

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["status"].choices = [("", "全部状态"), *STATUS_CHOICES]  # type: ignore[attr-defined]
        self.fields["flag"].choices = [("", "全部时限"), *Flag.choices]  # type: ignore[attr-defined]
        self.fields["kind"].choices = [("", "全部类型"), *CaseKind.choices]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Errors go on a field, not the form: the export names the fields it refuses.
        for prefix in ("received", "closed"):
            start, end = data.get(f"{prefix}_from"), data.get(f"{prefix}_to")
            if start and end and start > end:
                since = self.fields[f"{prefix}_from"].label
                self.add_error(f"{prefix}_to", f"不能早于{since}（{start:%Y-%m-%d}）")
        return data

"""Input shapes for the governance map pages (types and shape only)."""

from __future__ import annotations

from typing import Any

from django import forms

from doorstep.atlas.people.models import VULNERABLE_TAGS, Gender, Relation, ResidenceType
from doorstep.cases.web.forms import period_field
from doorstep.core.models import AuditAction


class ResidentForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=64)
    residence_type = forms.ChoiceField(label="人口类型", choices=ResidenceType.choices)
    relation = forms.ChoiceField(label="与户主关系", choices=Relation.choices)
    gender = forms.ChoiceField(label="性别", choices=[("", "—"), *Gender.choices], required=False)
    birth_date = forms.DateField(
        label="出生日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    id_card = forms.CharField(label="身份证号", max_length=18, required=False)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    tags = forms.MultipleChoiceField(
        label="重点人群标签",
        choices=VULNERABLE_TAGS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label="备注", max_length=200, required=False)


class EditResidentForm(ResidentForm):
    """Editing: blank ID-card/phone fields mean "keep as is" (they are shown masked)."""

    id_card = forms.CharField(label="身份证号（不修改请留空）", max_length=18, required=False)
    phone = forms.CharField(label="联系电话（不修改请留空）", max_length=20, required=False)
    birth_date = forms.DateField(
        label="出生日期（不修改请留空）",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class MoveHouseholdForm(forms.Form):
    building = forms.IntegerField(label="楼栋", widget=forms.Select)
    unit = forms.CharField(label="单元", max_length=20)
    room = forms.CharField(label="室号", max_length=20)


class AuditFilter(forms.Form):
    """The audit log's filters: what was done, by whom, to what kind of object, when."""

    action = forms.ChoiceField(label="动作", required=False)
    user = forms.CharField(label="账号", required=False, max_length=150)
    type = forms.ChoiceField(label="对象类型", required=False)
    target = forms.CharField(required=False, max_length=64)  # one object, from its link
    since = period_field("日期（起）")
    until = period_field("日期（止）")

    def __init__(self, *args: Any, types: list[tuple[str, str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["action"].choices = [("", "全部动作"), *AuditAction.choices]  # type: ignore[attr-defined]
        self.fields["type"].choices = [("", "全部对象"), *types]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", f"不能早于起始日期（{since:%Y-%m-%d}）")
        return data

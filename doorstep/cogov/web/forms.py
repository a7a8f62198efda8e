"""Forms of the co-governance pages: they draw the fields; the services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms

from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.places.models import Building
from doorstep.cogov.models import Field, Quantity, ResourceKind, Urgency

_BLANK = [("", "——")]


def leaf_categories() -> Any:
    """The case categories a page may file under (active leaves), for a select."""
    from doorstep.cases.models import Category

    return Category.objects.filter(active=True, children__isnull=True).order_by("code")[:400]


class NeedForm(forms.Form):
    node = forms.ModelChoiceField(label="所属社区/网格", queryset=Organisation.objects.none())
    title = forms.CharField(label="需求", max_length=60)
    group = forms.CharField(
        label="服务对象", max_length=40, required=False, help_text="如：外卖骑手、独居老人"
    )
    field = forms.ChoiceField(label="服务领域", choices=_BLANK + list(Field.choices))
    wants = forms.ChoiceField(label="所需资源", choices=_BLANK + list(ResourceKind.choices))
    urgency = forms.TypedChoiceField(
        label="紧急程度", choices=Urgency.choices, coerce=int, initial=Urgency.NORMAL
    )
    people = forms.IntegerField(label="涉及人数", min_value=1, max_value=1_000_000, initial=1)
    amount = forms.DecimalField(
        label="需要数量", required=False, min_value=0.01, max_digits=12, decimal_places=2
    )
    unit = forms.ChoiceField(label="单位", choices=_BLANK + list(Quantity.choices), required=False)
    window_start = forms.DateField(
        label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    window_end = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    building = forms.ModelChoiceField(
        label="楼栋（可不填）", queryset=Building.objects.none(), required=False
    )
    detail = forms.CharField(label="说明", max_length=1000, required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, nodes: Any, buildings: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = nodes  # type: ignore[attr-defined]
        self.fields["node"].label_from_instance = _with_parent  # type: ignore[attr-defined]
        self.fields["building"].queryset = buildings  # type: ignore[attr-defined]


class ResourceForm(forms.Form):
    provider = forms.ModelChoiceField(label="提供单位", queryset=Organisation.objects.none())
    title = forms.CharField(label="资源", max_length=60)
    kind = forms.ChoiceField(label="资源类型", choices=_BLANK + list(ResourceKind.choices))
    serves = forms.MultipleChoiceField(
        label="服务领域", choices=Field.choices, widget=forms.CheckboxSelectMultiple
    )
    capacity = forms.DecimalField(
        label="可提供数量", min_value=0.01, max_digits=12, decimal_places=2
    )
    unit = forms.ChoiceField(label="单位", choices=_BLANK + list(Quantity.choices))
    available_from = forms.DateField(
        label="可用起", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    available_to = forms.DateField(
        label="可用止", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reach_m = forms.IntegerField(
        label="服务半径（步行米）",
        min_value=100,
        max_value=20000,
        initial=1125,
        help_text="默认1125米，即步行15分钟",
    )
    detail = forms.CharField(label="说明", max_length=1000, required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, providers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers  # type: ignore[attr-defined]
        self.fields["provider"].label_from_instance = _with_parent  # type: ignore[attr-defined]


def _with_parent(org: Organisation) -> str:
    parent = org.parent.name if org.parent_id and org.parent else ""
    return f"{org.name}（{parent}）" if parent else org.name

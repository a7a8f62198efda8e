from __future__ import annotations

from typing import Any

from django import forms

from doorstep.atlas.organisations.models import Organisation
from doorstep.nearby.activities.models import ActivityKind, Audience
from doorstep.nearby.sites.models import Room

NO_NUL = r"^[^\x00]*$"


class ActivityForm(forms.Form):
    title = forms.CharField(label="活动名称", max_length=120)
    kind = forms.ChoiceField(label="类型", choices=ActivityKind.choices)
    territory = forms.ModelChoiceField(label="所在社区/街道", queryset=Organisation.objects.none())
    organiser = forms.ModelChoiceField(
        label="主办单位（留空为所在社区/街道）",
        queryset=Organisation.objects.none(),
        required=False,
    )
    co_organisers = forms.ModelMultipleChoiceField(
        label="协办单位（可多选）",
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    room = forms.ModelChoiceField(
        label="预约场地（可选，发布时一并预约）", queryset=Room.objects.none(), required=False
    )
    address = forms.CharField(label="地点（选了场地可不填）", max_length=200, required=False)
    starts_at = forms.DateTimeField(
        label="开始时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label="结束时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    signup_opens_at = forms.DateTimeField(
        label="报名开始（留空为立即开始）",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    signup_closes_at = forms.DateTimeField(
        label="报名截止（留空为活动开始时）",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    capacity = forms.IntegerField(label="名额", min_value=1, max_value=100_000)
    audience = forms.ChoiceField(label="面向", choices=Audience.choices)
    description = forms.CharField(
        label="活动介绍", required=False, widget=forms.Textarea, max_length=5000
    )

    def __init__(
        self,
        *args: Any,
        organisations: Any,
        rooms: Any,
        organisers: Any,
        partners: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["territory"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["room"].queryset = rooms  # type: ignore[attr-defined]
        self.fields["organiser"].queryset = organisers  # type: ignore[attr-defined]
        self.fields["co_organisers"].queryset = partners  # type: ignore[attr-defined]
        if organisers.count() == 1:
            # A co-building unit's liaison organises for the unit: nothing to choose.
            self.fields["organiser"].initial = organisers.first()
            self.fields["organiser"].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("title", "address", "description"):
            if "\x00" in (data.get(name) or ""):
                self.add_error(name, "含有无效字符")
        return data


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(label="名额", min_value=1, max_value=100_000)


class CallOffForm(forms.Form):
    reason = forms.CharField(label="取消原因（将通知所有报名居民）", max_length=200)

    def clean_reason(self) -> str:
        reason: str = self.cleaned_data["reason"]
        if "\x00" in reason:
            raise forms.ValidationError("含有无效字符")
        return reason

"""Staff settings of points: the rules in force in their area (points per action, a cap
per period) and the community's reward catalogue (兑换物品, cost, stock)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from doorstep.atlas.organisations.models import ADMIN_KINDS, Organisation
from doorstep.core.ids import parse_id
from doorstep.service.errors import ServiceError
from doorstep.service.models import Period, Reward, RuleCode
from doorstep.service.models.points import scoped_rewards
from doorstep.service.rules import rule_for, set_rule


def _areas(user: Any) -> Any:
    return Organisation.objects.visible_to(user).filter(kind__in=ADMIN_KINDS).order_by("path")


class RuleForm(forms.Form):
    code = forms.ChoiceField(label="行为", choices=RuleCode.choices)
    points = forms.IntegerField(label="积分", min_value=0, max_value=10_000)
    cap = forms.IntegerField(
        label="每期上限（空为不限）", min_value=1, max_value=1_000_000, required=False
    )
    period = forms.ChoiceField(label="周期", choices=Period.choices)
    active = forms.BooleanField(label="启用", required=False, initial=True)


class RewardForm(forms.ModelForm):
    class Meta:
        model = Reward
        fields = ["organisation", "name", "cost", "stock", "active"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = _areas(user)  # type: ignore[attr-defined]

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        if "\x00" in name:
            raise forms.ValidationError("含有无效字符")
        return name


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.has_perm("service.change_pointrule"):
        raise PermissionDenied("没有设置积分规则的权限")
    areas = list(_areas(user))
    if not areas:
        raise PermissionDenied("没有可设置的辖区")
    raw = str(request.GET.get("org") or request.POST.get("org") or "")
    org = next((a for a in areas if str(a.pk) == raw), areas[0])
    if raw and str(org.pk) != raw:
        raise Http404("组织不存在或不在辖区内")
    form = RuleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                set_rule(
                    actor=user,
                    organisation=org,
                    code=data["code"],
                    points=data["points"],
                    cap=data.get("cap"),
                    period=data["period"],
                    active=data["active"],
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"已为{org.name}设置规则：{RuleCode(data['code']).label}")
                return redirect(f"{request.path}?org={org.pk}")
        else:
            status = 400
    rows = []
    for code, label in RuleCode.choices:
        rule = rule_for(code, org)
        rows.append(
            {
                "code": code,
                "label": label,
                "rule": rule,
                "own": rule and rule.organisation_id == org.pk,
            }
        )
    return render(
        request,
        "service/rules.html",
        {"areas": areas, "org": org, "rows": rows, "form": form},
        status=status,
    )


@login_required
def rewards(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.has_perm("service.change_reward"):
        raise PermissionDenied("没有管理兑换物品的权限")
    instance = None
    raw = str(request.POST.get("reward") or "")
    if raw:
        instance = scoped_rewards(user).filter(pk=parse_id(raw) or 0).first()
        if instance is None:
            raise Http404("物品不存在")
    form = RewardForm(request.POST or None, instance=instance, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            reward = form.save()
            messages.success(request, f"已保存：{reward.name}")
            return redirect("serve:rewards")
        status = 400
    return render(
        request,
        "service/rewards.html",
        {"rows": scoped_rewards(user).select_related("organisation"), "form": form},
        status=status,
    )

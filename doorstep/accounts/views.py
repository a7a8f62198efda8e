"""Login, passwords and the two-person approvals (双人审批) pages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from doorstep.core import links
from doorstep.core.errors import DomainError

from . import approvals, passwords, preferences
from .forms import LoginForm
from .models import Approval, User
from .typing import actor_of


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        preferences.carry_cookie_to_account(self.request, response, form.get_user())
        return response


@require_POST
def elder_mode(request: HttpRequest) -> HttpResponse:
    """Switch 长辈模式 on (on=1) or off (on=0) and go back where the switch was pressed."""
    on = request.POST.get("on")
    if on not in ("0", "1"):
        return HttpResponseBadRequest(
            "参数 on 只能是 0 或 1。", content_type="text/plain; charset=utf-8"
        )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("home")
    response = redirect(back)
    preferences.set_elder_mode(request, response, on == "1")
    messages.success(
        request, "已开启长辈模式：字更大、对比更强、按钮更大。" if on == "1" else "已回到标准模式。"
    )
    return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """修改密码; also where a temporary password leads (must_change_password)."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        passwords.set_by_owner(form.user, op="changed")
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    """忘记密码: a one-time link to the account's e-mail address. The page answers the same
    whether or not the address is known (no account enumeration)."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        # the same base as every other link we send (DOORSTEP_SITE_URL, else this host)
        self.extra_email_context = {"site": links.site_url()}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        passwords.set_by_owner(form.user, op="reset_by_link")
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@login_required
def approval_list(request: HttpRequest) -> HttpResponse:
    """双人审批: pending requests first; approvers see all, others their own."""
    user = actor_of(request)
    status = request.GET.get("status", "pending")
    if status not in Approval.Status.values:
        status = "pending"
    qs = (
        Approval.objects.visible_to(user)
        .filter(status=status)
        .select_related("target", "requested_by", "decided_by")
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [(a, approvals.may_decide(user, a)) for a in page]
    return render(
        request,
        "accounts/approvals.html",
        {"page": page, "rows": rows, "status": status, "statuses": Approval.Status.choices},
    )


@require_POST
@login_required
def approval_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    approval = get_object_or_404(Approval.objects.visible_to(user), pk=pk)
    approve = request.POST.get("decision") == "approve"
    try:
        outcome = approvals.decide(
            approval=approval, actor=user, approve=approve, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:approvals")
    if not approve:
        messages.success(request, f"已驳回：{approval.summary}")
        return redirect("accounts:approvals")
    if "temporary_password" in outcome:
        # Shown once, to the approver, to hand to the owner in person; never stored.
        return render(
            request,
            "accounts/temporary_password.html",
            {"approval": approval, "temporary": outcome["temporary_password"]},
        )
    if "sent_to" in outcome:
        messages.success(request, f"已批准：重置链接已发到 {approval.target} 的邮箱")
    else:
        messages.success(request, f"已批准并生效：{approval.summary}")
    return redirect("accounts:approvals")


@require_POST
@login_required
def request_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """A security admin asks for another account's password to be reset."""
    user = actor_of(request)
    if not user.has_perm("accounts.change_user"):
        return render(request, "accounts/denied.html", {"reason": "没有管理用户的权限"}, status=403)
    target = get_object_or_404(User.objects.filter(is_superuser=False), pk=pk)
    try:
        approval = approvals.request_password_reset(
            actor=user, user=target, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已提交双人审批：{approval.summary}")
    return redirect("accounts:approvals")

"""Back office for the security admin (安全管理员): users, roles, memberships, API tokens.

Every grant or withdrawal of a role, and every change to what a role may do, writes an audit
entry in the same transaction as the change itself (Django admin wraps add, change and delete
views in a transaction; the bulk delete action is wrapped here). Nobody but a superuser may
change their own roles or a role they hold: the three admin duties stay apart (三员分立).

Two-person rules (approvals.py): a grant of a role that reads personal data is filed for a
second admin's approval instead of saved, and the password of an account holding such a
role (or its e-mail address, where a reset link would go) cannot be set here at all —
a reset is requested and approved the same way.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core import audit
from doorstep.core.admin import ScopedChoicesMixin
from doorstep.core.models import AuditAction

from . import approvals, grants
from .models import ApiToken, Membership, Role, User
from .typing import actor_of

# Roles replace Django's groups (RoleBackend ignores groups), so the group admin would only
# mislead.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)

_PENDING = "“{role}”可查看个人信息：授予已提交双人审批，须由另一位安全或审计管理员批准后生效。"

# User fields whose change alters what the account may do.
PRIVILEGE_FIELDS = ("is_active", "is_staff", "is_superuser")


def _record_membership(request: HttpRequest, m: Membership, op: str, before: Any = None) -> None:
    grants.record(request.user, m, op, before)


def _holds_role(user: Any, role: Role) -> bool:
    return Membership.objects.active().filter(user=user, role=role).exists()


class MembershipInlineFormSet(forms.BaseInlineFormSet):
    request: HttpRequest

    def clean(self) -> None:
        super().clean()
        me = self.request.user
        if self.instance.pk == me.pk and not me.is_superuser and self.has_changed():
            raise forms.ValidationError("不能修改自己的角色，请由另一位安全管理员办理。")


class MembershipInline(ScopedChoicesMixin, admin.TabularInline):
    model = Membership
    formset = MembershipInlineFormSet
    fields = ("organisation", "role", "valid_from", "valid_to")
    autocomplete_fields = ("organisation",)
    extra = 0

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.request = request  # type: ignore[attr-defined]
        return formset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    # No groups and no direct user permissions: what a user may do comes only from roles
    # held through memberships, so every grant is a membership and is audited.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("display_name", "first_name", "last_name", "email")}),
        (_("状态"), {"fields": PRIVILEGE_FIELDS}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "display_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    inlines = (MembershipInline,)
    list_display = ("username", "display_name", "roles", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "memberships__role")
    search_fields = ("username", "display_name", "first_name", "last_name", "email")
    filter_horizontal = ()
    readonly_fields = ("last_login", "date_joined")

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("memberships__role")

    @admin.display(description=_("角色"))
    def roles(self, obj: User) -> str:
        return "、".join(sorted({m.role.name for m in obj.memberships.all()}))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields.append("is_superuser")
            if obj is not None and grants.holds_personal_data(obj):
                fields.append("email")  # where a reset link would go
        return fields

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Nobody sets the password of an account that reads personal data here: the
        page offers to request a reset that a second admin approves."""
        user = self.get_object(request, unquote(id))
        if user is not None and not request.user.is_superuser and grants.holds_personal_data(user):
            return TemplateResponse(
                request,
                "accounts/password_needs_approval.html",
                {**self.admin_site.each_context(request), "target": user},
                status=403,
            )
        return super().user_change_password(request, id, form_url)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only a superuser may touch a superuser's account.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            audit.record(
                actor=request.user,
                action=AuditAction.CREATE,
                target=obj,
                detail={"username": obj.get_username()},
            )
            return
        changed = [f for f in PRIVILEGE_FIELDS if f in form.changed_data]
        if changed:
            audit.record(
                actor=request.user,
                action=AuditAction.ROLE_CHANGE,
                target=obj,
                detail={
                    "op": "account",
                    "user": obj.get_username(),
                    "fields": {f: getattr(obj, f) for f in changed},
                },
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        before = {
            m.pk: grants.facts(m)
            for m in Membership.objects.filter(user=form.instance).select_related(
                "user", "organisation", "role"
            )
        }
        for m in formset.save(commit=False):
            is_new = m.pk is None
            if approvals.grant_or_file(actor=actor_of(request), membership=m):
                self.message_user(request, _PENDING.format(role=m.role.name), messages.WARNING)
                continue
            m.save()
            _record_membership(request, m, "add" if is_new else "change", before.get(m.pk))
            grants.grant_staff_if_needed(m)
        for m in formset.deleted_objects:
            _record_membership(request, m, "delete")
            m.delete()
        formset.save_m2m()

    def _record_delete(self, request: HttpRequest, obj: User) -> None:
        memberships = [
            grants.facts(m) for m in obj.memberships.select_related("user", "organisation", "role")
        ]
        audit.record(
            actor=request.user,
            action=AuditAction.DELETE,
            target=obj,
            detail={"username": obj.get_username(), "memberships": memberships},
        )

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        self._record_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        with transaction.atomic():
            for obj in queryset:
                self._record_delete(request, obj)
            super().delete_queryset(request, queryset)


class RoleForm(forms.ModelForm):
    class Meta:
        model = Role
        fields = ("code", "name", "scope", "is_staff_role", "description", "permissions")


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    form = RoleForm
    list_display = ("name", "code", "scope", "is_staff_role", "holders")
    list_filter = ("scope", "is_staff_role")
    search_fields = ("name", "code")
    filter_horizontal = ("permissions",)

    @admin.display(description=_("在任人数"))
    def holders(self, obj: Role) -> int:
        return Membership.objects.active().filter(role=obj).values("user").distinct().count()

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "permissions":
            kwargs["queryset"] = db_field.remote_field.model.objects.select_related("content_type")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Nobody widens a role they hold themselves (except a superuser, who has everything).
        if obj is not None and not request.user.is_superuser and _holds_role(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    @staticmethod
    def _labels(role: Role) -> set[str]:
        return {
            f"{app}.{codename}"
            for app, codename in role.permissions.values_list("content_type__app_label", "codename")
        }

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        before = self._labels(form.instance) if change else set()
        super().save_related(request, form, formsets, change)
        after = self._labels(form.instance)
        fields = [f for f in form.changed_data if f != "permissions"]
        if change and before == after and not fields:
            return
        audit.record(
            actor=request.user,
            action=AuditAction.ROLE_CHANGE,
            target=form.instance,
            detail={
                "op": "role_change" if change else "role_add",
                "role": form.instance.code,
                "fields": {f: str(getattr(form.instance, f)) for f in fields},
                "added": sorted(after - before),
                "removed": sorted(before - after),
            },
        )

    def _record_delete(self, request: HttpRequest, obj: Role) -> None:
        audit.record(
            actor=request.user,
            action=AuditAction.ROLE_CHANGE,
            target=obj,
            detail={"op": "role_delete", "role": obj.code, "removed": sorted(self._labels(obj))},
        )

    def delete_model(self, request: HttpRequest, obj: Role) -> None:
        self._record_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Role]) -> None:
        with transaction.atomic():
            for obj in queryset:
                self._record_delete(request, obj)
            super().delete_queryset(request, queryset)


class MembershipForm(forms.ModelForm):
    request: HttpRequest

    class Meta:
        model = Membership
        fields = ("user", "organisation", "role", "valid_from", "valid_to")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        me = self.request.user
        touches_me = data.get("user") == me or (self.instance.pk and self.instance.user_id == me.pk)
        if touches_me and not me.is_superuser:
            raise forms.ValidationError("不能修改自己的角色，请由另一位安全管理员办理。")
        return data


@admin.register(Membership)
class MembershipAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    form = MembershipForm
    list_display = ("user", "role", "organisation", "valid_from", "valid_to")
    list_filter = ("role", "organisation__kind")
    search_fields = ("user__username", "user__display_name", "organisation__name", "role__name")
    autocomplete_fields = ("user", "organisation")
    list_select_related = ("user", "role", "organisation")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request  # type: ignore[attr-defined]
        return form

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        if approvals.grant_or_file(actor=actor_of(request), membership=obj):
            request._pending_grant = True  # type: ignore[attr-defined]
            return
        before = None
        if change:
            old = Membership.objects.select_related("user", "organisation", "role").get(pk=obj.pk)
            before = grants.facts(old)
        super().save_model(request, obj, form, change)
        _record_membership(request, obj, "change" if change else "add", before)
        grants.grant_staff_if_needed(obj)

    def _pending(self, request: HttpRequest, obj: Membership) -> HttpResponse | None:
        if not getattr(request, "_pending_grant", False):
            return None
        self.message_user(request, _PENDING.format(role=obj.role.name), messages.WARNING)
        return HttpResponseRedirect(reverse("accounts:approvals"))

    def response_add(self, request: HttpRequest, obj: Membership, *args: Any) -> HttpResponse:
        return self._pending(request, obj) or super().response_add(request, obj, *args)

    def response_change(self, request: HttpRequest, obj: Membership) -> HttpResponse:
        return self._pending(request, obj) or super().response_change(request, obj)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        _record_membership(request, obj, "delete")
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        with transaction.atomic():
            for m in queryset.select_related("user", "organisation", "role"):
                _record_membership(request, m, "delete")
            super().delete_queryset(request, queryset)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by `issue_token` (the secret is shown once); here they are revoked."""

    list_display = ("prefix", "name", "user", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "user__username")
    list_select_related = ("user",)
    fields = ("user", "name", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("吊销所选令牌"), permissions=("change",))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        now = timezone.now()
        with transaction.atomic():
            tokens = list(queryset.select_for_update().filter(revoked_at__isnull=True))
            for token in tokens:
                ApiToken.objects.filter(pk=token.pk).update(revoked_at=now)
                audit.record(
                    actor=request.user,
                    action=AuditAction.TOKEN,
                    target=token,
                    detail={"op": "revoke", "for": token.user.get_username()},
                )
        self.message_user(request, f"已吊销 {len(tokens)} 个令牌。", messages.SUCCESS)

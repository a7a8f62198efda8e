from django.contrib import admin

from doorstep.core.admin import ScopedAdminMixin

from .models import Activity, SignUp


class SignUpInline(admin.TabularInline):
    model = SignUp
    extra = 0
    fields = ("user", "status", "created_at", "promoted_at", "cancelled_at", "checked_in_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Activity)
class ActivityAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("title", "kind", "territory", "starts_at", "capacity", "status")
    list_filter = ("kind", "status")
    search_fields = ("title", "address")
    readonly_fields = ("territory_path", "checkin_token", "created_by", "created_at")
    inlines = [SignUpInline]

    # Activities change through the services (capacity, waiting line, notifications); the
    # admin only shows them.
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

"""Housing in the back office: compounds, buildings, units and households, within scope.

Households are in people/admin.py: they save through people.households, which keeps the
population counters (people sits above places).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from doorstep.core.admin import ScopedAdminMixin
from doorstep.core.search import search_text_for

from .models import Building, Compound, Unit


@admin.register(Compound)
class CompoundAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "community", "address")
    list_filter = ("community",)
    search_fields = ("name", "search_text", "address")
    autocomplete_fields = ("community",)
    list_select_related = ("community",)

    def save_model(self, request: HttpRequest, obj: Compound, form: Any, change: bool) -> None:
        obj.search_text = search_text_for(obj.name)
        super().save_model(request, obj, form, change)


class UnitInline(ScopedAdminMixin, admin.TabularInline):
    model = Unit
    fields = ("number",)
    extra = 0
    show_change_link = True


@admin.register(Building)
class BuildingAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "grid", "compound", "use", "floors", "address")
    list_filter = ("use",)
    search_fields = ("name", "search_text", "address")
    autocomplete_fields = ("grid", "compound", "party_group")
    list_select_related = ("grid", "compound")
    inlines = (UnitInline,)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # Households and residents carry their building's grid for scoping; changing it
            # here would strand them in the old grid. Re-gridding needs a service (not yet).
            fields.append("grid")
        return fields

    def save_model(self, request: HttpRequest, obj: Building, form: Any, change: bool) -> None:
        obj.search_text = search_text_for(obj.name, obj.address)
        super().save_model(request, obj, form, change)


@admin.register(Unit)
class UnitAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "building", "number")
    search_fields = ("number", "building__name")
    autocomplete_fields = ("building",)
    list_select_related = ("building",)

"""The organisation tree in the back office (system admin).

New nodes go through `create_organisation`, which checks the placement and writes the
materialised path. An existing node cannot be moved here: its whole subtree's paths, the
scopes of everyone holding a role under it and the grids of its households would all move
with it, and that needs its own audited service.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from doorstep.core.admin import ScopedAdminMixin
from doorstep.core.search import search_text_for

from .models import Organisation
from .services import check_placement, create_organisation


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = (
            "name",
            "kind",
            "code",
            "parent",
            "party_parent",
            "secretary",
            "lat",
            "lon",
            "outline",
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.instance.pk is None and "kind" in data:
            try:
                check_placement(kind=data["kind"], parent=data.get("parent"))
            except ValidationError as exc:
                self.add_error("parent", exc)
        return data


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = OrganisationForm
    list_display = ("indented_name", "kind", "code", "path", "secretary")
    list_filter = ("kind", "depth")
    search_fields = ("name", "code", "search_text")
    ordering = ("path",)
    autocomplete_fields = ("parent", "party_parent")
    readonly_fields = ("path", "depth")

    @admin.display(description="名称", ordering="path")
    def indented_name(self, obj: Organisation) -> str:
        return "\u3000" * obj.depth + obj.name

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # Moving a node or changing its kind would invalidate its subtree.
            fields += ["parent", "kind"]
        return fields

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        if change:
            obj.search_text = search_text_for(obj.name)
            super().save_model(request, obj, form, change)
            return
        extra = {f: form.cleaned_data.get(f) for f in ("secretary", "lat", "lon", "outline")}
        created = create_organisation(
            name=obj.name,
            kind=obj.kind,
            parent=obj.parent,
            party_parent=obj.party_parent,
            code=obj.code,
            **extra,
        )
        # The admin goes on with `obj` (log entry, redirect): make it the saved row.
        obj.pk = created.pk
        obj.path, obj.depth, obj.search_text = created.path, created.depth, created.search_text
        obj._state.adding = False
        obj._state.db = created._state.db

"""Admin for the assessment scorecards (the cockpit's only configuration)."""

from django.contrib import admin

from .models import Indicator, Scorecard


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "organisation", "active")
    list_filter = ("level", "active")
    raw_id_fields = ("organisation",)
    inlines = [IndicatorInline]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("scorecard", "code", "weight", "target", "direction", "order")
    list_filter = ("scorecard",)

"""The cases app. Its deadline sweep is a beat task (on the embedded default the web
process runs the beat schedule itself: core.jobs)."""

from __future__ import annotations

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "doorstep.cases"
    label = "cases"
    verbose_name = "工单"

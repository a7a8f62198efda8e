"""Fixtures of the places-and-time API tests (opt-in: the clock only where a module asks)."""

from __future__ import annotations

import pytest
import time_machine

from doorstep.nearby.sites.tests.helpers import NOW, build_site_world


@pytest.fixture
def places_clock():
    """Tuesday 2026-09-01 09:00 in Beijing, standing still (no public holiday for weeks)."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def sw(world):
    return build_site_world(world)

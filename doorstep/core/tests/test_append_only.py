"""The event logs (cases.CaseEvent, activities.AttendanceEvent) share core.AppendOnlyModel:
a row is written once; saving it again, updating or deleting through the ORM is refused
and leaves it as it was."""

from __future__ import annotations

import pytest

from doorstep.cases import services as cases
from doorstep.cases.locating import locate
from doorstep.cases.models import CaseEvent
from doorstep.core.models import AppendOnly

pytestmark = pytest.mark.django_db


def test_a_case_event_cannot_be_changed_or_removed(cw):
    case = cases.create_case(
        actor=cw.personas["resident"],
        category=cw.repair,
        description="楼道灯坏了",
        location=locate(building=cw.world.building_a),
    )
    event = CaseEvent.objects.filter(case=case).first()
    assert event is not None
    note = event.note
    event.note = "改写"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        CaseEvent.objects.filter(pk=event.pk).update(note="改写")
    with pytest.raises(AppendOnly):
        CaseEvent.objects.filter(pk=event.pk).delete()
    assert CaseEvent.objects.get(pk=event.pk).note == note

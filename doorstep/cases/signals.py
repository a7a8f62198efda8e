"""Signals other apps listen to (they sit above cases and may not be imported here).

`case_moved` is sent inside the move's transaction, after its event is written: a
receiver that fails undoes the whole move, so what it writes is never half there."""

from django.dispatch import Signal

case_moved = Signal()  # sender=Case; kwargs: case, event, actor

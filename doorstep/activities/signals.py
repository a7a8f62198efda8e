"""Signals of activities (apps above listen; they may not be imported here).

`volunteer_checked_out` is sent inside the check-out's transaction."""

from django.dispatch import Signal

volunteer_checked_out = Signal()  # sender=SignUp; kwargs: signup

"""No double booking on PostgreSQL: an exclusion constraint over the blocked interval.

Two active bookings (pending, approved, checked in) of the same room may not have
overlapping `[blocked_from, blocked_until)` ranges. `btree_gist` lets the gist index
compare `room_id` with `=`. On SQLite this migration does nothing: the booking service's
check inside an IMMEDIATE (serialised) transaction is the guarantee there.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """
    ALTER TABLE sites_booking ADD CONSTRAINT booking_no_overlap
    EXCLUDE USING gist (
        room_id WITH =,
        tstzrange(blocked_from, blocked_until, '[)') WITH &&
    ) WHERE (status IN ('pending', 'approved', 'checked_in'))
    """,
]
DROP = ["ALTER TABLE sites_booking DROP CONSTRAINT IF EXISTS booking_no_overlap"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in CREATE:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in DROP:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("sites", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]

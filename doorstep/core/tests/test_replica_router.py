"""The read replica takes only what may read a second late: reads under from_replica()
outside any transaction, when a replica is configured; writes and everything else go to
the primary."""

from __future__ import annotations

import pytest
from django.db import transaction

from doorstep.atlas.people.models import Resident
from doorstep.core import replica
from doorstep.core.replica import ReplicaRouter

router = ReplicaRouter()


@pytest.fixture
def with_replica(settings):
    settings.DATABASES = {**settings.DATABASES, "replica": dict(settings.DATABASES["default"])}


def test_cockpit_reads_go_to_the_replica_outside_transactions(with_replica, transactional_db):
    assert router.db_for_read(Resident) is None  # not asked: the primary
    with replica.from_replica():
        assert router.db_for_read(Resident) == "replica"
        with transaction.atomic():  # the audit chain's last entry, a write's own checks
            assert router.db_for_read(Resident) is None
        assert router.db_for_write(Resident) == "default"
    assert router.db_for_read(Resident) is None


def test_without_a_replica_everything_reads_the_primary(db):
    with replica.from_replica():
        assert router.db_for_read(Resident) is None


def test_only_the_primary_is_migrated():
    assert router.allow_migrate("default", "people")
    assert not router.allow_migrate("replica", "people")


def test_the_decorator_holds_for_the_view_only(with_replica, transactional_db):
    seen = []

    @replica.reads_from_replica
    def view():
        seen.append(router.db_for_read(Resident))

    view()
    assert seen == ["replica"]
    assert router.db_for_read(Resident) is None

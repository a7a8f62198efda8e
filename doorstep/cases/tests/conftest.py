import pytest


@pytest.fixture
def cw(world):
    from doorstep.cases.testing import build_case_world

    return build_case_world(world)

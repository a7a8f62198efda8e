from doorstep.deliberation.tests.conftest import estate  # noqa: F401  (the fixture)

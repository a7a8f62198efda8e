"""Settings for the worker that test_celery_sweep.py starts: every task on the test's queue.

The project routes notifications to the shared `notifications` queue; a test worker on
Redis db 15 must neither leave messages there nor take other runs' messages from it.
"""

import os

from config.settings import *  # noqa: F403

CELERY_TASK_ROUTES = {"*": {"queue": os.environ["DOORSTEP_TEST_QUEUE"]}}

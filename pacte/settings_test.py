"""Settings for the test suite: the normal settings with ``PACTE_ENV=test``."""

import os
import tempfile

os.environ["PACTE_ENV"] = "test"
os.environ.setdefault("PACTE_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test"))
# Request metrics of this test run only (prometheus_client's multiprocess files).
os.environ.setdefault("PACTE_METRICS_DIR", tempfile.mkdtemp(prefix="pacte-test-metrics-"))

from pacte.settings import *  # noqa: F403

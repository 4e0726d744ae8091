"""Settings for the test suite: the normal settings with ``PACTE_ENV=test``."""

import os
import tempfile

os.environ["PACTE_ENV"] = "test"
os.environ.setdefault("PACTE_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test"))
# Request metrics of this test run only (prometheus_client's multiprocess files).
os.environ.setdefault("PACTE_METRICS_DIR", tempfile.mkdtemp(prefix="pacte-test-metrics-"))

from pacte.settings import *  # noqa: F403

if str(DATABASES["default"]["ENGINE"]).endswith("sqlite3"):  # noqa: F405
    # A file, not Django's shared in-memory database: the live server then serves each request
    # on its own connection, so concurrent requests contend as they do in production (the
    # login throttling test sends twenty at once). pytest-xdist gives each worker its own file.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}  # noqa: F405

# WhiteNoise warns on every request when the collected-static folder is missing; tests serve
# static files from the app folders, so an empty one is enough.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

"""Settings for the test suite: the normal settings with ``PACTE_ENV=test``."""

import os

os.environ["PACTE_ENV"] = "test"
os.environ.setdefault("PACTE_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test"))

from pacte.settings import *  # noqa: F403

"""Project-wide fixtures: the shared cast and logged-in clients."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from django.test import Client
from django.utils import translation
from hypothesis import settings

from pacte.accounts.models import Membership
from pacte.testing.cast import PASSWORD, Cast, build_cast, next_fiscal_year

# Property tests explore new examples on developers' machines; under CI they replay a fixed
# sequence (no flaky red build), with no deadline on a shared, loaded runner.
settings.register_profile("ci", derandomize=True, deadline=None, database=None)
if os.environ.get("CI", "").lower() == "true":
    settings.load_profile("ci")

pytest_plugins = ["pacte.testing.browser"]

# What gives a test a database: pytest-django refuses any query from a test that has none of these
# (nor the ``django_db`` mark), and a subprocess gets one only from ``migrated_database``.
DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "live_server",
        "migrated_database",
    }
)


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that use no database ``no_database``: they run the same code on SQLite
    and on PostgreSQL, so the PostgreSQL pass leaves them out (docs/development/testing.md)."""
    for item in items:
        if any(item.get_closest_marker(name) for name in ("django_db", "postgres")):
            continue
        if not DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.no_database)


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test starts in the default language: a request in French (a member's setting, a
    cookie) leaves French active in the thread that served it, which is the test's own."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def migrated_database(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The URL of a migrated, empty database, a template for ``own_database`` in tests that
    run Pacte in subprocesses (their module is marked ``django_db``, so that the test database
    it copies exists)."""
    from pacte.testing.processes import test_database_copy

    with test_database_copy(tmp_path_factory.mktemp("migrated")) as url:
        yield url


@pytest.fixture
def cast(db: None) -> Cast:
    return build_cast()


@pytest.fixture
def fy(cast: Cast) -> int:
    """The fiscal year after the current one: open, so targets and objectives can be set."""
    return next_fiscal_year(cast)


@pytest.fixture
def login():
    """``login(member)`` returns a test client logged in as that member."""

    def _login(member) -> Client:  # type: ignore[no-untyped-def]
        client = Client()
        assert client.login(username=member.user.email, password=PASSWORD)
        return client

    return _login


@pytest.fixture
def api_client(db: None) -> Callable[[Membership], Client]:
    """``api_client(member)`` returns a test client calling the API as that member."""
    from pacte.testing.clients import api_client_for

    return api_client_for

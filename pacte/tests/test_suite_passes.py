"""The marking that decides which tests the PostgreSQL pass runs (docs/development/testing.md)."""

from __future__ import annotations

import pytest


def test_a_test_without_a_database_runs_in_the_sqlite_pass_only(
    request: pytest.FixtureRequest,
) -> None:
    assert request.node.get_closest_marker("no_database") is not None


def test_a_test_with_the_db_fixture_runs_in_both_passes(
    request: pytest.FixtureRequest, db: None
) -> None:
    assert request.node.get_closest_marker("no_database") is None


@pytest.mark.django_db
def test_a_test_marked_django_db_runs_in_both_passes(request: pytest.FixtureRequest) -> None:
    assert request.node.get_closest_marker("no_database") is None


@pytest.fixture
def seeded(db: None) -> int:
    return 1


def test_a_database_reached_through_a_fixture_counts(
    request: pytest.FixtureRequest, seeded: int
) -> None:
    assert request.node.get_closest_marker("no_database") is None


@pytest.mark.postgres
def test_a_test_marked_postgres_runs_in_the_postgresql_pass(
    request: pytest.FixtureRequest,
) -> None:
    assert request.node.get_closest_marker("no_database") is None

import pytest


@pytest.fixture(autouse=True)
def fresh_insights_cache() -> None:
    """Each test starts with an empty cache: the company page caches its totals and run-rate
    under keys of workspace ids, which rolled-back tests reuse."""
    from django.core.cache import cache

    cache.clear()

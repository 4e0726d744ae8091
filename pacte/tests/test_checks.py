"""``pacte check --deploy`` notices a cache or an object store configured but unusable: a Redis
URL whose client is missing or whose server does not answer, S3 settings without a bucket, a
bucket that does not answer."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

from pacte import checks
from pacte.testing import redis_server
from pacte.testing.s3 import S3Peer, s3_server


def _ids(messages: list[Any]) -> list[str]:
    return [m.id for m in messages]


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Peer]:
    with s3_server() as peer:
        yield peer


def test_no_cache_no_store_nothing_to_say() -> None:
    assert checks.check_cache() == []
    assert checks.check_object_store() == []


def test_a_redis_url_without_its_client(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.PACTE_REDIS_URL = "redis://127.0.0.1:6379/0"
    monkeypatch.setitem(sys.modules, "redis", None)  # as if the package were not installed
    assert _ids(checks.check_cache()) == ["pacte.E001"]


def test_a_redis_that_does_not_answer(settings: Any) -> None:
    url = f"redis://127.0.0.1:{redis_server.closed_port()}/0"
    settings.PACTE_REDIS_URL = url
    settings.CACHES = redis_server.cache_settings(url, "pacte-check")
    assert _ids(checks.check_cache()) == ["pacte.E002"]


def test_a_redis_that_answers(settings: Any) -> None:
    url = redis_server.redis_url()
    settings.PACTE_REDIS_URL = url
    settings.CACHES = redis_server.cache_settings(url, redis_server.new_prefix())
    assert checks.check_cache() == []


def test_s3_settings_without_a_bucket(settings: Any) -> None:
    settings.PACTE_S3 = {**settings.PACTE_S3, "endpoint_url": "http://127.0.0.1:9000"}
    found = checks.check_object_store()
    assert _ids(found) == ["pacte.E003"]
    assert "PACTE_S3_ENDPOINT_URL" in found[0].msg


def test_half_a_key_pair(settings: Any) -> None:
    settings.PACTE_S3 = {**settings.PACTE_S3, "bucket": "b", "access_key_id": "key"}
    assert _ids(checks.check_object_store()) == ["pacte.E004"]


def test_a_bucket_that_answers_and_one_that_does_not(settings: Any, s3: S3Peer) -> None:
    s3.create_bucket("checked")
    for bucket, expected in (("checked", []), ("missing", ["pacte.E005"])):
        storage = s3.storage(bucket)
        options = storage["OPTIONS"]
        settings.PACTE_S3 = {
            **settings.PACTE_S3,
            "bucket": bucket,
            "access_key_id": options["access_key"],
            "secret_access_key": options["secret_key"],
        }
        settings.STORAGES = {**settings.STORAGES, "imports": storage}
        assert _ids(checks.check_object_store()) == expected


def test_check_deploy_fails_on_a_dead_cache_and_an_orphan_s3_setting(tmp_path: Any) -> None:
    from pacte.tests.test_settings import PROD, run

    result = run(
        ["check", "--deploy"],
        **PROD,
        PACTE_VAR_DIR=str(tmp_path),
        PACTE_REDIS_URL=f"redis://127.0.0.1:{redis_server.closed_port()}/0",
        PACTE_S3_REGION="eu-west-3",
    )
    assert result.returncode != 0
    assert "pacte.E002" in result.stderr
    assert "pacte.E003" in result.stderr

"""Pacte's own deployment checks, run by ``pacte check --deploy`` next to Django's: a cache or an
object store that is configured but missing its client, its bucket, or an answer.

They are registered with the ``deploy`` flag: an ordinary ``pacte`` command never waits on the
network for them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

S3_NAMES = {
    "endpoint_url": "PACTE_S3_ENDPOINT_URL",
    "region": "PACTE_S3_REGION",
    "access_key_id": "PACTE_S3_ACCESS_KEY_ID",
    "secret_access_key": "PACTE_S3_SECRET_ACCESS_KEY",
}


@checks.register("caches", deploy=True)
def check_cache(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not settings.PACTE_REDIS_URL:
        return []
    try:
        import redis  # noqa: F401
    except ImportError:
        return [
            checks.Error(
                "PACTE_REDIS_URL is set but the redis client is not installed.",
                hint="Install Pacte with its dependencies (pip install pacte), which pin redis.",
                id="pacte.E001",
            )
        ]
    from pacte import cache_backend

    if cache_backend.health() != "ok":
        return [
            checks.Error(
                "The Redis cache at PACTE_REDIS_URL does not answer.",
                hint=(
                    "Start Redis or correct the URL (redis://HOST:PORT/DB). Pages still work "
                    "without it, but compute every figure and /healthz reports 'degraded'."
                ),
                id="pacte.E002",
            )
        ]
    return []


@checks.register("storage", deploy=True)
def check_object_store(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    s3 = settings.PACTE_S3
    if not s3["bucket"]:
        orphans = [name for key, name in S3_NAMES.items() if s3[key]]
        if orphans:
            return [
                checks.Error(
                    f"{', '.join(orphans)} set but PACTE_S3_BUCKET is not: uploads stay on this "
                    "machine's disk, where workers on other machines cannot read them.",
                    hint="Set PACTE_S3_BUCKET to the bucket, or unset the other PACTE_S3_ variables.",
                    id="pacte.E003",
                )
            ]
        return []
    if bool(s3["access_key_id"]) != bool(s3["secret_access_key"]):
        return [
            checks.Error(
                "Only one of PACTE_S3_ACCESS_KEY_ID and PACTE_S3_SECRET_ACCESS_KEY is set.",
                hint="Set both, or neither to use boto3's own credentials (an instance role…).",
                id="pacte.E004",
            )
        ]
    from pacte import storage

    try:
        store = storage.imports()
        store.bucket.meta.client.head_bucket(Bucket=s3["bucket"])  # type: ignore[attr-defined]
    except Exception as exc:
        return [
            checks.Error(
                f"The object store does not answer for bucket {s3['bucket']!r}: {exc}",
                hint=(
                    "Check PACTE_S3_BUCKET, PACTE_S3_ENDPOINT_URL, PACTE_S3_REGION and the keys; "
                    "the bucket must exist and the keys must be allowed to read and write it."
                ),
                id="pacte.E005",
            )
        ]
    return []

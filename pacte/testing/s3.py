"""A local S3-compatible server for tests: moto's server on a free port of 127.0.0.1, spoken to
over HTTP by boto3 exactly as a real object store is (a protocol peer, not a patched client)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pacte.settings import s3_storage

ACCESS_KEY = "pacte-test"
SECRET_KEY = "pacte-test-secret"
REGION = "us-east-1"


@dataclass
class S3Peer:
    endpoint_url: str

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def keys(self, bucket: str) -> list[str]:
        found = self.client().list_objects_v2(Bucket=bucket).get("Contents", [])
        return sorted(item["Key"] for item in found)

    def storage(self, bucket: str, prefix: str = "imports") -> dict[str, object]:
        """A ``STORAGES`` entry for ``bucket`` on this server, built as the settings build it."""
        return s3_storage(
            {
                "bucket": bucket,
                "prefix": prefix,
                "endpoint_url": self.endpoint_url,
                "region": REGION,
                "access_key_id": ACCESS_KEY,
                "secret_access_key": SECRET_KEY,
                "addressing_style": "path",
            }
        )


@contextmanager
def s3_server() -> Iterator[S3Peer]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Peer(f"http://{host}:{port}")
    finally:
        server.stop()

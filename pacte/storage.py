"""Where uploaded import files are kept: Django's ``imports`` storage (``STORAGES["imports"]``: a
folder by default, an S3-compatible object store when ``PACTE_S3_BUCKET`` is set), so that a
worker on any machine reads the file that any web process received.

A store that fails (a full disk, a bucket that refuses writes, an endpoint that does not answer)
raises ``StorageError``: a translated message for the person, the cause in the log for the
operator, and nothing of the file left behind.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.utils.translation import gettext_lazy as _

from pacte.errors import DomainError

logger = logging.getLogger("pacte.storage")

COPY_BLOCK = 1024 * 1024
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class StorageError(DomainError):
    """The file store failed (HTTP 503): ``storage_full``, ``storage_unavailable`` (writing) or
    ``file_unavailable`` (reading back)."""

    status = 503


def imports() -> Storage:
    return storages["imports"]


def describe(storage: Storage | None = None) -> str:
    """The store in a few words, for logs and checks (no secret)."""
    storage = storage or imports()
    bucket = getattr(storage, "bucket_name", None)
    if bucket:
        return f"s3://{bucket}/{getattr(storage, 'location', '')}"
    return str(getattr(storage, "location", type(storage).__name__))


def _is_store_failure(exc: BaseException) -> bool:
    """An error of the store itself: the OS (disk) or the S3 client (boto3 and its parts)."""
    root = type(exc).__module__.split(".")[0]
    return isinstance(exc, OSError) or root in ("botocore", "boto3", "s3transfer")


#: What a person reads when the store fails, by code (import jobs show them too).
MESSAGES = {
    "storage_full": _(
        "The server has no room left to store this file: nothing was saved. Try again later "
        "or tell your administrator."
    ),
    "storage_unavailable": _(
        "The file store refused this file: nothing was saved. Try again later or tell your "
        "administrator."
    ),
    "file_unavailable": _(
        "The uploaded file cannot be read back from the file store: nothing was written. "
        "Try again later or tell your administrator."
    ),
}


def _error(code: str, field: str | None = None) -> StorageError:
    return StorageError(MESSAGES[code], code=code, field=field)


def _write_error(exc: BaseException) -> StorageError:
    full = isinstance(exc, OSError) and exc.errno in _FULL
    return _error("storage_full" if full else "storage_unavailable", field="file")


def save(name: str, content: Any, storage: Storage | None = None) -> str:
    """Store ``content`` (a Django ``File``) under ``name`` and return the name it got.

    On a failure of the store, whatever part of it was written is removed and ``StorageError``
    is raised."""
    storage = storage or imports()
    try:
        return storage.save(name, content)
    except Exception as exc:
        if not _is_store_failure(exc):
            raise
        logger.error("could not store %s in %s: %r", name, describe(storage), exc)
        with suppress(Exception):
            storage.delete(name)
        raise _write_error(exc) from exc


def delete(name: str, storage: Storage | None = None) -> None:
    """Remove a stored file (a file outside the store, given by its absolute path, is left)."""
    if not name or os.path.isabs(name):
        return
    try:
        (storage or imports()).delete(name)
    except Exception as exc:
        if not _is_store_failure(exc):
            raise
        logger.warning("could not delete %s: %r", name, exc)


@contextmanager
def local_copy(
    name: str, storage: Storage | None = None, *, head_lines_of: int | None = None
) -> Iterator[str]:
    """A local path to the stored file ``name`` for a reader that needs one: the file itself on
    a folder storage, else a temporary copy made in blocks and removed afterwards (an object
    store's file is itself spooled to disk past ``max_memory_size``: memory stays bounded).

    ``head_lines_of`` (bytes): from an object store, copy only the whole lines within that many
    first bytes of a text file (enough to look at its start, without fetching all of it).

    An absolute path is a local file already (benchmarks and tests import files in place)."""
    if os.path.isabs(name):
        yield name
        return
    storage = storage or imports()
    try:
        path: str | None = storage.path(name)
    except NotImplementedError:
        path = None
    if path is not None:
        if not os.path.exists(path):
            logger.error("stored file %s is missing from %s", name, describe(storage))
            raise _error("file_unavailable")
        yield path
        return
    with tempfile.NamedTemporaryFile(
        suffix=Path(name).suffix, dir=settings.FILE_UPLOAD_TEMP_DIR
    ) as copy:
        try:
            with storage.open(name, "rb") as source:
                if head_lines_of is None:
                    shutil.copyfileobj(source, copy, COPY_BLOCK)
                else:
                    head = source.read(head_lines_of)
                    cut = head.rfind(b"\n") if len(head) == head_lines_of else -1
                    copy.write(head[: cut + 1] if cut >= 0 else head)
            copy.flush()
        except Exception as exc:
            if not _is_store_failure(exc):
                raise
            logger.error("could not read %s from %s: %r", name, describe(storage), exc)
            raise _error("file_unavailable") from exc
        yield copy.name

"""Uploaded files: the size limit, enforced while the request is read, and its error.

``LimitedUploadHandler`` (the only entry of ``FILE_UPLOAD_HANDLERS``) spools every file to a
temporary file and stops keeping it as soon as it passes ``PACTE_MAX_UPLOAD_BYTES``: the part
already written is deleted, the rest of that file is read and dropped (so that the browser gets
our page rather than a reset connection: the reverse proxy's body limit is what cuts a huge
request short), and the file is replaced by a ``RefusedUpload`` that every form and endpoint
turns into the same error (``check_size``: a translated message, HTTP 413 with code
``file_too_large`` in the API).
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from pacte.errors import DomainError

COPY_BLOCK = 1024 * 1024


class FileTooLarge(DomainError):
    """A file over the upload limit (HTTP 413)."""

    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(
            _("The file is larger than the upload limit (%(limit)s).")
            % {"limit": filesizeformat(limit)},
            code="file_too_large",
            field="file",
        )


class RefusedUpload(UploadedFile):
    """What remains of a file refused for its size: its name and size, no content."""

    refused = True

    def __init__(self, name: str, content_type: str, size: int) -> None:
        super().__init__(io.BytesIO(b""), name, content_type, size)


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Spool each file to disk until it passes ``PACTE_MAX_UPLOAD_BYTES``, then drop it."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.limit = max_upload_bytes()
        self.refused = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.refused:
            return None
        if start + len(raw_data) > self.limit:
            self.refused = True
            self.file.close()  # a temporary file: closing deletes what was written
            return None
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.refused:
            return RefusedUpload(self.file_name or "", self.content_type or "", file_size)
        return super().file_complete(file_size)


def max_upload_bytes() -> int:
    return int(settings.PACTE_MAX_UPLOAD_BYTES)


def check_size(upload: Any, limit: int | None = None) -> None:
    """Raise ``FileTooLarge`` for a file refused while it was received or larger than ``limit``
    (default: the upload limit)."""
    limit = max_upload_bytes() if limit is None else min(limit, max_upload_bytes())
    if getattr(upload, "refused", False) or (upload.size or 0) > limit:
        raise FileTooLarge(limit)


def read_bytes(upload: Any, limit: int) -> bytes:
    """The content of a small file read whole (people, potentials), refused past ``limit``."""
    check_size(upload, limit)
    return bytes(upload.read())


class LimitedFileField(forms.FileField):
    """A file field that says when the file was over the upload limit."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        if data is not None and data is not False:
            try:
                check_size(data)
            except FileTooLarge as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from exc
        return super().clean(data, initial)


@contextmanager
def local_path(upload: Any) -> Iterator[str]:
    """A path to the uploaded file's content: its temporary file, else a temporary copy."""
    path = getattr(upload, "temporary_file_path", None)
    if path is not None:
        yield path()
        return
    suffix = "." + str(upload.name).rsplit(".", 1)[-1][:10] if "." in str(upload.name) else ""
    with tempfile.NamedTemporaryFile(suffix=suffix, dir=settings.FILE_UPLOAD_TEMP_DIR) as copy:
        upload.seek(0)
        shutil.copyfileobj(upload, copy, COPY_BLOCK)
        copy.flush()
        upload.seek(0)
        yield copy.name

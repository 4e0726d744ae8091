"""Backup and restore of a whole Pacte: the database and the stored files, in one archive.

The archive is a tar file holding ``manifest.json`` (format version, database kind, Pacte's
version, when it was made, the stored files), the database — PostgreSQL as a ``pg_dump``
custom-format dump (the machine's ``pg_dump``/``pg_restore``, or ``PACTE_PG_BIN_DIR``'s),
SQLite as a copy made with its online backup API — and the files of the ``imports`` storage
under ``files/``. It is written beside its destination and renamed into place once complete.

A restore refuses an archive of the other database kind or of a newer format, and a database
that already holds data unless forced. It restores the files first (restoring them twice does
no harm), then the database in one step (``pg_restore --single-transaction``, SQLite's backup
API), then empties Pacte's cache: cached figures were computed from other data.
"""

from __future__ import annotations

import datetime as dt
import glob
import importlib.metadata
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.files import File
from django.core.files.storage import Storage
from django.db import connections

from pacte import storage

FORMAT = 1
MANIFEST = "manifest.json"
DUMPS = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
KINDS = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


class BackupError(Exception):
    """A backup or a restore that cannot be done, with what to do about it."""


@dataclass(frozen=True)
class Manifest:
    format: int
    database: str
    pacte_version: str
    created_at: str
    files: int


def pacte_version() -> str:
    try:
        return importlib.metadata.version("pacte")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a source checkout
        return "unknown"


# --------------------------------------------------------------------------- backup


def backup(path: str | Path, *, using: str = "default") -> Manifest:
    """Write the archive of the database ``using`` and of the stored files to ``path``."""
    connection = connections[using]
    kind = _kind(connection.vendor)
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="pacte-backup-") as work:
        dump = Path(work) / DUMPS[kind]
        if kind == "postgresql":
            _pg_dump(connection.settings_dict, dump)
        else:
            _sqlite_copy(connection, dump)
        try:
            with tarfile.open(partial, "w") as archive:
                archive.add(dump, DUMPS[kind])
                files = _add_files(archive, storage.imports())
                manifest = Manifest(
                    format=FORMAT,
                    database=kind,
                    pacte_version=pacte_version(),
                    created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    files=files,
                )
                _add_bytes(archive, MANIFEST, json.dumps(asdict(manifest), indent=2).encode())
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


def _kind(vendor: str) -> str:
    if vendor not in DUMPS:
        raise BackupError(f"Backups know PostgreSQL and SQLite, not {vendor}.")
    return vendor


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    env = {**os.environ, "PGDATABASE": str(db["NAME"])}
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[name] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _pg_binary(name: str) -> str:
    """``name`` from ``PACTE_PG_BIN_DIR``, the PATH, or the newest PostgreSQL installed."""
    folder = getattr(settings, "PACTE_PG_BIN_DIR", "")
    candidates = [str(Path(folder) / name)] if folder else []
    found = shutil.which(name)
    if found:
        candidates.append(found)
    candidates += sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return candidate
    raise BackupError(
        f"{name} was not found: install PostgreSQL's client programs (the same major version "
        "as the server, or newer), or set PACTE_PG_BIN_DIR to their folder."
    )


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()}")


def _pg_dump(db: dict[str, Any], target: Path) -> None:
    command = [_pg_binary("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
    _run([*command, f"--file={target}"], _pg_env(db))


def _sqlite_copy(connection: Any, target: Path) -> None:
    connection.ensure_connection()
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)
    copy.close()


def _stored_names(store: Storage, folder: str = "") -> Iterator[str]:
    try:
        folders, files = store.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from _stored_names(store, f"{folder}/{sub}" if folder else sub)


def _add_files(archive: tarfile.TarFile, store: Storage) -> int:
    count = 0
    for name in _stored_names(store):
        info = tarfile.TarInfo(f"files/{name}")
        info.size = store.size(name)
        with store.open(name, "rb") as content:
            archive.addfile(info, content)
        count += 1
    return count


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


# --------------------------------------------------------------------------- restore


def read_manifest(path: str | Path) -> Manifest:
    try:
        with tarfile.open(path, "r") as archive:
            member = archive.extractfile(MANIFEST)
            data = json.loads(member.read()) if member else None
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise BackupError(f"{path} is not a Pacte backup ({exc}).") from exc
    if not isinstance(data, dict) or not isinstance(data.get("format"), int):
        raise BackupError(f"{path} is not a Pacte backup (its manifest is not readable).")
    if data["format"] > FORMAT:
        raise BackupError(
            f"This backup was made by a newer Pacte ({data.get('pacte_version')}, archive format "
            f"{data['format']}); this Pacte ({pacte_version()}) reads format {FORMAT} at most. "
            "Upgrade Pacte, then restore."
        )
    try:
        return Manifest(**{key: data[key] for key in Manifest.__dataclass_fields__})
    except KeyError as exc:
        raise BackupError(f"{path} is not a Pacte backup (no {exc} in its manifest).") from exc


def restore(path: str | Path, *, force: bool = False, using: str = "default") -> Manifest:
    """Restore the archive at ``path`` into the database ``using`` and the imports storage."""
    manifest = read_manifest(path)
    connection = connections[using]
    kind = _kind(connection.vendor)
    if manifest.database != kind:
        raise BackupError(
            f"This backup holds a {KINDS.get(manifest.database, manifest.database)} database; "
            f"this Pacte runs on {KINDS[kind]} (DATABASE_URL). Restore it where DATABASE_URL "
            f"points to a {KINDS.get(manifest.database, manifest.database)} database."
        )
    if not force and has_data(connection):
        raise BackupError(
            "The database already holds data: a restore replaces all of it. Run again with "
            "--force to replace it (after stopping Pacte's web processes and workers)."
        )
    with tarfile.open(path, "r") as archive, tempfile.TemporaryDirectory() as work:
        _restore_files(archive, storage.imports())
        dump = Path(work) / DUMPS[kind]
        member = archive.extractfile(DUMPS[kind])
        if member is None:
            raise BackupError(f"{path} has no {DUMPS[kind]}.")
        with open(dump, "wb") as out:
            shutil.copyfileobj(member, out, 1024 * 1024)
        connections.close_all()
        if kind == "postgresql":
            _pg_restore(connection.settings_dict, dump)
        else:
            _sqlite_restore(connection, dump)
    connections.close_all()
    for alias in settings.CACHES:
        caches[alias].clear()
    return manifest


def has_data(connection: Any) -> bool:
    """Whether the database holds a workspace or a user."""
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in ("accounts_workspace", "accounts_user"):
            if table in tables:
                cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
                if cursor.fetchone():
                    return True
    return False


def _restore_files(archive: tarfile.TarFile, store: Storage) -> None:
    for member in archive.getmembers():
        if not member.name.startswith("files/") or not member.isfile():
            continue
        name = member.name.removeprefix("files/")
        content = archive.extractfile(member)
        if content is None:  # pragma: no cover - isfile() above
            continue
        if store.exists(name):
            store.delete(name)
        saved = storage.save(name, File(content, name=name), store)
        if saved != name:
            raise BackupError(f"The stored file {name} could not be put back under its name.")


def _pg_restore(db: dict[str, Any], dump: Path) -> None:
    command = [
        _pg_binary("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={db['NAME']}",
    ]
    _run([*command, str(dump)], _pg_env(db))


def _sqlite_restore(connection: Any, dump: Path) -> None:
    connection.ensure_connection()
    with sqlite3.connect(dump) as source:
        source.backup(connection.connection)
    source.close()

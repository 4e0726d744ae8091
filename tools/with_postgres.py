"""Run a command against a PostgreSQL server: DATABASE_URL exported to it.

Order of preference:
1. ``PACTE_TEST_POSTGRES_URL`` if set;
2. the server on 127.0.0.1:5432 (trust auth, user ``postgres``) that development and CI
   machines run;
3. a throwaway server started from the machine's PostgreSQL binaries, as an unprivileged user
   (PostgreSQL refuses to run as root), stopped at the end.
Only when none of these is possible is the PostgreSQL pass skipped, loudly; under ``CI=true``
that skip is a failure.

Usage: python tools/with_postgres.py -- COMMAND [ARGS...]
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pacte"


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_binaries() -> Path | None:
    for initdb in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True):
        return Path(initdb).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def unprivileged_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    return None


def start_throwaway(bindir: Path) -> tuple[str, callable]:  # type: ignore[valid-type]
    port = free_port()
    datadir = Path(tempfile.mkdtemp(prefix="pacte-pg-"))
    user = unprivileged_user()
    prefix: list[str] = []
    if user is not None:
        shutil.chown(datadir, user=user)
        prefix = ["runuser", "-u", user, "--"]
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    subprocess.run(
        [
            *prefix,
            str(bindir / "initdb"),
            "-D",
            str(datadir / "data"),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    subprocess.run(
        [
            *prefix,
            str(bindir / "pg_ctl"),
            "-D",
            str(datadir / "data"),
            "-l",
            str(datadir / "log"),
            "-o",
            f"-p {port} -k {datadir} -c listen_addresses=127.0.0.1 -c fsync=off",
            "-w",
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )

    def stop() -> None:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(datadir / "data"), "-m", "fast", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(datadir, ignore_errors=True)

    return f"postgres://postgres@127.0.0.1:{port}/pacte", stop


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        print(__doc__)
        return 2
    stop = None
    url = os.environ.get("PACTE_TEST_POSTGRES_URL")
    if not url and answers("127.0.0.1", 5432):
        url = DEFAULT_URL
    if not url:
        bindir = find_binaries()
        if bindir is not None:
            print(f"No PostgreSQL on 127.0.0.1:5432: starting a throwaway server from {bindir}.")
            url, stop = start_throwaway(bindir)
            time.sleep(0.5)
    if not url:
        banner = "!" * 78
        print(f"{banner}\nSKIPPED: the PostgreSQL test pass (no server, no binaries).\n{banner}")
        return 1 if os.environ.get("CI", "").lower() == "true" else 0
    print(f"PostgreSQL test pass on {url.rsplit('@', 1)[-1]}")
    try:
        return subprocess.call(argv, env={**os.environ, "DATABASE_URL": url})
    finally:
        if stop is not None:
            stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

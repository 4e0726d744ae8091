"""The deployment files agree with the code: every command they run exists and takes the flags
given, every variable they set is one Pacte reads, the systemd units, the compose file and the
container file hang together, and every command of docs/deployment.md is one a test runs or
one the guide says was run by hand."""

from __future__ import annotations

import configparser
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class
from django.urls import resolve

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
GUIDE = ROOT / "docs" / "deployment.md"
#: Variables of the deployment files that are not Pacte's: the proxy's host name, the
#: containers' own (PostgreSQL, MinIO).
NOT_PACTE = {"PACTE_HOST"}
VARIABLE = re.compile(r"\b(PACTE_[A-Z0-9_]+|DATABASE_URL)\b")


@cache
def read_by_pacte() -> set[str]:
    """Every variable name the code reads (quoted in pacte/)."""
    names: set[str] = set()
    for path in (ROOT / "pacte").rglob("*.py"):
        if "tests" in path.parts:
            continue
        names |= set(re.findall(r"[\"'](PACTE_[A-Z0-9_]+|DATABASE_URL)[\"']", path.read_text()))
    return names


def deploy_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.is_file())


@cache
def pacte_options(command: str) -> set[str]:
    app = get_commands()[command]
    parser = load_command_class(app, command).create_parser("pacte", command)
    return {s for action in parser._actions for s in action.option_strings}


@cache
def granian_options() -> set[str]:
    out = subprocess.run(
        [str(Path(sys.executable).with_name("granian")), "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(re.findall(r"(--[a-z][a-z-]+)", out))


def check_argv(argv: list[str]) -> None:
    """A command line of the deployment: ``pacte …`` or ``granian …``, with known flags."""
    program = Path(argv[0]).name
    if program == "pacte":
        command = argv[1]
        assert command in get_commands(), f"pacte has no command {command!r}"
        flags = {a.split("=", 1)[0] for a in argv[2:] if a.startswith("--")}
        unknown = flags - pacte_options(command)
        assert not unknown, f"pacte {command} takes no {sorted(unknown)}"
    elif program == "granian":
        flags = {a.split("=", 1)[0] for a in argv[1:] if a.startswith("--")}
        assert not flags - granian_options(), sorted(flags - granian_options())
        assert argv[-1] == "pacte.wsgi:application"
    else:
        raise AssertionError(f"unexpected program {argv[0]}")


def test_every_variable_of_the_deployment_is_one_pacte_reads():
    example = set(VARIABLE.findall((ROOT / ".env.example").read_text()))
    for path in [*deploy_files(), GUIDE]:
        used = set(VARIABLE.findall(path.read_text())) - NOT_PACTE
        assert used <= read_by_pacte(), (path.name, sorted(used - read_by_pacte()))
        assert used <= example, (path.name, "not in .env.example", sorted(used - example))


def units() -> dict[str, configparser.ConfigParser]:
    found = {}
    for path in sorted((DEPLOY / "systemd").iterdir()):
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str  # type: ignore[assignment,method-assign]
        unit.read(path)
        found[path.name] = unit
    return found


def test_systemd_units_run_known_commands_with_the_environment_file():
    found = units()
    assert {"pacte-web.service", "pacte-worker@.service", "pacte-scheduler.service"} <= set(found)
    for name, unit in found.items():
        if name.endswith(".timer"):
            assert name.replace(".timer", ".service") in found
            continue
        service = unit["Service"]
        assert service["EnvironmentFile"] == "/etc/pacte/pacte.env", name
        assert service["User"] == "pacte", name
        for key in ("ExecStart", "ExecStartPost"):
            if key not in service:
                continue
            line = service[key].replace("%%", "%")
            argv = shlex.split(line)
            if argv[0] == "/bin/sh":  # sh -c 'exec pacte …'
                argv = shlex.split(argv[2].removeprefix("exec "))
            check_argv(argv)
        if name != "pacte-backup.service":
            assert service["Restart"] == "always", name
    worker = found["pacte-worker@.service"]["Service"]
    assert worker["KillSignal"] == "SIGTERM"
    assert int(worker["TimeoutStopSec"]) >= 60, "give the current job time to finish"
    assert "--worker-id" in worker["ExecStart"]


def test_compose_describes_the_reference_topology():
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"proxy", "web", "worker", "scheduler", "migrate", "postgres", "redis", "minio"} <= set(
        services
    )
    pacte = ("migrate", "web", "worker", "scheduler")
    for name in pacte:
        service = services[name]
        assert service["image"] == "pacte:latest"
        assert service["build"]["dockerfile"] == "deploy/Containerfile"
        assert service["environment"] == services["web"]["environment"], name
        check_argv(service["command"])
    env = services["web"]["environment"]
    assert env["PACTE_ENV"] == "production"
    assert env["PACTE_REDIS_URL"].startswith("redis://redis:")
    assert env["PACTE_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert "@postgres:5432/" in env["DATABASE_URL"]
    for name in ("web", "worker", "scheduler"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["postgres"]["image"] == "postgres:17"  # pg_dump 17 in the image
    assert "postgresql-client" in (DEPLOY / "Containerfile").read_text()


def test_the_proxy_checks_the_web_health_view():
    caddy = (DEPLOY / "Caddyfile").read_text()
    (uri,) = re.findall(r"health_uri (\S+)", caddy)
    path, _, query = uri.partition("?")
    assert resolve(path).url_name == "healthz"
    assert query == "scope=web"
    assert "reverse_proxy web:8000" in caddy


def test_the_container_file_copies_what_exists_and_serves_the_app():
    text = (DEPLOY / "Containerfile").read_text()
    for source in re.findall(r"^COPY (\S+(?: \S+)*) \S+$", text, re.M):
        for name in source.split():
            assert (ROOT / name).exists(), name
    (cmd,) = re.findall(r"^CMD (\[.*\])$", text, re.M)
    import json

    check_argv(json.loads(cmd))
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "var", ".git"} <= set(ignored)


def guide_commands() -> list[list[str]]:
    """The ``pacte …`` command lines of the guide (code spans and shell blocks)."""
    text = GUIDE.read_text()
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        lines += [ln.split("#")[0].strip() for ln in block.splitlines()]
    lines += re.findall(r"`(pacte [^`]+)`", text)
    commands = []
    for line in lines:
        if line.startswith("pacte "):
            commands.append(shlex.split(line))
    return commands


def test_every_command_of_the_guide_exists_and_is_checked():
    text = GUIDE.read_text()
    checked = text[text.index("## Where each command was checked") :]
    commands = guide_commands()
    assert len(commands) > 10
    for argv in commands:
        check_argv([a for a in argv if not a.startswith(("/", "<"))])
        assert f"`pacte {argv[1]}" in checked, f"pacte {argv[1]} is not in the checked list"

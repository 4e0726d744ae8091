"""A data source reads its records through a mapping profile of the sales import: guessed
from the first records (the file import's guesser), previewed, chosen or created from the
page and the API, audited; the data migration that moved connections' own mappings."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection as db
from django.db.migrations.executor import MigrationExecutor

from pacte.audit.models import AuditEvent
from pacte.sales.models import MappingProfile
from pacte.sources import services
from pacte.sources.models import Connection, SyncMode
from pacte.sources.tests.conftest import MAPPING, Remote, record
from pacte.sources.tests.fakeserver import FakeServer
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def bare(cast: Cast, remote: tuple[Remote, FakeServer]) -> Connection:
    """A generic source with no mapping yet, serving two records."""
    state, server = remote
    state.pages = [[record(1), record(2, owner={"email": "lead@acme.example"})]]
    connection, _ = services.create_connection(
        workspace=cast.workspace,
        actor=cast.admin,
        kind="https",
        name="ERP",
        config={"url": server.url("/deals"), "records_path": "results"},
        secrets={"token": "s3cret"},
    )
    return connection


def test_a_source_without_a_mapping_has_no_profile(bare: Connection) -> None:
    assert bare.profile is None
    assert bare.mapping == {}
    assert MappingProfile.objects.count() == 0


def test_creating_with_a_mapping_makes_a_profile_named_after_the_source(source: Connection) -> None:
    profile = source.profile
    assert profile is not None
    assert (profile.name, profile.mapping, profile.source) == (
        "CRM",
        MAPPING,
        source.source,
    )
    assert source.mapping == MAPPING


def test_mapping_page_guesses_from_the_first_records_and_previews(
    cast: Cast, login: Any, bare: Connection
) -> None:
    page = login(cast.admin).get(f"/sources/{bare.uuid}/mapping/")
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["map_date"] == "close_date"
    assert form.initial["map_amount"] == "total"
    assert form.initial["map_channel"] == "channel"
    assert form.initial["profile"] == ""
    assert form.initial["name"] == "ERP"
    assert page.context["guessed"] is True
    rows = page.context["preview"]
    assert rows[0][:3] == ["D-1", "2026-03-02", "100.00"]


def _post(bare: Connection, **over: str) -> dict[str, str]:
    data = {
        "profile": "",
        "name": "ERP deals",
        "date_order": "iso",
        "amount_style": "en",
        "map_external_id": "id",
        "map_date": "close_date",
        "map_amount": "total",
        "map_seller": "owner.email",
        "map_channel": "channel",
        "map_currency": "currency",
        "action": "save",
    }
    data.update(over)
    return data


def test_saving_a_new_mapping_creates_a_profile_audited_and_used_by_the_sync(
    cast: Cast, login: Any, bare: Connection, sync: Any
) -> None:
    client = login(cast.admin)
    response = client.post(f"/sources/{bare.uuid}/mapping/", _post(bare))
    assert response.status_code == 302, response.content.decode()[:1500]
    bare.refresh_from_db()
    profile = bare.profile
    assert profile is not None
    assert profile.name == "ERP deals"
    assert profile.mapping["seller"] == "owner.email"
    assert profile.mapping["customer"] == ""  # left out on purpose
    assert (profile.date_order, profile.amount_style) == ("iso", "en")
    event = AuditEvent.objects.filter(action="source.updated").latest("id")
    assert event.after["profile"] == str(profile.uuid)
    assert event.after["mapping"]["amount"] == "total"
    run = sync(bare, SyncMode.INCREMENTAL)
    assert run.status == "done", (run.message, run.errors)
    assert run.new_count == 2


def test_preview_does_not_save(cast: Cast, login: Any, bare: Connection) -> None:
    response = login(cast.admin).post(
        f"/sources/{bare.uuid}/mapping/", _post(bare, action="preview", map_amount="id")
    )
    assert response.status_code == 200
    assert response.context["preview"][0][:3] == ["D-1", "2026-03-02", "D-1"]
    bare.refresh_from_db()
    assert bare.profile is None


def test_choosing_an_existing_profile_shares_it(cast: Cast, login: Any, bare: Connection) -> None:
    shared = MappingProfile.objects.create(
        workspace=cast.workspace, name="Monthly file", mapping={"amount": "Montant"}
    )
    client = login(cast.admin)
    page = client.get(f"/sources/{bare.uuid}/mapping/?profile={shared.uuid}")
    assert page.context["form"].initial["map_amount"] == "Montant"
    response = client.post(f"/sources/{bare.uuid}/mapping/", _post(bare, profile=str(shared.uuid)))
    assert response.status_code == 302
    bare.refresh_from_db()
    assert bare.profile == shared
    shared.refresh_from_db()
    assert shared.mapping["amount"] == "total"
    assert MappingProfile.objects.count() == 1


def test_a_profile_of_another_workspace_is_404(
    cast: Cast, login: Any, api_client: Any, bare: Connection
) -> None:
    other = MappingProfile.objects.create(workspace=cast.outsider_workspace, name="Theirs")
    client = login(cast.admin)
    assert client.get(f"/sources/{bare.uuid}/mapping/?profile={other.uuid}").status_code == 404
    response = api_client(cast.admin).put(
        f"/api/v1/sources/{bare.uuid}/mapping",
        {"profile": str(other.uuid), "mapping": {"amount": "total"}},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_api_reads_the_guess_and_saves_a_mapping(
    cast: Cast, api_client: Any, bare: Connection
) -> None:
    client = api_client(cast.admin)
    got = client.get(f"/api/v1/sources/{bare.uuid}/mapping")
    assert got.status_code == 200, got.content
    body = got.json()
    assert "owner.email" in body["fields"]
    assert body["guess"]["amount"] == "total"
    assert body["profile"] is None
    assert body["preview"][1]["seller"] == "lead@acme.example"
    saved = client.put(
        f"/api/v1/sources/{bare.uuid}/mapping",
        {"name": "Via API", "mapping": {**body["guess"], "seller": "owner.email"}},
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["profile_name"] == "Via API"
    assert saved.json()["mapping"]["seller"] == "owner.email"


def test_api_mapping_of_an_unreadable_source_says_why(
    cast: Cast, api_client: Any, bare: Connection, remote: tuple[Remote, FakeServer]
) -> None:
    remote[0].fail = (401, "expired")
    got = api_client(cast.admin).get(f"/api/v1/sources/{bare.uuid}/mapping")
    assert got.status_code == 400
    assert got.json()["code"] == "auth"


@pytest.mark.django_db(transaction=True)
def test_migration_moves_each_mapping_into_a_profile(cast: Cast) -> None:
    executor = MigrationExecutor(db)
    before = [("sources", "0002_workspace_keys")]
    after = [("sources", "0003_mapping_profiles")]
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    Old = apps.get_model("sources", "Connection")
    OldProfile = apps.get_model("sales", "MappingProfile")
    OldProfile.objects.create(workspace_id=cast.workspace.pk, name="CRM")
    mapped = Old.objects.create(
        workspace_id=cast.workspace.pk,
        kind="https",
        name="CRM",
        mapping={"amount": "total", "channel": ""},
        date_order="dmy",
    )
    plain = Old.objects.create(workspace_id=cast.workspace.pk, kind="salesforce", name="SF")
    executor = MigrationExecutor(db)
    executor.loader.build_graph()
    executor.migrate(after)
    executor = MigrationExecutor(db)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    moved = Connection.objects.select_related("profile").get(pk=mapped.pk)
    assert moved.profile is not None
    assert moved.profile.name == "CRM (2)"  # "CRM" was taken by a file import's profile
    assert moved.mapping == {"amount": "total", "channel": ""}
    assert moved.date_order == "dmy"
    assert moved.profile.source == f"sync:{moved.uuid}"
    assert Connection.objects.get(pk=plain.pk).profile is None

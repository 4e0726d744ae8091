"""The mapping page: split-credit columns guessed (French, US, XLSX files), the first rows
under each column, columns left out named, formats detected, a split left out warned about
before the import; a re-import reads as unchanged rows (page, API, list)."""

from __future__ import annotations

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from pacte.sales import mapping
from pacte.sales.models import Credit, ImportJob, Sale

pytestmark = pytest.mark.django_db

SELLER, OTHER = "seller@acme.example", "other@acme.example"

FRENCH = (
    "N° de facture;Date de facture;Montant HT;Canal;Commercial;Crédit;Client;Remarque\n"
    f'F-1001;28/11/2026;1 234,50;Terrain;{SELLER};"{SELLER}:60;{OTHER}:40";Dupont SA;urgent\n'
    f"F-1002;29/11/2026;99,90;Terrain;{OTHER};;Durand;\n"
    f'F-1003;30/11/2026;10 000,00;Terrain;{SELLER};"{SELLER}:50;{OTHER}:50";Martin;\n'
    f"F-1004;01/12/2026;5,00;Terrain;{SELLER};;Petit;\n"
    f"F-1005;02/12/2026;7,25;Terrain;{SELLER};;Grand;\n"
    f"F-1006;03/12/2026;8,00;Terrain;{SELLER};;Sixième ligne;\n"
)
US = (
    "Invoice #,Invoice Date,Amount,Channel,Sales Rep,Credit Split,Customer\n"
    f'INV-1,11/28/2026,"1,234.50",field,{SELLER},{SELLER}:70;{OTHER}:30,Acme Corp\n'
    f"INV-2,11/29/2026,99.90,field,{OTHER},,Globex\n"
)


def _xlsx(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Reference", "Date", "Amount", "Channel", "Seller", "Share", "Customer"])
    ws.append(["X-1", "2026-11-28", 1234.5, "field", SELLER, f"{SELLER}:60;{OTHER}:40", "Acme"])
    ws.append(["X-2", "2026-11-29", 99.9, "field", OTHER, None, "Globex"])
    path = tmp_path / "sales.xlsx"
    wb.save(path)
    return path


def _head(path) -> mapping.Head:
    return mapping.read_head(str(path))


def test_french_split_credit_file_gets_its_split_column_guessed(cast, write_csv) -> None:
    head = _head(write_csv(FRENCH, encoding="cp1252"))
    guessed = mapping.guess_mapping(head.columns, sample=head.frame)
    assert guessed == {
        "external_id": "N° de facture",
        "date": "Date de facture",
        "amount": "Montant HT",
        "channel": "Canal",
        "seller": "Commercial",
        "split": "Crédit",
        "customer": "Client",
    }


def test_us_file_gets_its_split_column_guessed(cast, write_csv) -> None:
    head = _head(write_csv(US))
    guessed = mapping.guess_mapping(head.columns, sample=head.frame)
    assert guessed["split"] == "Credit Split"
    assert guessed["external_id"] == "Invoice #"
    assert guessed["seller"] == "Sales Rep"


def test_xlsx_file_gets_its_split_column_guessed(cast, tmp_path) -> None:
    head = _head(_xlsx(tmp_path))
    assert head.kind == "xlsx"
    assert mapping.guess_mapping(head.columns, sample=head.frame)["split"] == "Share"


@pytest.mark.parametrize(
    "name", ["Crédit", "Credit", "Split", "Partage", "Quote-part", "Share", "%", "Crédit %"]
)
def test_split_headers_in_both_languages(name) -> None:
    assert mapping.guess_mapping(["Id", "Date", "Montant", "Canal", name])["split"] == name


def test_a_column_filled_with_split_credits_is_guessed_whatever_its_name(cast, write_csv) -> None:
    head = _head(
        write_csv(
            f"id,date,amount,channel,seller,Team\nA,2026-01-01,1,field,{SELLER},{SELLER}:60;{OTHER}:40\n"
        )
    )
    assert mapping.guess_mapping(head.columns, sample=head.frame)["split"] == "Team"


def test_a_credit_column_of_amounts_is_not_taken_for_a_split(cast, write_csv) -> None:
    head = _head(write_csv("id,date,amount,channel,Credit\nA,2026-01-01,1,field,1200.00\n"))
    assert "split" not in mapping.guess_mapping(head.columns, sample=head.frame)


def test_detection_in_words(cast, write_csv) -> None:
    head = _head(write_csv(FRENCH, encoding="cp1252"))
    guessed = mapping.guess_mapping(head.columns, sample=head.frame)
    detected = mapping.detect(head, guessed)
    assert (detected.encoding, detected.delimiter) == ("cp1252", ";")
    assert (detected.amount_style, detected.date_order) == ("fr", "dmy")
    words = dict(mapping.describe(detected))
    assert words["File"] == "CSV text, Windows-1252 (Western European)"
    assert words["Columns separated by"] == "semicolon (;)"
    assert words["Amounts (column “Montant HT”)"].startswith("decimal comma (1 234,56), e.g. ")
    assert words["Dates (column “Date de facture”)"].startswith("day first (28/11/2026)")
    us = _head(write_csv(US))
    found = mapping.detect(us, mapping.guess_mapping(us.columns, sample=us.frame))
    assert (found.delimiter, found.amount_style, found.date_order) == (",", "en", "mdy")


def _upload(client, name: str, content: bytes):
    r = client.post(
        reverse("sales:imports"), {"file": SimpleUploadedFile(name, content), "source": "erp"}
    )
    assert r.status_code == 302, r.content[:300]
    return ImportJob.objects.latest("id")


def test_mapping_page_shows_the_first_rows_and_the_columns_left_out(cast, channels, login) -> None:
    client = login(cast.admin)
    job = _upload(client, "ventes.csv", FRENCH.encode("cp1252"))
    body = client.get(reverse("sales:import_map", args=[job.uuid])).content.decode()
    table = body.split('data-testid="file-preview"')[1].split("</table>")[0]
    assert "F-1001" in table
    assert "F-1005" in table
    assert "F-1006" not in table  # five rows
    assert "1 234,50" in table
    assert "<mark>not imported</mark>" in table  # Remarque
    assert "→ Split credits (a@x:60;b@y:40)" in table
    assert "1 column of the file's 8 is not imported: Remarque." in body
    assert "semicolon (;)" in body
    assert "day first (28/11/2026)" in body
    assert 'name="map_split"' in body
    assert '<option value="Crédit" selected>' in body


def test_mapping_page_in_french(cast, channels, login) -> None:
    cast.admin.user.language = "fr"
    cast.admin.user.save()
    client = login(cast.admin)
    job = _upload(client, "ventes.csv", FRENCH.encode("cp1252"))
    body = client.get(reverse("sales:import_map", args=[job.uuid])).content.decode()
    assert "point-virgule (;)" in body
    assert "virgule décimale (1 234,56)" in body
    assert "jour d&#x27;abord (28/11/2026)" in body
    assert "<mark>non importée</mark>" in body
    assert "1 colonne sur les 8 du fichier n'est pas importée\u00a0: Remarque." in body


def test_mapping_preview_follows_the_selects_with_htmx(cast, channels, login) -> None:
    client = login(cast.admin)
    job = _upload(client, "ventes.csv", FRENCH.encode("cp1252"))
    data = {
        "map_external_id": "N° de facture",
        "map_date": "Date de facture",
        "map_amount": "Montant HT",
        "map_channel": "Canal",
        "map_seller": "Commercial",
        "date_order": "auto",
        "amount_style": "auto",
    }
    r = client.post(reverse("sales:import_map", args=[job.uuid]), data, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert body.lstrip().startswith('<section id="preview"')
    assert "3 columns of the file's 8 are not imported: Crédit, Client, Remarque." in body
    assert "reads like split credits" in body
    job.refresh_from_db()
    assert job.status == "mapping"


def _french_form(**extra: str) -> dict[str, str]:
    return {
        "map_external_id": "N° de facture",
        "map_date": "Date de facture",
        "map_amount": "Montant HT",
        "map_channel": "Canal",
        "map_seller": "Commercial",
        "date_order": "auto",
        "amount_style": "auto",
        **extra,
    }


def test_a_split_column_left_out_is_warned_about_before_the_import(
    cast, channels, login, django_capture_on_commit_callbacks
) -> None:
    client = login(cast.admin)
    job = _upload(client, "ventes.csv", FRENCH.encode("cp1252"))
    url = reverse("sales:import_map", args=[job.uuid])
    r = client.post(url, _french_form())
    assert r.status_code == 200
    body = r.content.decode()
    assert "The column “Crédit” reads like split credits" in body
    assert 'name="confirm_unused"' in body
    job.refresh_from_db()
    assert job.status == "mapping"
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(url, _french_form(confirm_unused="on"))
    assert r.status_code == 302
    job.refresh_from_db()
    assert job.status == "done"
    assert Credit.objects.filter(sale__external_id="F-1001").count() == 1  # as confirmed


def test_the_guessed_mapping_imports_the_split(
    cast, channels, login, django_capture_on_commit_callbacks
) -> None:
    client = login(cast.admin)
    job = _upload(client, "ventes.csv", FRENCH.encode("cp1252"))
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            reverse("sales:import_map", args=[job.uuid]),
            _french_form(map_split="Crédit", map_customer="Client"),
        )
    assert r.status_code == 302
    sale = Sale.objects.get(external_id="F-1001")
    shares = dict(sale.credits.values_list("seller__user__email", "basis_points"))
    assert shares == {SELLER: 6000, OTHER: 4000}
    assert sale.amount == 123450


def test_shares_on_repeated_lines_are_warned_about(cast, channels, login) -> None:
    client = login(cast.admin)
    content = (
        "Facture;Date;Montant;Canal;Commercial;Quote-part\n"
        f"F-1;28/11/2026;1000,00;Terrain;{SELLER};60\n"
        f"F-1;28/11/2026;1000,00;Terrain;{OTHER};40\n"
        f"F-2;29/11/2026;50,00;Terrain;{OTHER};100\n"
    ).encode()
    job = _upload(client, "long.csv", content)
    body = client.get(reverse("sales:import_map", args=[job.uuid])).content.decode()
    assert "Sale “F-1” appears on lines 2, 3 with different sellers" in body
    assert "“Quote-part” looks like each seller&#x27;s share" in body
    assert 'name="map_split"' in body
    assert '<option value="Quote-part" selected>' not in body  # not a split cell format


def test_reimport_reads_as_unchanged_rows_on_the_page_the_api_and_the_list(
    cast, channels, login, django_capture_on_commit_callbacks
) -> None:
    lines = "".join(f"S{i},2026-01-{1 + i % 28:02d},{i}.50,field,{SELLER}\n" for i in range(2000))
    content = ("id,date,amount,channel,seller\n" + lines).encode()
    client = login(cast.admin)
    form = {
        "map_external_id": "id",
        "map_date": "date",
        "map_amount": "amount",
        "map_channel": "channel",
        "map_seller": "seller",
        "date_order": "auto",
        "amount_style": "auto",
    }
    for _ in range(2):
        job = _upload(client, "same.csv", content)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("sales:import_map", args=[job.uuid]), form)
    job.refresh_from_db()
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 2000)
    page = client.get(reverse("sales:import_job", args=[job.uuid])).content.decode()
    assert "Imported: 0 new, 0 changed, 2,000 unchanged." in page
    assert "Nothing changed: the 2,000 sales of this file were already in Pacte" in page
    listing = client.get(reverse("sales:imports")).content.decode()
    row = listing.split(f'href="/sales/imports/{job.uuid}/"')[1].split("</tr>")[0]
    assert '<td class="num">0</td><td class="num">0</td><td class="num">2,000</td>' in row
    api = Client(headers={"Authorization": f"Bearer {cast.token(cast.admin)}"})
    data = api.get(f"/api/v1/sales/imports/{job.uuid}").json()
    assert (data["created"], data["updated"], data["unchanged"]) == (0, 0, 2000)
    assert data["status"] == "done"
    assert Sale.objects.count() == 2000

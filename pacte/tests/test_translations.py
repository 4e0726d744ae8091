"""French is complete: `makemessages` would change nothing and every message is translated."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pacte.lib.money import format_money, format_number

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MAKEMESSAGES = [
    "makemessages",
    "-l",
    "fr",
    "--no-location",
    "--no-obsolete",
    "-i",
    ".venv/*",
    "-i",
    "var/*",
    "-i",
    "bench/*",
    "-i",
    "tools/*",
]


def _body(text: str) -> str:
    """The .po file without its volatile header dates."""
    return re.sub(r'"(POT-Creation-Date|PO-Revision-Date): .*\\n"\n', "", text)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_makemessages_would_not_change_the_po_file(tmp_path: Path) -> None:
    copy = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", copy)
    env = {**os.environ, "PACTE_LOCALE_DIR": str(copy), "DJANGO_SETTINGS_MODULE": "pacte.settings"}
    subprocess.run(
        [sys.executable, "-m", "pacte", *MAKEMESSAGES],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    regenerated = (copy / "fr" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    assert _body(regenerated) == _body(PO.read_text(encoding="utf-8")), (
        "The French catalogue is out of date: run `make messages` and translate the new entries."
    )


def test_every_message_is_translated() -> None:
    text = PO.read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]
    untranslated = []
    for entry in entries:
        if "#, fuzzy" in entry:
            untranslated.append(entry)
            continue
        for match in re.finditer(r'^msgstr(\[\d\])? ((?:".*"\n?)+)', entry, re.M):
            if not "".join(re.findall(r'"(.*)"', match.group(2))):
                untranslated.append(entry)
    assert not untranslated, "Untranslated or fuzzy French messages:\n" + "\n\n".join(
        untranslated[:10]
    )


def test_money_is_formatted_for_the_language() -> None:
    assert format_money(123456700, "EUR", "fr") == "1\u202f234\u202f567\u00a0€"
    assert format_money(123456700, "EUR", "en") == "€1,234,567"
    assert format_money(-5050, "EUR", "fr", cents=True) == "-50,50\u00a0€"
    assert format_number(1234567, "en") == "1,234,567"


def test_pages_use_the_users_language(cast, login) -> None:  # type: ignore[no-untyped-def]
    from pacte.accounts.services import set_language

    set_language(user=cast.seller.user, language="fr")
    page = login(cast.seller).get("/people/").content.decode()
    assert "Personnes" in page
    assert "Nom ou e-mail" in page

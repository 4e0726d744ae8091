"""Every page links the SVG icon; /favicon.ico, asked for regardless, answers without a 404."""

from __future__ import annotations

import pytest
from django.test import Client


def test_favicon_ico_leads_to_the_svg_icon() -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith(".svg")
    icon = Client().get(response["Location"])
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_every_page_links_the_icon() -> None:
    page = Client().get("/account/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon' in page
    assert 'type="image/svg+xml"' in page

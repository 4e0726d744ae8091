"""In Chromium at 390 px, in French: a seller below their objective reviews the quarter (a
reason not chosen is refused next to the list), their lead answers; each page passes the
layout and accessibility checks of the crawl."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from pacte.objectives import reviews
from pacte.objectives.models import PeriodReview
from pacte.objectives.tests.conftest import publish
from pacte.testing import crawl
from pacte.testing.cast import PASSWORD, build_cast

pytestmark = pytest.mark.browser
PHONE = (390,)


@pytest.mark.django_db(transaction=True)
def test_seller_reviews_and_lead_answers_on_a_phone_in_french(live_server: Any, page: Any) -> None:
    cast = build_cast()
    fy, q = reviews.last_closed_quarter(cast.workspace, timezone.localdate())
    publish(cast, fy, {cast.seller: 120_000_00, cast.lead: 120_000_00})
    reviews.request_reviews(workspace=cast.workspace, fiscal_year=fy, quarter=q)
    review = PeriodReview.objects.get(seller=cast.seller)
    assert review.gap == 30_000_00
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 900})

    crawl.login(page, base, cast.seller.user.email, PASSWORD)
    crawl.set_language(page, base, "fr")
    page.goto(f"{base}/objectives/reviews/{review.uuid}/")
    assert crawl.problems_here(page, base, PHONE) == []
    page.get_by_label("Ce que je change au prochain trimestre").fill("Relancer les devis")
    page.get_by_role("button", name="Envoyer mon bilan").click()
    page.get_by_text("Choisissez au moins une raison.").wait_for()
    assert crawl.problems_here(page, base, PHONE) == []
    page.get_by_label("Pipeline décalé").check()
    page.get_by_label("Ce qui s'est passé").fill("Deux affaires repoussées")
    page.get_by_role("button", name="Envoyer mon bilan").click()
    page.get_by_text("Bilan envoyé à votre responsable.").wait_for()

    crawl.login(page, base, cast.lead.user.email, PASSWORD)
    crawl.set_language(page, base, "fr")
    page.goto(f"{base}/objectives/reviews/?fy={fy}")
    page.get_by_text("1 bilan attend votre réponse.").wait_for()
    assert crawl.problems_here(page, base, PHONE) == []
    page.get_by_role("link", name=cast.seller.name).click()
    assert page.get_by_test_id("reasons").inner_text() == "Pipeline décalé"
    page.get_by_label("Votre réponse ou vos conseils").fill("On en parle jeudi")
    page.get_by_role("button", name="Envoyer la réponse").click()
    page.get_by_test_id("answer").filter(has_text="On en parle jeudi").wait_for()
    assert page.get_by_test_id("review-status").inner_text() == "Répondu"
    assert crawl.problems_here(page, base, PHONE) == []

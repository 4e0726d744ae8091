"""Reads of the organisation tree: the units a lead answers for."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pacte.org.models import Unit
from pacte.org.selectors import led_subtree_ids
from pacte.org.services import create_unit
from pacte.testing.cast import Cast


@pytest.mark.django_db
def test_a_lead_answers_for_their_team_and_every_team_below_in_one_query(cast: Cast) -> None:
    below = create_unit(workspace=cast.workspace, actor=None, name="North-East", parent=cast.team)
    deeper = create_unit(workspace=cast.workspace, actor=None, name="Lille", parent=below)

    with CaptureQueriesContext(connection) as queries:
        ids = led_subtree_ids(cast.lead)

    assert ids == sorted({cast.team.pk, below.pk, deeper.pk})
    assert len(queries.captured_queries) == 1
    assert led_subtree_ids(cast.seller) == []
    assert led_subtree_ids(cast.outsider) == []


@pytest.mark.django_db
def test_a_lead_of_an_inactive_team_answers_for_nothing(cast: Cast) -> None:
    Unit.objects.filter(pk=cast.team.pk).update(is_active=False)
    assert led_subtree_ids(cast.lead) == []

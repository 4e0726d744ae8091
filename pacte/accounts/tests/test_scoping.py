"""The one scoping of workspace rows: for_workspace, and visible_to where a model says who sees
its rows."""

from __future__ import annotations

import pytest

from pacte.accounts.models import Membership
from pacte.audit.models import AuditEvent
from pacte.org.models import Unit
from pacte.sales.models import Channel
from pacte.testing.cast import Cast


def test_for_workspace_never_reads_another_workspace(cast: Cast) -> None:
    assert set(Channel.objects.for_workspace(cast.workspace)) == {cast.channel}
    assert cast.outsider not in Membership.objects.for_workspace(cast.workspace)
    assert set(Unit.objects.for_workspace(cast.workspace.pk)) == {
        cast.company,
        cast.team,
        cast.other_team,
    }


def test_visible_to_applies_each_models_rule(cast: Cast) -> None:
    assert list(Channel.objects.visible_to(cast.seller)) == [cast.channel]
    cast.other_team.is_active = False
    cast.other_team.save()
    assert cast.other_team not in Unit.objects.visible_to(cast.seller)
    assert cast.other_team in Unit.objects.visible_to(cast.admin)


def test_a_model_that_says_nothing_refuses_rather_than_shows_all(cast: Cast) -> None:
    with pytest.raises(NotImplementedError):
        AuditEvent.objects.visible_to(cast.admin)

"""The objective workflow as a Hypothesis state machine: any sequence of actions keeps one
current version, makes only legal transitions, and writes one audit event per action."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from pacte.audit.models import AuditEvent
from pacte.errors import DomainError
from pacte.objectives import services
from pacte.objectives.models import Objective, Status
from pacte.objectives.tests.conftest import publish
from pacte.testing.cast import build_cast, next_fiscal_year

LEGAL: dict[str, set[str | None]] = {
    "save": {None, Status.DRAFT, Status.RETURNED, Status.COUNTERED, Status.AGREED},
    "propose": {None, Status.DRAFT, Status.RETURNED, Status.COUNTERED, Status.AGREED},
    "agree": {Status.PROPOSED},
    "return": {Status.PROPOSED},
    "counter": {Status.PROPOSED},
    "accept": {Status.COUNTERED},
}

amounts = st.integers(min_value=0, max_value=300_000)


@pytest.mark.django_db
def test_objective_workflow_state_machine() -> None:
    cast = build_cast()
    fy = next_fiscal_year(cast)
    publish(cast, fy, {cast.seller: 120_000_00, cast.lead: 1, cast.other_seller: 1})

    class Workflow(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            Objective.objects.filter(seller=cast.seller).delete()
            self.status: str | None = None
            self.version: int | None = None
            self.actions = 0
            self.events_before = AuditEvent.objects.filter(action__startswith="objective.").count()

        def _do(self, name: str, call: Any, stale: bool) -> None:
            version = None if self.version is None else self.version - (1 if stale else 0)
            legal = self.status in LEGAL[name] and not (stale and self.version is not None)
            try:
                o = call(version)
            except DomainError:
                assert not legal, (name, self.status)
                return
            assert legal, (name, self.status)
            self.status, self.version = o.status, o.version
            self.actions += 1

        @rule(amount=amounts, stale=st.booleans())
        def save(self, amount: int, stale: bool) -> None:
            self._do(
                "save",
                lambda v: services.save_draft(
                    seller=cast.seller, fiscal_year=fy, amount=amount * 100, version=v
                ),
                stale,
            )

        @rule(amount=amounts, stale=st.booleans())
        def propose(self, amount: int, stale: bool) -> None:
            self._do(
                "propose",
                lambda v: services.propose(
                    seller=cast.seller, fiscal_year=fy, amount=amount * 100, version=v
                ),
                stale,
            )

        def _objective(self) -> Objective | None:
            return Objective.objects.filter(seller=cast.seller, fiscal_year=fy).first()

        @rule(stale=st.booleans())
        def agree(self, stale: bool) -> None:
            o = self._objective()
            if o is not None:
                self._do(
                    "agree",
                    lambda v: services.agree(objective=o, actor=cast.lead, version=v),
                    stale,
                )

        @rule(stale=st.booleans())
        def return_it(self, stale: bool) -> None:
            o = self._objective()
            if o is not None:
                self._do(
                    "return",
                    lambda v: services.return_objective(
                        objective=o, actor=cast.lead, reason="why", version=v
                    ),
                    stale,
                )

        @rule(amount=amounts, stale=st.booleans())
        def counter(self, amount: int, stale: bool) -> None:
            o = self._objective()
            if o is not None:
                self._do(
                    "counter",
                    lambda v: services.counter_propose(
                        objective=o, actor=cast.lead, amount=amount * 100, reason="why", version=v
                    ),
                    stale,
                )

        @rule(stale=st.booleans())
        def accept(self, stale: bool) -> None:
            o = self._objective()
            if o is not None:
                self._do(
                    "accept",
                    lambda v: services.accept_counter(seller=cast.seller, objective=o, version=v),
                    stale,
                )

        @rule()
        def intruder_decides(self) -> None:
            o = self._objective()
            if o is not None:
                with pytest.raises(DomainError):
                    services.agree(objective=o, actor=cast.other_seller, version=o.version)

        @invariant()
        def one_current_version(self) -> None:
            o = self._objective()
            if o is None:
                assert self.status is None
                return
            assert o.status == self.status
            assert o.version == self.version
            numbers = list(o.versions.order_by("number").values_list("number", flat=True))
            assert numbers == list(range(1, o.version + 1))
            current = o.versions.get(number=o.version)
            assert (current.status, current.amount, current.months) == (
                o.status,
                o.amount,
                o.months,
            )
            assert sum(o.months) == o.amount
            if o.status == Status.AGREED:
                assert o.agreed_amount == o.amount

        @invariant()
        def one_audit_event_per_action(self) -> None:
            events = AuditEvent.objects.filter(action__startswith="objective.").count()
            assert events - self.events_before == self.actions

    Workflow.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    Workflow.TestCase().runTest()

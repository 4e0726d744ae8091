"""Delayering proposals: compute, replay a stored list of moves, explain moves in words.

Moves are stored with public ids (member and team UUIDs) so that a draft can be shown,
edited and applied on the organisation of any later day; ``replay`` maps them back to
indices of a ``Snapshot`` and refuses a draft whose people or teams have gone.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pacte.errors import DomainError
from pacte.lib import orgshape
from pacte.org.structure import Snapshot

KINDS = ("remove_layer", "merge_units", "reattach")


def check_shape(max_layers: int, span_min: int, span_max: int) -> None:
    for name, value in (("max_layers", max_layers), ("span_min", span_min), ("span_max", span_max)):
        if not isinstance(value, int) or value < 0 or value > 10_000:
            raise DomainError(
                _("Give a whole number between 0 and 10,000."), code="invalid_shape", field=name
            )


def propose(snap: Snapshot, shape: dict[str, int]) -> orgshape.Proposal:
    check_shape(**shape)
    return orgshape.propose(snap.org, **shape)


def stored_moves(proposal: orgshape.Proposal) -> list[dict[str, Any]]:
    lab = proposal.before.labels
    return [m.as_dict(lab) for m in proposal.moves]


def to_moves(snap: Snapshot, moves: list[dict[str, Any]]) -> list[orgshape.Move]:
    """Stored moves (public ids) → ``orgshape.Move`` on ``snap``; refuses unknown ids."""
    people = {u: i for i, u in enumerate(snap.member_uuid)}
    units = {u: i for i, u in enumerate(snap.unit_uuid)}
    out = []
    for n, raw in enumerate(moves, start=1):
        kind = raw.get("kind")
        if kind not in KINDS:
            raise DomainError(
                _("Move %(n)s: unknown kind of move.") % {"n": n},
                code="invalid_move",
                field="moves",
            )

        def look(table: dict[str, int], key: str, raw: dict[str, Any] = raw, n: int = n) -> int:
            value = raw.get(key)
            if value in (None, "", -1):
                return -1
            if str(value) not in table:
                raise DomainError(
                    _(
                        "Move %(n)s names a person or a team that is not in the organisation on that date."
                    )
                    % {"n": n},
                    code="stale_proposal",
                    field="moves",
                )
            return table[str(value)]

        out.append(
            orgshape.Move(
                kind,
                person=look(people, "person"),
                unit=look(units, "unit"),
                target=look(units, "target"),
                explanation=dict(raw.get("explanation") or {"code": "manual"}),
            )
        )
    return out


def replay(
    snap: Snapshot, moves: list[dict[str, Any]]
) -> tuple[list[orgshape.Move], orgshape.OrgArrays]:
    """The organisation after the stored moves; a move that cannot be played is refused."""
    plays = to_moves(snap, moves)
    try:
        after = orgshape.apply(snap.org, plays)
    except orgshape.OrgShapeError as exc:
        n = int(exc.params.get("index", 0)) + 1
        raise DomainError(
            _("Move %(n)s can no longer be played on this organisation: %(reason)s.")
            % {"n": n, "reason": _reason(str(exc))},
            code="invalid_move",
            field="moves",
        ) from None
    return plays, after


def _reason(text: str) -> str:
    reasons = {
        "person does not lead unit": _("that person does not lead that team"),
        "the top position cannot be removed": _("the top position cannot be removed"),
        "target is inside the merged unit": _("the target team is inside the merged team"),
        "person is not the lead of the merged unit": _("that person does not lead that team"),
        "target is inside the reattached unit": _("the target team is inside the moved team"),
        "a lead moves with their unit, not alone": _("a lead moves with their team, not alone"),
    }
    for key, value in reasons.items():
        if key in text:
            return value
    return _("the move is not valid")


def evaluate(snap: Snapshot, moves: list[dict[str, Any]], shape: dict[str, int]) -> dict[str, Any]:
    """Before/after metrics of a list of stored moves on ``snap``."""
    _plays, after = replay(snap, moves)
    before_m = orgshape.metrics(snap.org, **shape)
    after_m = orgshape.metrics(after, **shape)
    return {"before": before_m.as_dict(), "after": after_m.as_dict(), "reached": after_m.reached}


# --------------------------------------------------------------------------- words


def names_of(snap: Snapshot) -> tuple[dict[str, str], dict[str, str]]:
    return (
        dict(zip(snap.member_uuid, snap.member_name, strict=True)),
        dict(zip(snap.unit_uuid, snap.unit_name, strict=True)),
    )


def describe(move: dict[str, Any], people: dict[str, str], units: dict[str, str]) -> dict[str, str]:
    """``{"action", "why"}``: what the move does and why, as sentences in the active language."""
    p = people.get(str(move.get("person")), "?")
    u = units.get(str(move.get("unit")), "?")
    t = units.get(str(move.get("target")), "?")
    kind = move.get("kind")
    if kind == "remove_layer":
        action = _(
            "Remove the lead position of %(person)s over “%(team)s”: the team reports to the next lead up; %(person)s stays in it as a seller."
        ) % {"person": p, "team": u}
    elif kind == "merge_units":
        action = _(
            "Merge “%(team)s” into “%(target)s”: its members and sub-teams move there; %(person)s becomes a seller."
        ) % {"team": u, "target": t, "person": p if move.get("person") else "—"}
    elif move.get("person"):
        action = _("Move %(person)s to “%(target)s”.") % {"person": p, "target": t}
    else:
        action = _("Move the team “%(team)s” under “%(target)s”.") % {"team": u, "target": t}
    return {"action": action, "why": explain(move.get("explanation") or {}, people)}


def explain(data: dict[str, Any], people: dict[str, str]) -> str:
    """Translate an ``orgshape`` explanation or blocking code into a sentence."""
    code = data.get("code")
    who = people.get(str(data.get("lead")), "?")
    params = {k: v for k, v in data.items() if isinstance(v, int | float | str)}
    params["lead"] = who
    params["into_lead"] = people.get(str(data.get("into_lead")), "?")
    params["to_lead"] = people.get(str(data.get("to_lead")), "?")
    params["lifted_lead"] = people.get(str(data.get("lifted_lead")), "?")
    texts = {
        "too_deep": _(
            "%(sellers_too_deep)s seller(s) under %(lead)s are more than %(max_layers)s layer(s) from the top; %(lead)s manages %(span)s person(s)."
        ),
        "span_too_narrow": _(
            "%(lead)s manages only %(span)s person(s), fewer than %(min)s; the team joins the one led by %(into_lead)s."
        ),
        "top_span_too_narrow": _(
            "The top (%(lead)s) manages only %(span)s person(s), fewer than %(min)s; the reports of %(lifted_lead)s move up to the top."
        ),
        "span_too_wide": _(
            "%(lead)s manages %(span)s people, more than %(max)s; this report moves to %(to_lead)s."
        ),
        "manual": _("Added by hand."),
        "span_bounds_inverted": _(
            "The smallest span (%(min)s) is larger than the largest span (%(max)s)."
        ),
        "capacity": _(
            "%(sellers)s sellers cannot fit within %(max_layers)s layer(s) with spans of at most %(span_max)s (room for %(capacity)s): raise the largest span or allow more layers."
        ),
        "too_few_people": _("With %(people)s people nobody can manage %(min)s."),
    }
    if code == "too_deep" and "sellers" in data:
        return (
            _(
                "%(sellers)s seller(s) are still more than %(max_layers)s layer(s) from the top (deepest: %(deepest)s)."
            )
            % params
        )
    if code in ("span_too_narrow", "span_too_wide") and "count" in data:
        if code == "span_too_narrow":
            return _("%(count)s lead(s) still manage fewer than %(min)s people.") % params
        return _("%(count)s lead(s) still manage more than %(max)s people.") % params
    text = texts.get(str(code))
    if text is None:
        return str(code or "")
    try:
        return text % params
    except (KeyError, TypeError, ValueError):
        return str(code)


def payload(
    snap: Snapshot,
    shape: dict[str, int],
    moves: list[dict[str, Any]],
    *,
    draft: Any = None,
    blocking: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything the proposal page and API show: moves in words, before/after, what blocks."""
    result = evaluate(snap, moves, shape)
    people, units = names_of(snap)
    if blocking is None:
        after = orgshape.metrics(replay(snap, moves)[1], **shape)
        blocking = [] if after.reached else _blocking_of(snap, shape, after)
    rows = []
    for move in moves:
        rows.append(
            {
                "kind": move.get("kind"),
                "person": move.get("person"),
                "unit": move.get("unit"),
                "target": move.get("target"),
                "explanation": move.get("explanation") or {},
                **describe(move, people, units),
            }
        )
    return {
        "uuid": getattr(draft, "uuid", None),
        "name": getattr(draft, "name", ""),
        "status": getattr(draft, "status", "preview"),
        "shape": shape,
        "based_on": snap.day,
        "effective": getattr(draft, "effective", None),
        "version": getattr(draft, "version", 0),
        "reached": result["reached"],
        "blocking": [explain(b, people) for b in blocking],
        "blocking_codes": [str(b.get("code")) for b in blocking],
        "moves": rows,
        "before": result["before"],
        "after": result["after"],
    }


def _blocking_of(
    snap: Snapshot, shape: dict[str, int], after: orgshape.Metrics
) -> list[dict[str, Any]]:
    """What keeps an edited list from the shape: the hard constraints, then what is left."""
    hard = orgshape._necessary(snap.org, orgshape.Shape(**shape))
    return [*(after.labels.explanation(b) for b in hard), *orgshape._residual(after)]


def shown_on(draft: Any) -> Any:
    """The day a draft is replayed on: its base day, or the eve of the day it was applied."""
    import datetime

    if draft.effective is not None:
        return draft.effective - datetime.timedelta(days=1)
    return draft.based_on

"""Fixtures of the sales tests: channels of the cast's workspace and a CSV writer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pacte.sales.models import Channel
from pacte.testing.cast import Cast


@pytest.fixture
def channels(cast: Cast) -> dict[str, Channel]:
    ecom = Channel.objects.create(
        workspace=cast.workspace, code="e-commerce", name_en="E-commerce", name_fr="E-commerce"
    )
    dist = Channel.objects.create(
        workspace=cast.workspace,
        code="distributors",
        name_en="Distributors",
        name_fr="Distributeurs",
    )
    return {"field": cast.channel, "e-commerce": ecom, "distributors": dist}


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    counter = {"n": 0}

    def _write(text: str | bytes, name: str = "sales.csv", encoding: str = "utf-8") -> Path:
        counter["n"] += 1
        path = tmp_path / f"{counter['n']}-{name}"
        path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
        return path

    return _write

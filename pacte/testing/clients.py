"""Test clients of the API: one way to call it as a member (a new personal token each time)."""

from __future__ import annotations

from django.test import Client

from pacte.accounts.models import Membership
from pacte.accounts.services import create_api_token


def api_client_for(member: Membership) -> Client:
    """A test client whose every request carries a new API token of ``member``."""
    token = create_api_token(member=member, name="test")[1]
    return Client(headers={"Authorization": f"Bearer {token}"})

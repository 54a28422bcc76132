import pytest

from tests.idp.replay import ReplayClient


@pytest.fixture
def idp(client):
    """Workspace A's client (on every backend) that also checks each answer's Content-Type."""
    return ReplayClient(client.flask, client.token)

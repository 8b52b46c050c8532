"""Worker fixtures: the API's clients and webhook receiver, for delivery through a running app."""

from tests.api.conftest import api_client, webhook_receiver

__all__ = ["api_client", "webhook_receiver"]

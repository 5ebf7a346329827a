"""The API tests call the API the way a client does: JSON over HTTP with a bearer token."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from kam.core.models import User
from kam.core.tokens import issue_token

Call = Callable[..., Any]


class ApiClient:
    """A Django test client that sends a user's bearer token and JSON bodies."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **query: Any) -> Any:
        return self.client.get(path, query, headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.send("post", path, body)

    def patch(self, path: str, body: Any) -> Any:
        return self.send("patch", path, body)

    def delete(self, path: str) -> Any:
        return self.client.delete(path, headers=self.headers)

    def send(self, method: str, path: str, body: Any) -> Any:
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        send = getattr(self.client, method)
        return send(path, data, content_type="application/json", headers=self.headers)


@pytest.fixture
def api_as(db: None) -> Callable[[User], ApiClient]:
    """api_as(cast.alice) → a client that calls the API as Alice."""

    def make(user: User) -> ApiClient:
        return ApiClient(issue_token(user=user, name="tests"))

    return make


@pytest.fixture(autouse=True)
def quiet_client_errors() -> Any:
    # Django logs every 4xx as a warning; the API tests make thousands on purpose.
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)

"""What the API tests share: a key of a workspace and a client that sends it as Hightouch's clients do."""

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.test import Client

from syncapp.api.services import api_key_create

TERMINAL = {"success", "warning", "failed", "cancelled", "interrupted"}


@dataclass
class ApiClient:
    """Django's test client with `Authorization: Bearer <token>` on every request."""

    client: Client
    token: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any):
        return self.client.get(f"/api/v1/{path.lstrip('/')}", params, headers=self.headers())

    def post(self, path: str, body: Any = None, **kwargs: Any):
        data = json.dumps(body) if body is not None else ""
        return self.client.post(
            f"/api/v1/{path.lstrip('/')}",
            data,
            content_type="application/json",
            headers=self.headers(),
            **kwargs,
        )

    def post_form(self, path: str, form: dict):
        """As the Airflow provider posts: `data=` through requests, so form-encoded."""
        return self.client.post(
            f"/api/v1/{path.lstrip('/')}",
            urlencode(form),
            content_type="application/x-www-form-urlencoded",
            headers=self.headers(),
        )

    def patch(self, path: str, body: Any):
        return self.client.patch(
            f"/api/v1/{path.lstrip('/')}",
            json.dumps(body),
            content_type="application/json",
            headers=self.headers(),
        )


def api_client_for(workspace, user=None) -> ApiClient:
    _key, token = api_key_create(workspace=workspace, user=user, name="Test key")
    return ApiClient(Client(), token)

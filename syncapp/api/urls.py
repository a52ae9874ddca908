"""The API under /api/v1/ and the API keys page of a workspace, included from syncapp/urls.py."""

from django.urls import URLPattern, URLResolver, include, path

from syncapp.api import views
from syncapp.api.api import api


def _without_login(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    """API views answer bearer keys (or nobody), never a login redirect: exempt them from
    LoginRequiredMiddleware. The OpenAPI document is public, as Hightouch's is."""
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback.login_required = False
    return patterns


_api_patterns, _api_app, _api_namespace = api.urls

urlpatterns = [
    path("api/v1/", include((_without_login(_api_patterns), _api_app), namespace=_api_namespace)),
    path("w/<slug:workspace_slug>/api-keys/", views.api_keys, name="api_keys"),
    path(
        "w/<slug:workspace_slug>/api-keys/<int:api_key_id>/revoke/",
        views.api_key_revoke,
        name="api_key_revoke",
    ),
]

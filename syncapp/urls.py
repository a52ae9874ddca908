from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from syncapp import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("healthz", views.healthz, name="healthz"),
    path("w/<slug:workspace_slug>/", views.workspace_home, name="workspace_home"),
    path("w/<slug:workspace_slug>/people/", views.people, name="people"),
    path(
        "w/<slug:workspace_slug>/people/<int:membership_id>/", views.membership_edit, name="membership_edit"
    ),
    path(
        "w/<slug:workspace_slug>/people/<int:membership_id>/remove/",
        views.membership_remove_view,
        name="membership_remove",
    ),
    path("w/<slug:workspace_slug>/", include("syncs.urls")),
    path("w/<slug:workspace_slug>/", include("models_catalog.urls")),
    path("w/<slug:workspace_slug>/", include("destinations.urls")),
    path("admin/", admin.site.urls),
    path("", include("syncapp.api.urls")),
]

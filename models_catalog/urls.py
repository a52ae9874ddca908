from django.urls import path

from models_catalog import views

# Included under w/<slug:workspace_slug>/.
urlpatterns = [
    path("sources/new/", views.source_create, name="source_create"),
    path("sources/<int:source_id>/", views.source_edit, name="source_edit"),
    path("models/new/", views.model_create, name="model_create"),
    path("models/<int:model_id>/", views.model_edit, name="model_edit"),
]

from django.urls import path

from destinations import views

# Included under w/<slug:workspace_slug>/.
urlpatterns = [
    path("destinations/new/", views.destination_create, name="destination_create"),
    path("destinations/<int:destination_id>/", views.destination_edit, name="destination_edit"),
]

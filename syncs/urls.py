from django.urls import path

from syncs import views

# Included under w/<slug:workspace_slug>/.
urlpatterns = [
    path("syncs/", views.sync_list, name="sync_list"),
    path("syncs/new/", views.sync_create, name="sync_create"),
    path("syncs/bulk/", views.sync_bulk, name="sync_bulk"),
    path("syncs/<int:sync_id>/", views.sync_detail, name="sync_detail"),
    path("syncs/<int:sync_id>/edit/", views.sync_edit, name="sync_edit"),
    path("syncs/<int:sync_id>/run/", views.sync_run, name="sync_run"),
    path("syncs/<int:sync_id>/resync/", views.sync_resync, name="sync_resync"),
    path("syncs/<int:sync_id>/enabled/", views.sync_set_enabled, name="sync_set_enabled"),
    path("syncs/<int:sync_id>/folder/", views.sync_move, name="sync_move"),
    path("syncs/<int:sync_id>/labels/", views.sync_labels, name="sync_labels"),
    path("syncs/<int:sync_id>/delete/", views.sync_delete, name="sync_delete"),
    path("runs/<int:run_id>/", views.run_detail, name="run_detail"),
    path("runs/<int:run_id>/cancel/", views.run_cancel, name="run_cancel"),
    path("runs/<int:run_id>/rejected.csv", views.run_rejected_csv, name="run_rejected_csv"),
    path("folders/new/", views.folder_create, name="folder_create"),
    path("folders/<int:folder_id>/delete/", views.folder_delete, name="folder_delete"),
]

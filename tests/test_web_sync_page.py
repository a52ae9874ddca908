"""The sync page and its actions, the run page, and who may use them."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from syncs.models import Folder, Label, RejectedRow, RunStatus, Sync, SyncRun
from syncs.sync_services import LABEL_COLOURS
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def sync(world) -> Sync:
    return factories.SyncFactory(
        workspace=world.acme,
        name="Customers to NetSuite",
        created_by=world.alice,
        config={
            "object": "customer",
            "mode": "mirror",
            "mappings": [
                {"from": "name", "to": "companyName"},
                {"constant": "true", "to": "isPerson"},
                {"template": "{{ city | upcase }}", "to": "comments"},
            ],
        },
        schedule_kind="interval",
        interval_every=15,
        interval_unit="minutes",
    )


def url(name: str, *args) -> str:
    return reverse(name, args=["acme", *args])


def finished_run(sync: Sync, **fields) -> SyncRun:
    started = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    values = {
        "status": RunStatus.SUCCESS,
        "started_at": started,
        "querying_at": started,
        "preparing_at": started + timedelta(seconds=2),
        "queued_at": started + timedelta(seconds=3),
        "writing_at": started + timedelta(seconds=4),
        "finished_at": started + timedelta(seconds=65),
        "query_size": 1200,
        "planned_added": 100,
        "successful_added": 98,
        "failed_added": 2,
        "planned_changed": 7,
        "successful_changed": 7,
        "planned_removed": 3,
        "successful_removed": 3,
        "completion_ratio": 1.0,
    }
    return factories.SyncRunFactory(sync=sync, **(values | fields))


# ---------------------------------------------------------------------------------------- the page


def test_the_sync_page_links_its_model_and_destination_and_shows_its_configuration(client, world, sync):
    client.force_login(world.alice)
    page = client.get(url("sync_detail", sync.pk)).content.decode()

    assert f'href="{url("model_edit", sync.model_id)}"' in page
    assert f'href="{url("destination_edit", sync.destination_id)}"' in page
    assert "<code>customer</code>" in page and "Mirror" in page
    assert "Every 15 minutes" in page
    assert "column <code>name</code>" in page and "<code>companyName</code>" in page
    assert "constant <code>true</code>" in page
    assert "template <code>{{ city | upcase }}</code>" in page


def test_the_run_history_shows_status_trigger_start_duration_query_size_and_counts(client, world, sync):
    run = finished_run(sync)
    client.force_login(world.alice)
    page = client.get(url("sync_detail", sync.pk)).content.decode()

    assert f'href="{url("run_detail", run.pk)}"' in page
    assert ">Success<" in page and "Manual" in page
    assert "2026-03-01 09:00:00 UTC" in page
    assert "1 min 5 s" in page  # the duration
    assert '<td class="num">1200</td>' in page
    assert '<td class="num">100</td><td class="num">98</td><td class="num failed">2</td>' in page
    assert '<td class="num">7</td><td class="num">7</td><td class="num">0</td>' in page


def test_the_chart_draws_a_bar_of_rows_written_and_a_point_of_duration_per_run(client, world, sync):
    for written, seconds in ((10, 30), (40, 60), (20, 90)):
        finished_run(
            sync,
            successful_added=written,
            finished_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC) + timedelta(seconds=seconds),
        )
    client.force_login(world.alice)
    page = client.get(url("sync_detail", sync.pk)).content.decode()

    assert '<svg viewBox="' in page and 'role="img"' in page
    assert page.count('class="bar bar-success"') == 3
    assert page.count('class="dot"') == 3
    assert "<polyline points=" in page
    assert "50 rows written in 1 min 0 s" in page  # 40 added, 7 changed and 3 removed, in a minute
    assert "The last 3 runs, oldest first" in page


def test_times_on_the_sync_and_run_pages_show_in_the_users_timezone(client, world, sync):
    run = finished_run(sync)
    Sync.objects.filter(pk=sync.pk).update(created_at=datetime(2026, 1, 15, 12, 30, tzinfo=UTC))
    world.alice.timezone = "America/New_York"
    world.alice.save()
    client.force_login(world.alice)

    sync_page = client.get(url("sync_detail", sync.pk)).content.decode()
    run_page = client.get(url("run_detail", run.pk)).content.decode()

    assert "2026-01-15 07:30 EST" in sync_page
    assert "2026-03-01 04:00:00 EST" in sync_page
    assert "2026-03-01 04:00:00 EST" in run_page and "2026-03-01 04:01:05 EST" in run_page


# ---------------------------------------------------------------------------------------- actions


def test_run_starts_a_manual_run_and_the_page_then_offers_cancel(client, world, sync):
    client.force_login(world.bob)
    response = client.post(url("sync_run", sync.pk), follow=True)

    run = SyncRun.objects.get(sync=sync)
    assert (run.trigger, run.full_resync, run.created_by, run.status) == (
        "manual",
        False,
        world.bob,
        "pending",
    )
    page = response.content.decode()
    assert "The run has started." in page
    assert f'action="{url("run_cancel", run.pk)}"' in page and "Cancel run" in page
    assert f'action="{url("sync_run", sync.pk)}"' not in page


def test_a_disabled_sync_is_not_run_and_the_page_says_why(client, world, sync):
    Sync.objects.filter(pk=sync.pk).update(enabled=False)
    client.force_login(world.alice)
    response = client.post(url("sync_run", sync.pk), follow=True)
    assert not SyncRun.objects.exists()
    assert "is disabled: enable it to run it" in response.content.decode()


def test_cancel_stops_the_active_run(client, world, sync):
    run = factories.SyncRunFactory(sync=sync, status=RunStatus.IN_PROGRESS)
    client.force_login(world.alice)

    response = client.post(url("run_cancel", run.pk), {"next": url("sync_detail", sync.pk)}, follow=True)

    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and run.error_message == "Cancelled by a user."
    assert response.redirect_chain[-1][0] == url("sync_detail", sync.pk)
    assert "The run is cancelled." in response.content.decode()
    again = client.post(url("run_cancel", run.pk), follow=True)
    assert "The run had already ended." in again.content.decode()


def test_disable_and_enable_toggle_the_sync(client, world, sync):
    client.force_login(world.alice)
    page = client.post(url("sync_set_enabled", sync.pk), {"enabled": "false"}, follow=True).content.decode()
    sync.refresh_from_db()
    assert not sync.enabled
    assert "is disabled." in page and ">Disabled<" in page and ">Enable</button>" in page

    client.post(url("sync_set_enabled", sync.pk), {"enabled": "true"})
    sync.refresh_from_db()
    assert sync.enabled


def test_move_to_folder_files_the_sync_and_no_folder_takes_it_out(client, world, sync):
    folder = factories.FolderFactory(workspace=world.acme, name="Finance")
    client.force_login(world.alice)

    client.post(url("sync_move", sync.pk), {"folder": folder.pk})
    sync.refresh_from_db()
    assert sync.folder == folder
    client.post(url("sync_move", sync.pk), {"folder": ""})
    sync.refresh_from_db()
    assert sync.folder is None


def test_a_folder_of_another_workspace_is_refused_beside_the_field(client, world, sync):
    theirs = factories.FolderFactory(workspace=world.globex)
    client.force_login(world.alice)
    response = client.post(url("sync_move", sync.pk), {"folder": theirs.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    sync.refresh_from_db()
    assert sync.folder is None


def test_edit_labels_sets_the_chosen_labels_and_makes_new_ones(client, world, sync):
    finance = factories.LabelFactory(workspace=world.acme, name="finance")
    stale = factories.LabelFactory(workspace=world.acme, name="stale")
    sync.labels.add(stale)
    client.force_login(world.alice)

    response = client.post(url("sync_labels", sync.pk), {"labels": [finance.pk], "new_labels": "nightly, eu"})

    assert response.status_code == 302
    assert sorted(sync.labels.values_list("name", flat=True)) == ["eu", "finance", "nightly"]
    colours = dict(Label.objects.filter(name__in=["nightly", "eu"]).values_list("name", "colour"))
    assert colours["nightly"] in LABEL_COLOURS and colours["eu"] in LABEL_COLOURS  # not all the same grey
    page = client.get(url("sync_detail", sync.pk)).content.decode()
    assert ">nightly</span>" in page


def test_resync_explains_itself_before_it_starts_a_full_resync(client, world, sync):
    client.force_login(world.alice)
    confirmation = client.get(url("sync_resync", sync.pk)).content.decode()
    assert "Resync full query results?" in confirmation
    assert "forgets what it sent before and sends every row" in confirmation
    assert not SyncRun.objects.exists()

    client.post(url("sync_resync", sync.pk))
    assert SyncRun.objects.get(sync=sync).full_resync


def test_the_confirmation_comes_as_a_dialog_for_htmx(client, world, sync):
    client.force_login(world.alice)
    response = client.get(url("sync_delete", sync.pk), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and "Delete Customers to NetSuite?" in body
    assert f'action="{url("sync_delete", sync.pk)}"' in body


def test_delete_asks_first_then_deletes_the_sync_and_its_runs(client, world, sync):
    finished_run(sync)
    client.force_login(world.alice)
    confirmation = client.get(url("sync_delete", sync.pk)).content.decode()
    assert "This cannot be undone." in confirmation
    assert Sync.objects.filter(pk=sync.pk).exists()

    response = client.post(url("sync_delete", sync.pk), follow=True)

    assert not Sync.objects.filter(pk=sync.pk).exists() and not SyncRun.objects.exists()
    assert response.redirect_chain[-1][0] == reverse("sync_list", args=["acme"])
    assert "Customers to NetSuite is deleted." in response.content.decode()


def test_deleting_a_sync_cancels_its_active_run_first(client, world, sync):
    factories.SyncRunFactory(sync=sync, status=RunStatus.QUERYING)
    client.force_login(world.alice)
    client.post(url("sync_delete", sync.pk))
    assert not Sync.objects.filter(pk=sync.pk).exists()


def test_folders_are_made_and_deleted_with_their_syncs_kept(client, world, sync):
    client.force_login(world.alice)
    client.post(url("folder_create"), {"name": "Finance"})
    finance = Folder.objects.get(name="Finance")
    client.post(url("folder_create"), {"name": "Invoices", "parent": finance.pk})
    duplicate = client.post(url("folder_create"), {"name": "Finance"})
    assert "A folder of this name is already there." in duplicate.content.decode()
    Sync.objects.filter(pk=sync.pk).update(folder=Folder.objects.get(name="Invoices"))

    client.post(url("folder_delete", finance.pk))

    assert not Folder.objects.exists()
    sync.refresh_from_db()
    assert sync.folder is None


def test_the_live_part_of_the_sync_page_polls_while_a_run_is_active_and_then_stops(client, world, sync):
    run = factories.SyncRunFactory(sync=sync, status=RunStatus.IN_PROGRESS, completion_ratio=0.4)
    client.force_login(world.alice)
    poll = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "sync-live"}

    assert 'id="sync-live" hx-get=' in client.get(url("sync_detail", sync.pk)).content.decode()
    active = client.get(url("sync_detail", sync.pk), **poll)
    assert active.status_code == 200 and "(40%)" in active.content.decode()
    assert 'id="run-history"' in active.content.decode()

    SyncRun.objects.filter(pk=run.pk).update(status=RunStatus.SUCCESS)
    done = client.get(url("sync_detail", sync.pk), **poll)
    assert done.status_code == 286 and ">Healthy<" in done.content.decode()


# ---------------------------------------------------------------------------------------- the run page


def test_the_run_page_shows_phases_counts_and_duration(client, world, sync):
    run = finished_run(sync)
    client.force_login(world.alice)
    page = client.get(url("run_detail", run.pk)).content.decode()

    for phase, at in (("Querying", "09:00:00"), ("Preparing", "09:00:02"), ("Writing", "09:00:04")):
        assert f'<span class="phase-name">{phase}</span>' in page and f"2026-03-01 {at} UTC" in page
    assert "Query size: <strong>1200</strong>" in page
    assert '<th scope="row">Added</th><td class="num">100</td><td class="num">98</td>' in page
    assert "Took 1 min 5 s" in page
    assert "<progress" not in page


def test_the_run_page_shows_progress_while_running_and_polls_until_the_run_ends(client, world, sync):
    run = factories.SyncRunFactory(sync=sync, status=RunStatus.IN_PROGRESS, completion_ratio=0.25)
    client.force_login(world.alice)
    poll = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "run-live"}

    page = client.get(url("run_detail", run.pk)).content.decode()
    assert '<progress max="100" value="25"' in page and 'hx-trigger="every 2s"' in page
    assert client.get(url("run_detail", run.pk), **poll).status_code == 200

    SyncRun.objects.filter(pk=run.pk).update(
        status=RunStatus.FAILED, error_code="INVALID_LOGIN", error_message="The token was revoked."
    )
    ended = client.get(url("run_detail", run.pk), **poll)
    assert ended.status_code == 286
    assert "INVALID_LOGIN" in ended.content.decode() and "The token was revoked." in ended.content.decode()


def test_rejected_rows_are_paginated_and_downloadable_as_csv(client, world, sync):
    run = finished_run(sync, failed_added=60)
    RejectedRow.objects.bulk_create(
        RejectedRow(
            run=run,
            primary_key=str(n),
            change="added",
            error_code="INVALID_FLD_VALUE",
            error_message=f"Bad {n}",
        )
        for n in range(1, 61)
    )
    RejectedRow.objects.create(
        run=run, primary_key="=HYPERLINK(1)", change="changed", error_code="X", error_message="@x"
    )
    client.force_login(world.alice)

    first = client.get(url("run_detail", run.pk)).content.decode()
    second = client.get(url("run_detail", run.pk), {"page": 2}).content.decode()
    download = client.get(url("run_rejected_csv", run.pk))

    assert "<code>1</code>" in first and "Bad 50" in first and "Bad 51" not in first
    assert "Bad 51" in second and "Page 2 of 2" in second
    assert download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert rows[0] == ["primary_key", "change", "error_code", "error_message"]
    assert rows[1] == ["1", "added", "INVALID_FLD_VALUE", "Bad 1"]
    assert len(rows) == 62
    assert rows[-1] == ["'=HYPERLINK(1)", "changed", "X", "'@x"]  # never a formula in a spreadsheet


# ---------------------------------------------------------------------------------------- who may act

ACTIONS = [
    "sync_run",
    "sync_resync",
    "sync_set_enabled",
    "sync_move",
    "sync_labels",
    "sync_delete",
    "sync_edit",
]


@pytest.mark.parametrize("action", ACTIONS + ["run_cancel"])
def test_a_viewer_is_refused_every_action_by_the_server(client, world, sync, action):
    run = factories.SyncRunFactory(sync=sync, status=RunStatus.QUERYING)
    client.force_login(world.vera)
    target = url(action, run.pk) if action == "run_cancel" else url(action, sync.pk)

    assert client.post(target, {"enabled": "false", "folder": ""}).status_code == 403
    assert client.get(target).status_code == 403
    run.refresh_from_db()
    sync.refresh_from_db()
    assert run.status == RunStatus.QUERYING and sync.enabled and SyncRun.objects.count() == 1


def test_a_viewer_sees_the_sync_page_without_its_controls(client, world, sync):
    finished_run(sync)
    client.force_login(world.vera)
    page = client.get(url("sync_detail", sync.pk)).content.decode()
    assert "Customers to NetSuite" in page and "Run history" in page
    for control in (
        "sync_run",
        "sync_resync",
        "sync_set_enabled",
        "sync_move",
        "sync_labels",
        "sync_delete",
        "sync_edit",
    ):
        assert url(control, sync.pk) not in page


@pytest.mark.parametrize("action", ["sync_detail", *ACTIONS])
def test_charlie_gets_404_for_every_page_and_action_of_acmes_sync(client, world, sync, action):
    client.force_login(world.charlie)
    assert client.get(url(action, sync.pk)).status_code == 404
    assert client.post(url(action, sync.pk)).status_code == 404

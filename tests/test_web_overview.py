"""The Syncs overview: what each row shows, every filter, search, sorting, pages, live statuses,
bulk actions, who may use them, and a number of queries that does not grow with the syncs."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from syncs.models import RunStatus, Sync, SyncRun
from syncs.selectors import SyncStatus
from tests import factories

pytestmark = pytest.mark.django_db

# A sync in each status, by the latest run that puts it there (None: no run; "off": disabled).
STATUS_BY_RUN = {
    SyncStatus.DISABLED: "off",
    SyncStatus.PENDING: None,
    SyncStatus.QUERYING: RunStatus.QUERYING,
    SyncStatus.PREPARING: RunStatus.PREPARING,
    SyncStatus.QUEUED: RunStatus.PENDING,
    SyncStatus.IN_PROGRESS: RunStatus.IN_PROGRESS,
    SyncStatus.HEALTHY: RunStatus.WARNING,
    SyncStatus.INCOMPLETE: RunStatus.INCOMPLETE,
    SyncStatus.FAILED: RunStatus.FAILED,
    SyncStatus.ABORTED: RunStatus.CANCELLED,
}


def overview(workspace="acme") -> str:
    return reverse("sync_list", args=[workspace])


def names_on(response) -> list[str]:
    return [sync.name for sync in response.context["page"].rows]


def make_sync(workspace, name: str, *, run_status=None, **fields) -> Sync:
    sync = factories.SyncFactory(workspace=workspace, name=name, **fields)
    if run_status == "off":
        Sync.objects.filter(pk=sync.pk).update(enabled=False)
    elif run_status is not None:
        factories.SyncRunFactory(sync=sync, status=run_status)
    return sync


@pytest.fixture
def syncs_in_every_status(world) -> dict[str, Sync]:
    model = factories.ModelFactory(workspace=world.acme)
    destination = factories.DestinationFactory(workspace=world.acme)
    return {
        status: make_sync(
            world.acme, f"{status.label} sync", run_status=run, model=model, destination=destination
        )
        for status, run in STATUS_BY_RUN.items()
    }


def test_each_row_shows_status_model_destination_last_run_created_date_and_creator(client, world):
    sync = factories.SyncFactory(workspace=world.acme, name="Customers to NetSuite", created_by=world.bob)
    Sync.objects.filter(pk=sync.pk).update(created_at=datetime(2026, 1, 15, 12, 30, tzinfo=UTC))
    run = factories.SyncRunFactory(sync=sync, status=RunStatus.SUCCESS)
    SyncRun.objects.filter(pk=run.pk).update(created_at=datetime(2026, 2, 1, 8, 5, tzinfo=UTC))
    client.force_login(world.alice)

    page = client.get(overview()).content.decode()

    assert "Customers to NetSuite" in page
    assert 'class="badge badge-healthy"' in page and ">Healthy<" in page
    assert "The last run completed." in page  # the status's meaning, on hover
    assert sync.model.name in page
    assert f'{sync.destination.name}</a> <span class="muted">NetSuite</span>' in page
    assert "2026-02-01 08:05 UTC" in page  # the last run
    assert "2026-01-15" in page and "by bob" in page


def test_times_on_the_overview_show_in_the_users_timezone(client, world):
    sync = factories.SyncFactory(workspace=world.acme)
    run = factories.SyncRunFactory(sync=sync, status=RunStatus.SUCCESS)
    SyncRun.objects.filter(pk=run.pk).update(created_at=datetime(2026, 2, 1, 23, 30, tzinfo=UTC))
    world.alice.timezone = "Asia/Tokyo"
    world.alice.save()
    client.force_login(world.alice)

    page = client.get(overview()).content.decode()

    assert "2026-02-02 08:30 JST" in page
    assert "2026-02-01 23:30" not in page


@pytest.mark.parametrize("status", list(STATUS_BY_RUN))
def test_the_status_filter_shows_only_the_syncs_in_that_status(client, world, syncs_in_every_status, status):
    client.force_login(world.alice)
    response = client.get(overview(), {"status": status.value})
    assert names_on(response) == [syncs_in_every_status[status].name]


def test_the_destination_filter_shows_only_the_syncs_writing_there(client, world):
    netsuite_eu = factories.DestinationFactory(workspace=world.acme, name="NetSuite EU")
    netsuite_us = factories.DestinationFactory(workspace=world.acme, name="NetSuite US")
    factories.SyncFactory(workspace=world.acme, name="To EU", destination=netsuite_eu)
    factories.SyncFactory(workspace=world.acme, name="To US", destination=netsuite_us)
    client.force_login(world.alice)

    response = client.get(overview(), {"destination": netsuite_eu.pk})

    assert names_on(response) == ["To EU"]
    assert "NetSuite EU (NetSuite)" in response.content.decode()  # offered as a filter, with its type


def test_the_model_filter_shows_only_the_syncs_of_that_model(client, world):
    customers = factories.ModelFactory(workspace=world.acme, name="Customers")
    items = factories.ModelFactory(workspace=world.acme, name="Items")
    factories.SyncFactory(workspace=world.acme, name="Customers sync", model=customers)
    factories.SyncFactory(workspace=world.acme, name="Items sync", model=items)
    client.force_login(world.alice)
    assert names_on(client.get(overview(), {"model": items.pk})) == ["Items sync"]


def test_the_label_filter_shows_only_the_syncs_with_that_label(client, world):
    finance = factories.LabelFactory(workspace=world.acme, name="finance")
    labelled = factories.SyncFactory(workspace=world.acme, name="Labelled")
    labelled.labels.add(finance, factories.LabelFactory(workspace=world.acme, name="nightly"))
    factories.SyncFactory(workspace=world.acme, name="Unlabelled")
    client.force_login(world.alice)

    response = client.get(overview(), {"label": finance.pk})

    assert names_on(response) == ["Labelled"]
    page = response.content.decode()
    assert ">finance</span>" in page and ">nightly</span>" in page  # every label of the row


def test_the_folder_filter_shows_the_folders_syncs_and_its_subfolders(client, world):
    finance = factories.FolderFactory(workspace=world.acme, name="Finance")
    invoices = factories.FolderFactory(workspace=world.acme, name="Invoices", parent=finance)
    factories.SyncFactory(workspace=world.acme, name="In finance", folder=finance)
    factories.SyncFactory(workspace=world.acme, name="In invoices", folder=invoices)
    factories.SyncFactory(workspace=world.acme, name="Nowhere")
    client.force_login(world.alice)

    assert names_on(client.get(overview(), {"folder": finance.pk})) == ["In finance", "In invoices"]
    assert names_on(client.get(overview(), {"folder": invoices.pk})) == ["In invoices"]
    assert names_on(client.get(overview(), {"folder": "none"})) == ["Nowhere"]
    page = client.get(overview()).content.decode()
    assert 'Finance</span> <span class="count" aria-label="2 syncs">2</span>' in page  # beside the table


def test_filters_combine_and_invalid_ones_are_ignored(client, world, syncs_in_every_status):
    client.force_login(world.alice)
    response = client.get(overview(), {"status": "failed", "q": "fail", "model": "not-a-number"})
    assert names_on(response) == ["Failed sync"]


def test_the_search_finds_syncs_by_part_of_their_name(client, world):
    for name in ("Customers to NetSuite", "Vendors to NetSuite", "Items nightly"):
        factories.SyncFactory(workspace=world.acme, name=name)
    client.force_login(world.alice)
    assert names_on(client.get(overview(), {"q": "netsuite"})) == [
        "Customers to NetSuite",
        "Vendors to NetSuite",
    ]


def test_syncs_sort_by_name_by_last_run_and_by_creation(client, world):
    now = timezone.now()
    older = factories.SyncFactory(workspace=world.acme, name="B older run")
    newer = factories.SyncFactory(workspace=world.acme, name="C newer run")
    factories.SyncFactory(workspace=world.acme, name="A never ran")
    for sync, minutes in ((older, 60), (newer, 5)):
        run = factories.SyncRunFactory(sync=sync, status=RunStatus.SUCCESS)
        SyncRun.objects.filter(pk=run.pk).update(created_at=now - timezone.timedelta(minutes=minutes))
    client.force_login(world.alice)

    assert names_on(client.get(overview())) == ["A never ran", "B older run", "C newer run"]
    assert names_on(client.get(overview(), {"sort": "-name"})) == [
        "C newer run",
        "B older run",
        "A never ran",
    ]
    assert names_on(client.get(overview(), {"sort": "last_run"})) == [
        "C newer run",
        "B older run",
        "A never ran",
    ]
    assert names_on(client.get(overview(), {"sort": "created"})) == [
        "A never ran",
        "C newer run",
        "B older run",
    ]


def test_the_overview_shows_fifty_syncs_a_page(client, world):
    model = factories.ModelFactory(workspace=world.acme)
    destination = factories.DestinationFactory(workspace=world.acme)
    Sync.objects.bulk_create(
        Sync(workspace=world.acme, name=f"Sync {n:03}", slug=f"s-{n}", model=model, destination=destination)
        for n in range(1, 121)
    )
    client.force_login(world.alice)

    first = client.get(overview())
    third = client.get(overview(), {"page": 3})
    beyond = client.get(overview(), {"page": 99})

    assert names_on(first)[0] == "Sync 001" and len(names_on(first)) == 50
    assert "Showing 1–50 of 120 syncs" in first.content.decode()
    assert names_on(third) == [f"Sync {n:03}" for n in range(101, 121)]
    assert "Page 3 of 3" in third.content.decode()
    assert names_on(beyond) == names_on(third)  # past the end: the last page


def test_the_overview_polls_while_a_run_is_active_and_stops_with_286_when_none_is(client, world):
    sync = factories.SyncFactory(workspace=world.acme)
    run = factories.SyncRunFactory(sync=sync, status=RunStatus.QUERYING)
    client.force_login(world.alice)
    poll = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "sync-statuses"}

    page = client.get(overview()).content.decode()
    assert 'hx-trigger="every 2s"' in page
    active = client.get(overview(), **poll)
    assert active.status_code == 200
    assert f'<span id="sync-{sync.pk}-status" hx-swap-oob="true">' in active.content.decode()
    assert ">Querying<" in active.content.decode()

    SyncRun.objects.filter(pk=run.pk).update(status=RunStatus.SUCCESS, finished_at=timezone.now())
    finished = client.get(overview(), **poll)
    assert finished.status_code == 286  # htmx stops polling, and shows the final status
    assert ">Healthy<" in finished.content.decode()
    assert 'hx-trigger="every 2s"' not in client.get(overview()).content.decode()


def test_bulk_enable_and_disable_change_only_the_selected_syncs(client, world):
    first, second, third = (factories.SyncFactory(workspace=world.acme) for _ in range(3))
    client.force_login(world.bob)

    response = client.post(
        reverse("sync_bulk", args=["acme"]),
        {"action": "disable", "syncs": [first.pk, second.pk], "next": overview() + "?q=Sync"},
    )

    assert response.status_code == 302 and response["Location"] == overview() + "?q=Sync"
    assert list(Sync.objects.order_by("pk").values_list("enabled", flat=True)) == [False, False, True]
    client.post(reverse("sync_bulk", args=["acme"]), {"action": "enable", "syncs": [second.pk, third.pk]})
    assert list(Sync.objects.order_by("pk").values_list("enabled", flat=True)) == [False, True, True]


def test_bulk_run_starts_a_manual_run_of_each_enabled_sync_and_skips_disabled_ones(client, world):
    enabled = factories.SyncFactory(workspace=world.acme)
    disabled = factories.SyncFactory(workspace=world.acme, enabled=False)
    client.force_login(world.bob)

    response = client.post(
        reverse("sync_bulk", args=["acme"]),
        {"action": "run", "syncs": [enabled.pk, disabled.pk]},
        follow=True,
    )

    run = SyncRun.objects.get()
    assert (run.sync, run.trigger, run.created_by, run.status) == (
        enabled,
        "manual",
        world.bob,
        RunStatus.PENDING,
    )
    assert "1 run started. 1 disabled sync was skipped." in response.content.decode()


def test_bulk_actions_refuse_another_workspaces_syncs(client, world):
    theirs = factories.SyncFactory(workspace=world.globex)
    client.force_login(world.alice)
    response = client.post(
        reverse("sync_bulk", args=["acme"]), {"action": "disable", "syncs": [theirs.pk]}, follow=True
    )
    theirs.refresh_from_db()
    assert theirs.enabled
    assert "Select a valid choice" in response.content.decode()


def test_a_viewer_sees_no_bulk_or_create_controls_and_is_refused_by_the_server(client, world):
    sync = factories.SyncFactory(workspace=world.acme)
    client.force_login(world.vera)

    page = client.get(overview()).content.decode()
    response = client.post(reverse("sync_bulk", args=["acme"]), {"action": "disable", "syncs": [sync.pk]})

    assert sync.name in page
    assert 'name="syncs"' not in page and "With selected" not in page and "New sync" not in page
    assert response.status_code == 403
    sync.refresh_from_db()
    assert sync.enabled


def test_charlie_gets_404_for_acmes_overview(client, world):
    client.force_login(world.charlie)
    assert client.get(overview()).status_code == 404
    assert client.post(reverse("sync_bulk", args=["acme"]), {"action": "run"}).status_code == 404


def fill_workspace(workspace, count: int, creator) -> None:
    """`count` syncs over a few models, destinations, folders and labels, most with runs."""
    models = [factories.ModelFactory(workspace=workspace) for _ in range(3)]
    destinations = [factories.DestinationFactory(workspace=workspace) for _ in range(2)]
    parent = factories.FolderFactory(workspace=workspace)
    folders = [parent, factories.FolderFactory(workspace=workspace, parent=parent)]
    labels = [factories.LabelFactory(workspace=workspace) for _ in range(3)]
    syncs = Sync.objects.bulk_create(
        Sync(
            workspace=workspace,
            name=f"Sync {n:05}",
            slug=f"sync-{n}",
            model=models[n % 3],
            destination=destinations[n % 2],
            folder=folders[n % 2] if n % 3 else None,
            enabled=n % 7 != 0,
            created_by=creator,
            config={"object": "customer", "mode": "upsert", "mappings": []},
        )
        for n in range(count)
    )
    statuses = [RunStatus.SUCCESS, RunStatus.FAILED, RunStatus.QUERYING, RunStatus.WARNING]
    SyncRun.objects.bulk_create(
        SyncRun(sync=sync, trigger="manual", status=statuses[n % 4]) for n, sync in enumerate(syncs) if n % 5
    )
    Sync.labels.through.objects.bulk_create(
        Sync.labels.through(sync_id=sync.pk, label_id=labels[n % 3].pk) for n, sync in enumerate(syncs)
    )


def test_an_overview_page_takes_at_most_ten_queries_however_many_syncs_there_are(
    client, world, django_assert_max_num_queries, django_assert_num_queries
):
    fill_workspace(world.globex, 3, creator=world.charlie)
    fill_workspace(world.acme, 2000, creator=world.alice)
    client.force_login(world.charlie)

    with django_assert_max_num_queries(10) as few:
        response = client.get(overview("globex"))
    assert len(response.context["page"].rows) == 3

    client.force_login(world.alice)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(overview("acme"), {"status": "healthy", "sort": "last_run"})
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(overview("acme"))
    assert len(response.context["page"].rows) == 50
    assert "of 2000 syncs" in response.content.decode()

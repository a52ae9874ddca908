"""A new user's first sync, in a real browser: headless Chromium (Debian's package) driven by
Playwright against the live app, a real Celery worker and the NetSuite sandbox.

Each page the walk passes is saved as a screenshot under test-artifacts/. In CI (CI=true) the
browser must be there; elsewhere the test is skipped without it.
"""

import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

from syncapp.management.commands.seed_demo import build_warehouse
from syncapp.models import Role
from tests import factories
from tests.conftest import needs_service

pytestmark = pytest.mark.django_db(transaction=True)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CUSTOMERS = 40
ACTIVE = {"Pending", "Queued", "Querying", "Preparing", "In progress"}


@pytest.fixture
def browser_page(monkeypatch) -> Iterator:
    needs_service(f"Chromium ({CHROMIUM})", Path(CHROMIUM).exists() or bool(shutil.which("chromium")))
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        needs_service("playwright (pip install -e '.[dev]')", False)
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are
    # synchronous code between browser steps, which Django would otherwise refuse in that loop.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=CHROMIUM_ARGS,
        )
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.set_default_timeout(30_000)
        yield page
        browser.close()
        # The test's ORM calls ran while Playwright's loop was running, so their connection lives in
        # that context's storage: close it here, or PostgreSQL cannot drop the test database.
        connections.close_all()


def shot(page, name: str) -> None:
    page.screenshot(path=ARTIFACTS / f"new-user-{name}.png", full_page=True)


def test_a_new_user_builds_a_sync_runs_it_and_finds_the_records_in_netsuite(
    browser_page, live_server, settings, tmp_path, celery_worker_factory, netsuite_sandbox, netsuite_account
):
    from playwright.sync_api import expect

    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # the live server speaks HTTP
    warehouse = tmp_path / "demo_warehouse.sqlite3"
    build_warehouse(warehouse, count=CUSTOMERS)
    factories.MembershipFactory(
        user__username="nina", workspace__name="Northwind", workspace__slug="northwind", role=Role.ADMIN
    )
    worker = celery_worker_factory(concurrency=2)
    page, base = browser_page, live_server.url

    # Log in: a new user lands on her empty workspace.
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("nina")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Northwind", level=1)).to_be_visible()
    expect(page.get_by_text("No sources yet.")).to_be_visible()
    shot(page, "01-home")

    # A source on the demo warehouse, its connection tested.
    page.get_by_role("link", name="New source").click()
    page.get_by_label("Name", exact=True).fill("Demo warehouse")
    page.get_by_label("Kind", exact=True).select_option(label="SQLite")
    page.get_by_label("Database", exact=True).fill(str(warehouse))
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#connection-result")).to_have_text("Connected.")
    shot(page, "02-source")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The source Demo warehouse is saved.")).to_be_visible()

    # A model, with its preview; the primary key chosen among the preview's columns.
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Home").click()
    page.get_by_role("link", name="New model").click()
    page.get_by_label("Name", exact=True).fill("Customers")
    page.get_by_label("Source", exact=True).select_option(label="Demo warehouse")
    page.get_by_label("SQL", exact=True).fill("SELECT * FROM customers")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text(f"The first {CUSTOMERS} rows of the query (11 columns).")).to_be_visible()
    expect(page.locator(".preview-table th", has_text="company_name")).to_be_visible()
    page.get_by_label("Primary key", exact=True).select_option("id")
    shot(page, "03-model")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The model Customers is saved.")).to_be_visible()

    # A NetSuite destination on the sandbox, its connection tested before it is saved.
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Home").click()
    page.get_by_role("link", name="New destination").click()
    page.get_by_label("Name", exact=True).fill("NetSuite sandbox")
    page.get_by_label("Account ID", exact=True).fill(netsuite_account["account_id"])
    for name, label in (
        ("consumer_key", "Consumer key"),
        ("consumer_secret", "Consumer secret"),
        ("token_id", "Token ID"),
        ("token_secret", "Token secret"),
    ):
        page.get_by_label(label, exact=True).fill(netsuite_account[name])
    page.get_by_text("Advanced settings").click()
    page.get_by_label("Base URL", exact=True).fill(netsuite_account["base_url"])
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#connection-result")).to_have_text("Connected to NetSuite.")
    shot(page, "04-destination")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The destination NetSuite sandbox is saved.")).to_be_visible()
    assert netsuite_account["token_secret"] not in page.content()  # write-only

    # A sync: model → destination → object and mode → mappings → schedule → name.
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Syncs").click()
    page.get_by_role("link", name="New sync").first.click()
    page.get_by_label("Model", exact=True).select_option(label="Customers")
    expect(page.get_by_text("Columns of the model:")).to_be_visible()
    page.get_by_label("Destination", exact=True).select_option(label="NetSuite sandbox")
    page.get_by_label("Destination object", exact=True).select_option("customer")
    expect(page.get_by_label("Row 1: to field")).to_have_value("companyName")  # matched by name
    rows = page.locator(".mapping-table tbody tr")
    matched = rows.count()
    page.get_by_role("button", name="Add a mapping").click()
    expect(rows).to_have_count(matched + 1)
    last = rows.last
    last.get_by_label(re.compile("from$")).select_option("template")
    last.get_by_label(re.compile("constant or template$")).fill("{{ city | upcase }}, {{ country }}")
    last.get_by_label(re.compile("to field$")).select_option("comments")
    page.get_by_label("Name", exact=True).fill("Customers to NetSuite")
    shot(page, "05-sync-builder")
    page.get_by_role("button", name="Create the sync").click()
    expect(page.get_by_role("heading", name="Customers to NetSuite", level=1)).to_be_visible()
    shot(page, "06-sync")

    # Run it, then watch the overview: the status goes through the run's phases to Healthy, live.
    netsuite_sandbox.set_behaviour(
        latency_ms=1500,
        reject=[{"record_type": "customer", "field": "email", "pattern": r"\d*7@", "code": "INVALID_EMAIL"}],
    )
    page.get_by_role("button", name="Run", exact=True).click()
    expect(page.get_by_text("The run has started.")).to_be_visible()
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Syncs").click()
    page.evaluate(
        """() => {
            window.notReloaded = true;
            window.statuses = [document.querySelector("[id$='-status']").innerText];
            new MutationObserver(() => {
                const text = document.querySelector("[id$='-status']").innerText;
                if (window.statuses[window.statuses.length - 1] !== text) window.statuses.push(text);
            }).observe(
                document.querySelector(".sync-table tbody"),
                {subtree: true, childList: true, characterData: true},
            );
        }"""
    )
    expect(page.locator(".sync-table .badge").first).to_have_text(
        re.compile("Querying|Preparing|In progress")
    )
    shot(page, "07-overview-running")
    expect(page.locator(".sync-table .badge").first).to_have_text("Healthy", timeout=120_000)
    shot(page, "08-overview-healthy")
    statuses = page.evaluate("window.statuses")
    assert page.evaluate("window.notReloaded"), "the overview was reloaded"
    assert statuses[-1] == "Healthy" and set(statuses[:-1]) <= ACTIVE and len(statuses) >= 3, statuses
    assert "Querying" in statuses or "Preparing" in statuses, statuses
    assert "In progress" in statuses, statuses

    # The run's page: its counts, and the row NetSuite refused.
    page.locator(".sync-table").get_by_role("link", name=re.compile(r"\d{4}-\d\d-\d\d")).click()
    expect(page.get_by_role("heading", name=re.compile(r"Run \d+"))).to_be_visible()
    rejected = len([n for n in range(1, CUSTOMERS + 1) if n % 10 == 7])  # emails end in <id>@
    written = CUSTOMERS - rejected
    counts = page.locator("table.counts tr", has_text="Added")
    expect(counts).to_have_text(re.compile(rf"Added\s*{CUSTOMERS}\s*{written}\s*{rejected}"))
    expect(page.locator("table", has_text="Primary key").get_by_text("INVALID_EMAIL").first).to_be_visible()
    shot(page, "09-run")

    # And the records are in NetSuite.
    records = {
        r["externalId"]: r for r in netsuite_sandbox.records(netsuite_account["account_id"], "customer")
    }
    assert len(records) == written
    with sqlite3.connect(warehouse) as db:
        company, city, country = db.execute(
            "SELECT company_name, city, country FROM customers WHERE id = 1"
        ).fetchone()
    assert records["1"]["fields"]["companyName"] == company
    assert records["1"]["fields"]["comments"] == f"{city.upper()}, {country}"
    assert "Traceback" not in worker.output()

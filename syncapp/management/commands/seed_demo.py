"""Seed the demo workspace that `make run` shows a newcomer. Running it again changes nothing."""

import json
import os
import random
import secrets
import sqlite3
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from destinations.models import Destination
from models_catalog.models import Model, Source, SourceKind
from syncapp.models import Membership, Role, User, Workspace
from syncs.models import Folder, IntervalUnit, Label, ScheduleKind, Sync

DEMO_USERNAME = "demo"
# Where `make run` starts the NetSuite sandbox (Procfile).
SANDBOX_URL = f"http://127.0.0.1:{os.environ.get('SYNCAPP_SANDBOX_PORT', '8765')}"
SANDBOX_ACCOUNT = "1234567_SB1"
CUSTOMER_COUNT = 5000
FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Tim"]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Hamilton",
    "Berners",
]
WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Soylent", "Hooli", "Vandelay"]
SUFFIXES = ["Ltd", "Inc", "GmbH", "SA", "BV", "LLC"]
CITIES = [
    ("Paris", "FR"),
    ("Berlin", "DE"),
    ("Austin", "US"),
    ("Toronto", "CA"),
    ("Leeds", "GB"),
    ("Lyon", "FR"),
]


def build_warehouse(path: Path, count: int = CUSTOMER_COUNT) -> None:
    """A sample warehouse: one `customers` table, the same rows every time."""
    rng = random.Random(20231)
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute(
            """CREATE TABLE IF NOT EXISTS customers (
                id INTEGER PRIMARY KEY, company_name TEXT NOT NULL, first_name TEXT, last_name TEXT,
                email TEXT, phone TEXT, city TEXT, country TEXT, is_active INTEGER NOT NULL,
                credit_limit NUMERIC, signup_date TEXT)"""
        )
        if db.execute("SELECT count(*) FROM customers").fetchone()[0]:
            return
        rows = []
        for customer_id in range(1, count + 1):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(SUFFIXES)}"
            city, country = rng.choice(CITIES)
            signup = date(2020, 1, 1) + timedelta(days=rng.randrange(1800))
            rows.append(
                (
                    customer_id,
                    company,
                    first,
                    last,
                    f"{first.lower()}.{last.lower()}{customer_id}@example.com",
                    f"+1-555-{rng.randrange(10**7):07d}",
                    city,
                    country,
                    int(rng.random() > 0.1),
                    rng.choice([1000, 5000, 10000, 25000]),
                    signup.isoformat(),
                )
            )
        db.executemany("INSERT INTO customers VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)


class Command(BaseCommand):
    help = "Create the demo workspace, its user and its sample warehouse, if they are not there yet."

    def handle(self, *args, **options) -> None:
        warehouse = Path(settings.FILE_SOURCES_DIRS[0]) / "demo.sqlite3"
        build_warehouse(warehouse)
        password = self._demo_password()
        credentials = self._sandbox_credentials()
        with transaction.atomic():
            workspace, _ = Workspace.objects.get_or_create(slug="demo", defaults={"name": "Demo"})
            user, created = User.objects.get_or_create(username=DEMO_USERNAME, defaults={"timezone": "UTC"})
            if created:
                user.set_password(password)
                user.save()
            Membership.objects.get_or_create(user=user, workspace=workspace, defaults={"role": Role.ADMIN})
            source, _ = Source.objects.get_or_create(
                workspace=workspace,
                name="Demo warehouse",
                defaults={"kind": SourceKind.SQLITE, "database": str(warehouse), "created_by": user},
            )
            destination, _ = Destination.objects.get_or_create(
                workspace=workspace,
                name="NetSuite sandbox",
                defaults={
                    "kind": "netsuite",
                    "config": {"account_id": SANDBOX_ACCOUNT, "api": "soap", "base_url": SANDBOX_URL},
                    "credentials": json.dumps(credentials),
                },
            )
            customers, _ = Model.objects.get_or_create(
                workspace=workspace,
                slug="customers",
                defaults={
                    "source": source,
                    "name": "Customers",
                    "sql": "SELECT * FROM customers",
                    "primary_key": "id",
                    "created_by": user,
                },
            )
            active, _ = Model.objects.get_or_create(
                workspace=workspace,
                slug="active-customers-in-france",
                defaults={
                    "source": source,
                    "name": "Active customers in France",
                    "sql": "SELECT * FROM customers WHERE is_active = 1 AND country = 'FR'",
                    "primary_key": "id",
                    "created_by": user,
                },
            )
            self._seed_syncs(workspace, user, destination, customers, active)
        self.stdout.write(f"Demo workspace ready: log in as {DEMO_USERNAME} / {password}")

    def _seed_syncs(self, workspace, user, destination, customers, active) -> None:
        """A few syncs that really run against the sandbox, some on a schedule (due at once)."""
        mappings = [
            {"from": "company_name", "to": "companyName"},
            {"from": "email", "to": "email"},
            {"from": "phone", "to": "phone"},
            {"from": "signup_date", "to": "custentity_signup_date"},
            {"from": "country", "to": "custentity_country"},
            {"template": "{{ first_name }} {{ last_name }}, {{ city }}", "to": "comments"},
        ]
        finance, _ = Folder.objects.get_or_create(workspace=workspace, name="Finance", parent=None)
        daily, _ = Label.objects.get_or_create(
            workspace=workspace, name="daily", defaults={"colour": "#2563eb"}
        )
        demos = [
            (
                "customers-to-netsuite",
                "Customers to NetSuite",
                customers,
                "upsert",
                {
                    "schedule_kind": ScheduleKind.INTERVAL,
                    "interval_every": 15,
                    "interval_unit": IntervalUnit.MINUTES,
                },
            ),
            (
                "french-customers-mirror",
                "Active French customers (mirror)",
                active,
                "mirror",
                {"schedule_kind": ScheduleKind.CRON, "cron_expression": "*/30 * * * *"},
            ),
            ("customers-backfill", "Customers backfill (manual)", customers, "insert", {"enabled": False}),
        ]
        for slug, name, model, mode, schedule in demos:
            sync, created = Sync.objects.get_or_create(
                workspace=workspace,
                slug=slug,
                defaults={
                    "name": name,
                    "model": model,
                    "destination": destination,
                    "created_by": user,
                    "config": {"object": "customer", "mode": mode, "mappings": mappings},
                    "folder": finance,
                    "next_run_at": timezone.now(),
                    **schedule,
                },
            )
            if created:
                sync.labels.add(daily)

    def _sandbox_credentials(self) -> dict:
        """The demo NetSuite account's token, and the sandbox's start-up file that declares it."""
        path = settings.DATA_DIR / "netsuite_sandbox.json"
        if not path.exists():
            path.touch(mode=0o600)
            token = {
                name: secrets.token_hex(32)
                for name in ("consumer_key", "consumer_secret", "token_id", "token_secret")
            }
            account = {
                "account_id": SANDBOX_ACCOUNT,
                "concurrency_limit": 5,
                "tokens": [token | {"permissions": "all"}],
                "custom_fields": [
                    {
                        "record_type": "customer",
                        "script_id": "custentity_signup_date",
                        "label": "Signup date",
                        "type": "date",
                    },
                    {
                        "record_type": "customer",
                        "script_id": "custentity_country",
                        "label": "Country",
                        "type": "text",
                    },
                ],
            }
            path.write_text(json.dumps({"accounts": [account], "behaviour": {"latency_ms": 150}}, indent=2))
        token = json.loads(path.read_text())["accounts"][0]["tokens"][0]
        return {name: token[name] for name in ("consumer_key", "consumer_secret", "token_id", "token_secret")}

    def _demo_password(self) -> str:
        # Kept beside the app database, readable by its owner only, so that every `make run` can
        # print the login again.
        path = settings.DATA_DIR / "demo_password"
        if not path.exists():
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(12))
        return path.read_text().strip()

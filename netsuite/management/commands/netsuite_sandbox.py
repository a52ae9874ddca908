"""Run the NetSuite sandbox: `python manage.py netsuite_sandbox --port 8765 [--host] [--db] [--config]`."""

import asyncio
import json
import signal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from netsuite.sandbox.accounts import ConfigError
from netsuite.sandbox.app import create_app, serve


class Command(BaseCommand):
    help = "Serve a local NetSuite (SOAP 2023.2, REST records, metadata catalog) for tests and the demo."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--db", help="SQLite file for records (default: the data dir's netsuite_sandbox.sqlite3)"
        )
        parser.add_argument("--config", help='JSON file: {"accounts": [...], "behaviour": {...}}')
        parser.add_argument("--access-log", action="store_true", help="Log every request line.")

    def handle(self, *args: Any, **options: Any) -> None:
        db = Path(options["db"] or settings.DATA_DIR / "netsuite_sandbox.sqlite3")
        db.parent.mkdir(parents=True, exist_ok=True)
        config = self._config(options["config"])
        try:
            app = create_app(db, config)
        except ConfigError as error:
            raise CommandError(f"Sandbox config: {error}") from None
        asyncio.run(self._serve(app, options["host"], options["port"], options["access_log"]))

    def _config(self, path: str | None) -> dict[str, Any]:
        if not path:
            return {}
        try:
            config = json.loads(Path(path).read_text())
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read the sandbox config {path}: {error}") from None
        if not isinstance(config, dict):
            raise CommandError(f"{path} must hold a JSON object with accounts and behaviour.")
        return config

    async def _serve(self, app, host: str, port: int, access_log: bool) -> None:
        runner = await serve(app, host, port, access_log=access_log)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        bound_port = runner.addresses[0][1] if runner.addresses else port
        self.stdout.write(f"NetSuite sandbox listening on http://{host}:{bound_port}")
        self.stdout.flush()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

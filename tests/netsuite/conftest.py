"""The NetSuite sandbox as a real server process, and clients that speak to it as NetSuite clients do.

`netsuite_sandbox` is a handle on one sandbox process per test session (started with
`manage.py netsuite_sandbox`), reset before every test. `netsuite_account` creates an account with a
known token allowed everything. `sandbox_soap` and `sandbox_rest` sign SOAP envelopes
(tokenPassport) and REST calls (OAuth 1.0a HMAC-SHA256) for that account; every SOAP answer they
read is validated against NetSuite's real 2023.2 schemas.
"""

import base64
import hashlib
import hmac
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from lxml import etree
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256
from requests_oauthlib import OAuth1

from tests.netsuite.real_schema import validate_soap_message

ROOT = Path(__file__).resolve().parents[2]
VERSION = "2023_2"
NS = {
    "soapenv": "http://schemas.xmlsoap.org/soap/envelope/",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "msgs": f"urn:messages_{VERSION}.platform.webservices.netsuite.com",
    "core": f"urn:core_{VERSION}.platform.webservices.netsuite.com",
    "faults": f"urn:faults_{VERSION}.platform.webservices.netsuite.com",
    "rel": f"urn:relationships_{VERSION}.lists.webservices.netsuite.com",
    "acct": f"urn:accounting_{VERSION}.lists.webservices.netsuite.com",
    "custom": f"urn:customization_{VERSION}.setup.webservices.netsuite.com",
}
ACCOUNT_ID = "1234567_SB1"
CREDENTIALS = {
    "consumer_key": "3f1c0ffee0ddba11c0ffee0ddba11c0ffee0ddba11c0ffee0ddba11c0ffee0dd",
    "consumer_secret": "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7",
    "token_id": "70ce1170ce1170ce1170ce1170ce1170ce1170ce1170ce1170ce1170ce1170ce",
    "token_secret": "5ec12e75ec12e75ec12e75ec12e75ec12e75ec12e75ec12e75ec12e75ec12e7",
}
START_TIMEOUT_SECONDS = 30


@dataclass
class SandboxHandle:
    """The control and inspection API of a running sandbox, over HTTP."""

    base_url: str
    http: requests.Session = field(default_factory=requests.Session, repr=False)

    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self.http.request(
            method, f"{self.base_url}/_sandbox/{path}", json=body, params=params, timeout=30
        )
        if response.status_code >= 400:
            raise AssertionError(
                f"{method} /_sandbox/{path} answered {response.status_code}: {response.text}"
            )
        return response.json()

    def create_account(self, **body: Any) -> dict:
        return self._call("POST", "accounts", body)

    def records(self, account_id: str, type: str, **params: Any) -> list:
        return self._call("GET", f"accounts/{account_id}/records/{type}", **params)["records"]

    def count(self, account_id: str, type: str) -> int:
        return self._call("GET", f"accounts/{account_id}/records/{type}/count")["count"]

    def stats(self) -> dict:
        return self._call("GET", "stats")

    def set_behaviour(self, **body: Any) -> None:
        self._call("POST", "behaviour", body)

    def reset(self, **body: Any) -> None:
        self._call("POST", "reset", body)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_answering(process: subprocess.Popen, base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"The NetSuite sandbox exited with {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(f"{base_url}/_sandbox/stats", timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    pytest.fail(f"The NetSuite sandbox did not answer within {START_TIMEOUT_SECONDS} s:\n{log.read_text()}")


def start_sandbox(tmp: Path, *extra_args: str, db: Path | None = None) -> tuple[subprocess.Popen, str, Path]:
    """Start `manage.py netsuite_sandbox` on a free port; return the process, its URL and its log."""
    port = _free_port()
    log = tmp / f"sandbox-{port}.log"
    db = db or tmp / "sandbox.sqlite3"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "netsuite_sandbox",
                "--port",
                str(port),
                "--db",
                str(db),
                *extra_args,
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
        )
    base_url = f"http://127.0.0.1:{port}"
    _wait_until_answering(process, base_url, log)
    return process, base_url, log


def stop_sandbox(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def _netsuite_sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, base_url, _ = start_sandbox(tmp_path_factory.mktemp("netsuite_sandbox"))
    yield base_url
    stop_sandbox(process)


@pytest.fixture
def netsuite_sandbox(_netsuite_sandbox_server: str) -> SandboxHandle:
    handle = SandboxHandle(_netsuite_sandbox_server)
    handle.reset(accounts=True)
    return handle


@pytest.fixture
def netsuite_account(netsuite_sandbox: SandboxHandle) -> dict:
    netsuite_sandbox.create_account(
        account_id=ACCOUNT_ID, concurrency_limit=5, tokens=[{**CREDENTIALS, "permissions": "all"}]
    )
    _forget_limiter_leases(ACCOUNT_ID)
    return {"account_id": ACCOUNT_ID, **CREDENTIALS, "base_url": netsuite_sandbox.base_url}


def _forget_limiter_leases(account_id: str) -> None:
    """A fresh account starts with no request in flight. A worker an earlier test killed mid-write
    leaves its leases on the shared limiter until they expire (as it should in production); a test
    must not start with them."""
    from destinations.concurrency import RedisLimiter, limiter_for

    limiter = limiter_for(key=f"netsuite:{account_id}", limit=1)  # the transport's key
    if isinstance(limiter, RedisLimiter):
        limiter.client.delete(limiter.redis_key)


@pytest.fixture
def customized(netsuite_sandbox, netsuite_account) -> dict:
    """The test account with a Tier custom record type, custom fields, and a seeded Gold tier."""
    token = {k: netsuite_account[k] for k in ("consumer_key", "consumer_secret", "token_id", "token_secret")}
    netsuite_sandbox.create_account(
        account_id=ACCOUNT_ID,
        tokens=[{**token, "permissions": "all"}],
        custom_record_types=[{"script_id": "customrecord_tier", "internal_id": "11", "label": "Tier"}],
        custom_fields=[
            {
                "record_type": "customer",
                "script_id": "custentity_tier",
                "label": "Tier",
                "type": "select",
                "references": "customrecord_tier",
            },
            {"record_type": "customer", "script_id": "custentity_since", "label": "Since", "type": "date"},
            {"record_type": "customer", "script_id": "custentity_vip", "label": "VIP", "type": "checkbox"},
            {"record_type": "customer", "script_id": "custentity_score", "label": "Score", "type": "number"},
            {
                "record_type": "customer",
                "script_id": "custentity_visits",
                "label": "Visits",
                "type": "integer",
            },
            {"record_type": "customer", "script_id": "custentity_note", "label": "Note", "type": "text"},
            {
                "record_type": "inventoryItem",
                "script_id": "custitem_colour",
                "label": "Colour",
                "type": "text",
                "required": True,
            },
            {
                "record_type": "customrecord_tier",
                "script_id": "custrecord_rank",
                "label": "Rank",
                "type": "integer",
            },
        ],
        records=[{"type": "customrecord_tier", "external_id": "gold", "fields": {"name": "Gold"}}],
    )
    return netsuite_account


# Clients for the sandbox tests


def passport_signature(
    account: str, consumer_key: str, token: str, nonce: str, timestamp: str, key: str
) -> str:
    message = "&".join((account, consumer_key, token, nonce, timestamp))
    return base64.b64encode(hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()).decode()


@dataclass
class SoapClient:
    """Builds SuiteTalk envelopes by hand, signs them with a tokenPassport, and reads the answers."""

    account: dict
    ns: dict[str, str] = field(default_factory=lambda: dict(NS))
    http: requests.Session = field(default_factory=requests.Session, repr=False)

    def passport(self, **overrides: str) -> str:
        values = {
            "account": self.account["account_id"],
            "consumer_key": self.account["consumer_key"],
            "token": self.account["token_id"],
            "nonce": secrets.token_hex(12),
            "timestamp": str(int(time.time())),
            "consumer_secret": self.account["consumer_secret"],
            "token_secret": self.account["token_secret"],
            "algorithm": "HMAC-SHA256",
        }
        values.update(overrides)
        signature = values.get("signature") or passport_signature(
            values["account"],
            values["consumer_key"],
            values["token"],
            values["nonce"],
            values["timestamp"],
            f"{values['consumer_secret']}&{values['token_secret']}",
        )
        return (
            f'<platformMsgs:tokenPassport xmlns:platformMsgs="{NS["msgs"]}" '
            f'xmlns:platformCore="{NS["core"]}">'
            f"<platformCore:account>{values['account']}</platformCore:account>"
            f"<platformCore:consumerKey>{values['consumer_key']}</platformCore:consumerKey>"
            f"<platformCore:token>{values['token']}</platformCore:token>"
            f"<platformCore:nonce>{values['nonce']}</platformCore:nonce>"
            f"<platformCore:timestamp>{values['timestamp']}</platformCore:timestamp>"
            f'<platformCore:signature algorithm="{values["algorithm"]}">{signature}</platformCore:signature>'
            "</platformMsgs:tokenPassport>"
        )

    def envelope(self, operation: str, items: str, header: str | None = None) -> bytes:
        """An envelope whose body is `<operation>` holding `items`; records use the prefixes
        msgs, core, rel, acct and custom (declared on the envelope)."""
        declarations = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NS.items())
        header = self.passport() if header is None else header
        return (
            f"<soapenv:Envelope {declarations}><soapenv:Header>{header}</soapenv:Header>"
            f"<soapenv:Body><msgs:{operation}>{items}</msgs:{operation}></soapenv:Body></soapenv:Envelope>"
        ).encode()

    def post(
        self, body: bytes, *, version: str = VERSION, timeout: float = 30, action: str = ""
    ) -> requests.Response:
        return self.http.post(
            f"{self.account['base_url']}/services/NetSuitePort_{version}",
            data=body,
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": action},
            timeout=timeout,
        )

    def call(self, operation: str, items: str, *, header: str | None = None, **kw: Any) -> "SoapAnswer":
        """Send one operation; validate the answer against NetSuite's real schemas and return it."""
        response = self.post(self.envelope(operation, items, header), action=operation, **kw)
        return SoapAnswer(response.status_code, validate_soap_message(response.content))


@dataclass
class SoapAnswer:
    status_code: int
    envelope: etree._Element

    def find(self, path: str) -> etree._Element | None:
        return self.envelope.find(path, NS)

    def findall(self, path: str) -> list[etree._Element]:
        return self.envelope.findall(path, NS)

    def fault(self) -> dict[str, str | None]:
        """faultcode, faultstring, and the detail element's local name, code and message."""
        fault = self.find("soapenv:Body/soapenv:Fault")
        assert fault is not None, etree.tostring(self.envelope).decode()
        detail = fault.find("detail")
        specific = detail[0] if detail is not None and len(detail) else None
        return {
            "faultcode": fault.findtext("faultcode"),
            "faultstring": fault.findtext("faultstring"),
            "element": etree.QName(specific).localname if specific is not None else None,
            "namespace": etree.QName(specific).namespace if specific is not None else None,
            "code": specific.findtext("faults:code", namespaces=NS) if specific is not None else None,
            "message": specific.findtext("faults:message", namespaces=NS) if specific is not None else None,
        }

    def statuses(self) -> list[dict[str, Any]]:
        """One entry per writeResponse/readResponse: success, code, message, and the ref or record."""
        results = []
        for response in self.findall(".//msgs:writeResponse") + self.findall(".//msgs:readResponse"):
            status = response.find("core:status", NS)
            assert status is not None
            results.append(
                {
                    "ok": status.get("isSuccess") == "true",
                    "code": status.findtext("core:statusDetail/core:code", namespaces=NS),
                    "message": status.findtext("core:statusDetail/core:message", namespaces=NS),
                    "ref": response.find("msgs:baseRef", NS),
                    "record": response.find("msgs:record", NS),
                }
            )
        return results


@pytest.fixture
def sandbox_soap(netsuite_account: dict) -> SoapClient:
    return SoapClient(netsuite_account)


@dataclass
class RestClient:
    """The REST record service, signed with OAuth 1.0a HMAC-SHA256 as requests-oauthlib does it."""

    account: dict
    http: requests.Session = field(default_factory=requests.Session, repr=False)

    def auth(self, **overrides: Any) -> OAuth1:
        values = {
            "client_key": self.account["consumer_key"],
            "client_secret": self.account["consumer_secret"],
            "resource_owner_key": self.account["token_id"],
            "resource_owner_secret": self.account["token_secret"],
            "realm": self.account["account_id"],
        }
        values.update(overrides)
        return OAuth1(signature_method=SIGNATURE_HMAC_SHA256, **values)

    def url(self, path: str) -> str:
        return f"{self.account['base_url']}/services/rest/record/v1/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, auth: OAuth1 | None = None, **kw: Any) -> requests.Response:
        kw.setdefault("timeout", 30)
        return self.http.request(method, self.url(path), auth=auth or self.auth(), **kw)


@pytest.fixture
def sandbox_rest(netsuite_account: dict) -> RestClient:
    return RestClient(netsuite_account)

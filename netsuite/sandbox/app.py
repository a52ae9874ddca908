"""The NetSuite sandbox's web application: SOAP, REST, the WSDL, and the /_sandbox/ control API.

Every SOAP and REST call goes through the same steps:
1. authenticate (tokenPassport or OAuth 1.0a) and find the account;
2. admit the call against the account's concurrency limit, or refuse it as NetSuite does;
3. maybe inject a fault (drop, timeout, concurrency, 5xx), else wait the configured latency;
4. do the work in one SQLite transaction and answer (or, for answer_lost, hang up instead);
5. stop counting the call in flight, also when the client went away (handler cancellation).
"""

import asyncio
import ipaddress
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from netsuite.sandbox import rest, soap
from netsuite.sandbox.accounts import Account, ConfigError, Token
from netsuite.sandbox.auth import UNKNOWN_ACCOUNT, Authenticator, AuthError
from netsuite.sandbox.behaviour import HTTP_FAULTS, Behaviour
from netsuite.sandbox.operations import (
    ADD,
    UPDATE,
    UPSERT,
    Operations,
    Outcome,
    permission_message,
    seed_account,
)
from netsuite.sandbox.records import SUBSIDIARY_TYPE
from netsuite.sandbox.stats import Stats
from netsuite.sandbox.store import Store

logger = logging.getLogger("netsuite.sandbox")
SUPPORTED_VERSIONS = ("2023_2",)
WSDL_DIR = Path(__file__).resolve().parent / "wsdl"
SCHEMA_GROUPS = {"platform", "lists", "setup"}
XML_TYPE = "text/xml; charset=utf-8"
WRITE_KINDS = {
    "add": ADD,
    "addList": ADD,
    "update": UPDATE,
    "updateList": UPDATE,
    "upsert": UPSERT,
    "upsertList": UPSERT,
}


class Sandbox:
    """The sandbox's state: the store, the accounts, the behaviour, the counters and the nonces."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.accounts: dict[str, Account] = {}
        self.behaviour = Behaviour()
        self.stats = Stats()
        self.auth = Authenticator(self.accounts.get)
        for body in store.account_configs():
            account = Account.from_body(body)
            self.accounts[account.account_id] = account

    # Control

    def put_account(self, body: Any) -> Account:
        account = Account.from_body(body)
        with self.store.transaction():
            try:
                seed_account(self.store, account)
            except ValueError as error:
                raise ConfigError(str(error)) from None
            self.store.save_account(account.account_id, account.body)
        self.accounts[account.account_id] = account
        return account

    def reset(self, body: Any) -> None:
        if not isinstance(body, dict) or set(body) - {"account_id", "accounts"}:
            raise ConfigError('The reset body is {}, {"account_id": ...} and/or {"accounts": true}.')
        account_id = body.get("account_id")
        if account_id is not None and account_id not in self.accounts:
            raise ConfigError(f"No account {account_id}.")
        drop_accounts = body.get("accounts") is True
        with self.store.transaction():
            self.store.clear_records(account_id)
            if drop_accounts:
                for key in [key for key in self.accounts if account_id in (None, key)]:
                    del self.accounts[key]
                self.store.delete_accounts()
                for account in self.accounts.values():
                    self.store.save_account(account.account_id, account.body)
            for account in self.accounts.values():
                if account_id in (None, account.account_id):
                    seed_account(self.store, account)
        self.stats.reset(account_id)
        self.auth.forget(account_id)
        if account_id is None:
            self.behaviour = Behaviour()

    def set_behaviour(self, body: Any) -> None:
        self.behaviour = Behaviour.from_body(body)

    # Calls

    async def govern(
        self,
        request: web.Request,
        account: Account,
        refused: Callable[[], web.Response],
        work: Callable[[], web.Response],
    ) -> web.StreamResponse:
        if not self.stats.admit(account.account_id, account.concurrency_limit):
            return refused()
        try:
            behaviour = self.behaviour
            fault = behaviour.pick_fault()
            if fault:
                self.stats.fault(fault)
            if fault == "drop":
                hang_up(request)
            if fault == "timeout":
                await asyncio.sleep(behaviour.timeout_hold_seconds)
                hang_up(request)
            if fault == "concurrency":
                return refused()
            await self.latency()
            if fault in HTTP_FAULTS:
                return unavailable(HTTP_FAULTS[fault])
            answer = work()
            if fault == "answer_lost":
                hang_up(request)
            return answer
        finally:
            self.stats.release(account.account_id)

    async def latency(self) -> None:
        seconds = self.behaviour.latency_seconds()
        if seconds > 0:
            await asyncio.sleep(seconds)

    def operations(self, account: Account, token: Token) -> Operations:
        return Operations(self.store, account, token, self.behaviour.rejection)


SANDBOX = web.AppKey("sandbox", Sandbox)


def hang_up(request: web.Request) -> None:
    """Close the connection without an answer, as a dropped or timed-out call does."""
    if request.transport is not None:
        request.transport.close()
    raise asyncio.CancelledError


def unavailable(status: int) -> web.Response:
    reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}[status]
    page = f"<html><head><title>{status} {reason}</title></head><body><h1>{reason}</h1></body></html>"
    return web.Response(status=status, text=page, content_type="text/html")


def xml(body: bytes, status: int = 200) -> web.Response:
    return web.Response(status=status, body=body, headers={"Content-Type": XML_TYPE})


# SOAP


async def soap_endpoint(request: web.Request) -> web.StreamResponse:
    sandbox = request.app[SANDBOX]
    version = request.match_info["version"]
    ns = soap.Namespaces(version if version in SUPPORTED_VERSIONS else SUPPORTED_VERSIONS[-1])
    body = await request.read()
    if version not in SUPPORTED_VERSIONS:
        sandbox.stats.call("soap:unsupported_version")
        fault = soap.SoapFault(
            "invalidVersionFault", "UNSUPPORTED_WS_VERSION", f"The {version} endpoint is not supported."
        )
        return xml(soap.fault_response(fault, ns), 500)
    try:
        call = soap.parse_request(body, ns)
    except soap.SoapFault as fault:
        sandbox.stats.call("soap:invalid")
        return xml(soap.fault_response(fault, ns), 500)
    sandbox.stats.call(f"soap:{call.operation}")
    try:
        account, token = _soap_login(sandbox, call)
    except soap.SoapFault as fault:
        await sandbox.latency()
        return xml(soap.fault_response(fault, ns), 500)

    def refused() -> web.Response:
        fault = soap.SoapFault(
            "exceededConcurrentRequestLimitFault",
            "WS_REQUEST_BLOCKED",
            "SuiteTalk concurrent request limit exceeded. Request blocked.",
        )
        return xml(soap.fault_response(fault, ns), 500)

    return await sandbox.govern(
        request, account, refused, lambda: _soap_work(sandbox, call, ns, account, token)
    )


def _soap_login(sandbox: Sandbox, call: soap.SoapRequest) -> tuple[Account, Token]:
    if call.passport is None:
        raise soap.SoapFault(
            "invalidSessionFault",
            "WS_LOG_IN_REQD",
            "You must log in before performing a web service operation.",
        )
    if call.application_info:
        raise soap.SoapFault(
            "invalidCredentialsFault",
            "USER_ERROR",
            "The applicationInfo header cannot be used with token-based authentication.",
        )
    try:
        return sandbox.auth.verify_passport(call.passport)
    except AuthError as error:
        logger.info("SOAP login refused: %s", error)
        if error.reason == UNKNOWN_ACCOUNT:
            raise soap.SoapFault(
                "invalidAccountFault", "INVALID_ACCT", f"Invalid account number: {call.passport.account}."
            ) from None
        raise soap.SoapFault(
            "invalidCredentialsFault", "INVALID_LOGIN_CREDENTIALS", "Invalid login attempt."
        ) from None


def _soap_work(
    sandbox: Sandbox, call: soap.SoapRequest, ns: soap.Namespaces, account: Account, token: Token
) -> web.Response:
    limit = soap.LIST_LIMITS.get(call.operation)
    if limit is not None and len(call.items) > limit:
        fault = soap.SoapFault(
            "exceededRecordCountFault",
            "MAX_RCRDS_EXCEEDED",
            f"The request has {len(call.items)} records; {call.operation} takes at most {limit}.",
        )
        return xml(soap.fault_response(fault, ns), 500)
    if not call.items:
        fault = soap.SoapFault(
            None, None, f"org.xml.sax.SAXException: {call.operation} needs at least one item"
        )
        return xml(soap.fault_response(fault, ns), 500)
    if token.permissions == frozenset():
        fault = soap.SoapFault(
            "insufficientPermissionFault", "INSUFFICIENT_PERMISSION", permission_message("SOAP Web Services")
        )
        return xml(soap.fault_response(fault, ns), 500)
    items = call.items if call.operation.endswith("List") else call.items[:1]
    ops = sandbox.operations(account, token)
    outcomes: list[Outcome] = []
    with sandbox.store.transaction():
        for item in items:
            if call.operation.startswith(("delete", "get")):
                rtype, ref = soap.parse_base_ref(item, ns, account)
                outcomes.append(
                    ops.delete(rtype, ref) if call.operation.startswith("delete") else ops.get(rtype, ref)
                )
            else:
                incoming = soap.parse_record(item, ns, account)
                outcomes.append(
                    incoming
                    if isinstance(incoming, Outcome)
                    else ops.write(WRITE_KINDS[call.operation], incoming)
                )
        if call.operation.startswith("get"):
            return xml(soap.read_response(call.operation, outcomes, ns, account.account_id, ops))
    return xml(soap.write_response(call.operation, outcomes, ns, account.account_id))


# REST


def _base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


async def _rest_login(request: web.Request, body: bytes) -> tuple[Account, Token] | web.Response:
    sandbox = request.app[SANDBOX]
    form = (
        body.decode("utf-8", "replace")
        if request.content_type == "application/x-www-form-urlencoded"
        else None
    )
    url = f"{_base_url(request)}{request.raw_path}"
    try:
        return sandbox.auth.verify_oauth(request.method, url, request.headers.get("Authorization"), form)
    except AuthError as error:
        logger.info("REST login refused: %s", error)
        await sandbox.latency()
        return rest.login_refused()


def _rest_forbidden(token: Token) -> web.Response | None:
    if token.permissions == frozenset():
        return rest.error_response(403, "INSUFFICIENT_PERMISSION", permission_message("REST Web Services"))
    return None


async def rest_record(request: web.Request) -> web.StreamResponse:
    sandbox = request.app[SANDBOX]
    sandbox.stats.call(f"rest:{request.method}")
    body = await request.read()
    login = await _rest_login(request, body)
    if isinstance(login, web.Response):
        return login
    account, token = login
    call = rest.RestCall(
        method=request.method,
        base_url=_base_url(request),
        type_name=request.match_info["type"],
        record_id=request.match_info.get("id"),
        body=body,
        query=dict(request.query),
    )

    def work() -> web.Response:
        forbidden = _rest_forbidden(token)
        if forbidden:
            return forbidden
        with sandbox.store.transaction():
            return rest.handle(call, account, sandbox.operations(account, token))

    return await sandbox.govern(request, account, rest.concurrency_refused, work)


async def rest_metadata(request: web.Request) -> web.StreamResponse:
    sandbox = request.app[SANDBOX]
    sandbox.stats.call("rest:GET")
    login = await _rest_login(request, await request.read())
    if isinstance(login, web.Response):
        return login
    account, token = login
    type_name = request.match_info.get("type")

    def work() -> web.Response:
        forbidden = _rest_forbidden(token)
        if forbidden:
            return forbidden
        if type_name is None:
            body = rest.catalog(account, _base_url(request))
            return web.json_response(body, content_type="application/vnd.oracle.resource+json")
        rtype = rest.find_type(account, type_name)
        if rtype is None:
            return rest.error_response(404, "INVALID_RCRD_TYPE", f"Record type '{type_name}' does not exist.")
        return web.Response(
            text=json.dumps(rest.describe(account, rtype)), headers={"Content-Type": rest.SCHEMA_TYPE}
        )

    return await sandbox.govern(request, account, rest.concurrency_refused, work)


# WSDL and XSDs


async def wsdl(request: web.Request) -> web.Response:
    if request.match_info["version"] not in SUPPORTED_VERSIONS:
        raise web.HTTPNotFound()
    return xml((WSDL_DIR / "netsuite.wsdl").read_bytes())


async def xsd(request: web.Request) -> web.Response:
    group, name = request.match_info["group"], request.match_info["name"]
    path = WSDL_DIR / "xsd" / group / f"{name}.xsd"
    if (
        request.match_info["version"] not in SUPPORTED_VERSIONS
        or group not in SCHEMA_GROUPS
        or not path.is_file()
    ):
        raise web.HTTPNotFound()
    return xml(path.read_bytes())


# Control API


@web.middleware
async def loopback_only(request: web.Request, handler: Callable) -> web.StreamResponse:
    """The control API has no authentication: it answers loopback clients only."""
    if request.path.startswith("/_sandbox/"):
        try:
            loopback = ipaddress.ip_address(request.remote or "").is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            return web.json_response(
                {"error": "The sandbox control API answers loopback clients only."}, status=403
            )
    return await handler(request)


async def _json(request: web.Request) -> Any:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "The body is not JSON."}), content_type="application/json"
        ) from None


def _bad_request(error: ConfigError) -> web.Response:
    return web.json_response({"error": str(error)}, status=400)


async def control_accounts(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    try:
        account = sandbox.put_account(await _json(request))
    except ConfigError as error:
        return _bad_request(error)
    return web.json_response({"account_id": account.account_id}, status=201)


async def control_account_list(request: web.Request) -> web.Response:
    return web.json_response({"accounts": sorted(request.app[SANDBOX].accounts)})


def _inspected(request: web.Request) -> tuple[Sandbox, str, str]:
    sandbox = request.app[SANDBOX]
    account_id, rtype = request.match_info["account"], request.match_info["type"]
    account = sandbox.accounts.get(account_id)
    if account is None or (rtype != SUBSIDIARY_TYPE.key and account.record_type(rtype) is None):
        raise web.HTTPNotFound(
            text=json.dumps({"error": f"No account {account_id} or no record type {rtype} in it."}),
            content_type="application/json",
        )
    return sandbox, account_id, rtype


async def control_records(request: web.Request) -> web.Response:
    sandbox, account_id, rtype = _inspected(request)
    try:
        limit = int(request.query["limit"]) if "limit" in request.query else None
        offset = int(request.query.get("offset", 0))
    except ValueError:
        return web.json_response({"error": "limit and offset must be whole numbers."}, status=400)
    records = sandbox.store.list(account_id, rtype, limit=limit, offset=offset)
    return web.json_response(
        {"count": sandbox.store.count(account_id, rtype), "records": [r.as_json() for r in records]}
    )


async def control_count(request: web.Request) -> web.Response:
    sandbox, account_id, rtype = _inspected(request)
    return web.json_response({"count": sandbox.store.count(account_id, rtype)})


async def control_reset(request: web.Request) -> web.Response:
    try:
        request.app[SANDBOX].reset(await _json(request))
    except ConfigError as error:
        return _bad_request(error)
    return web.json_response({"reset": True})


async def control_stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX].stats.as_json())


async def control_behaviour(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    if request.method == "POST":
        try:
            sandbox.set_behaviour(await _json(request))
        except ConfigError as error:
            return _bad_request(error)
    return web.json_response(sandbox.behaviour.body)


# The application


def create_app(db_path: str | Path, config: dict[str, Any] | None = None) -> web.Application:
    """The sandbox over the SQLite file at db_path, configured from a start-up config if given."""
    sandbox = Sandbox(Store(db_path))
    config = config or {}
    for body in config.get("accounts", []):
        sandbox.put_account(body)
    if config.get("behaviour"):
        sandbox.set_behaviour(config["behaviour"])
    app = web.Application(middlewares=[loopback_only], client_max_size=110 * 1024 * 1024)
    app[SANDBOX] = sandbox
    app.on_cleanup.append(_close_store)
    router = app.router
    router.add_post(r"/services/NetSuitePort_{version:\d{4}_\d}", soap_endpoint)
    router.add_get(r"/wsdl/v{version:\d{4}_\d}_0/netsuite.wsdl", wsdl)
    router.add_get(r"/xsd/{group}/v{version:\d{4}_\d}_0/{name:[A-Za-z]+}.xsd", xsd)
    router.add_get(f"{rest.PREFIX}/metadata-catalog", rest_metadata)
    router.add_get(f"{rest.PREFIX}/metadata-catalog/", rest_metadata)
    router.add_get(f"{rest.PREFIX}/metadata-catalog/{{type}}", rest_metadata)
    for method in ("GET", "POST"):
        router.add_route(method, f"{rest.PREFIX}/{{type}}", rest_record)
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        router.add_route(method, f"{rest.PREFIX}/{{type}}/{{id:.+}}", rest_record)
    router.add_post("/_sandbox/accounts", control_accounts)
    router.add_get("/_sandbox/accounts", control_account_list)
    router.add_get("/_sandbox/accounts/{account}/records/{type}", control_records)
    router.add_get("/_sandbox/accounts/{account}/records/{type}/count", control_count)
    router.add_post("/_sandbox/reset", control_reset)
    router.add_get("/_sandbox/stats", control_stats)
    router.add_route("GET", "/_sandbox/behaviour", control_behaviour)
    router.add_route("POST", "/_sandbox/behaviour", control_behaviour)
    return app


async def _close_store(app: web.Application) -> None:
    app[SANDBOX].store.close()


async def serve(app: web.Application, host: str, port: int, *, access_log: bool = False) -> web.AppRunner:
    """Start serving; the caller keeps the runner and cleans it up."""
    runner = web.AppRunner(app, handler_cancellation=True, access_log=logger if access_log else None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner

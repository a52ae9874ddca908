"""The REST record service: one request per record, run in parallel within the concurrency limit.

upsert is `PUT /{type}/eid:{externalId}`, insert `POST /{type}`, update and archive `PATCH`, delete
`DELETE`; NetSuite answers 204 with the record's URL in `Location`. Each request is retried on its
own; rows NetSuite rejects come back with its o:errorCode and detail.
"""

import datetime
import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests

from destinations.adapters import (
    DestinationError,
    OutgoingRecord,
    PermanentError,
    Reference,
    RowResult,
    TemporaryError,
)
from netsuite import auth
from netsuite.records import DUPLICATE_CODES, RecordType
from netsuite.retry import RetryPolicy, with_retries
from netsuite.transport import Endpoint, retry_after, send

logger = logging.getLogger(__name__)
Item = TypeVar("Item")
Result = TypeVar("Result")

RECORD_PATH = "/services/rest/record/v1"
QUERY_PATH = "/services/rest/query/v1/suiteql"
JSON = "application/json"
SCHEMA_JSON = "application/schema+json"


class RestClient:
    """Signed requests to the account's REST record service. Shared by the writer's threads."""

    def __init__(self, endpoint: Endpoint, credentials: auth.Credentials, policy: RetryPolicy) -> None:
        self.endpoint = endpoint
        self.account_id = credentials.account_id
        self.policy = policy
        self.root = f"{endpoint.base_url}{RECORD_PATH}"
        self.auth = auth.rest_auth(credentials)

    def attempt(
        self, method: str, url: str, body: dict | None = None, headers: dict[str, str] | None = None
    ) -> requests.Response:
        """One request. Returns 2xx answers and NetSuite's per-record errors (400, 404, 409 with
        o:errorDetails); raises TemporaryError (429, 5xx, network) or PermanentError (401, 403, other)."""
        headers = {"Accept": JSON, **(headers or {})}
        data = None
        if body is not None:
            headers["Content-Type"] = JSON
            data = json.dumps(body, default=_json_default).encode()
        response = send(self.endpoint, method, url, data=data, headers=headers, auth=self.auth)
        if response.ok or (response.status_code in (400, 404, 409) and error_details(response)):
            return response
        raise self._error(method, url, response)

    def call(
        self, method: str, path: str, body: dict | None = None, accept: str = JSON
    ) -> tuple[requests.Response, int]:
        """A record service request (`path` under /record/v1), retried on temporary failures;
        the answer and how many attempts it took."""
        outcome = with_retries(
            lambda: self.attempt(method, self.root + path, body, {"Accept": accept}),
            policy=self.policy,
            what=f"REST {method} {path}",
        )
        return outcome.value, outcome.attempts

    def get_json(self, path: str, accept: str = JSON) -> dict:
        response, _ = self.call("GET", path, accept=accept)
        if not response.ok:
            code, message = error_details(response)
            raise PermanentError(f"NetSuite answered GET {path} with {code}: {message}", code=code)
        try:
            return response.json()
        except ValueError:
            raise TemporaryError(
                f"NetSuite's answer to GET {path} is not JSON.", code="BAD_RESPONSE"
            ) from None

    def query(self, sql: str) -> list[dict]:
        """The rows of a SuiteQL query (the REST query service), or [] when NetSuite refuses it."""
        url = f"{self.endpoint.base_url}{QUERY_PATH}"
        try:
            outcome = with_retries(
                lambda: self.attempt("POST", url, {"q": sql}, {"Prefer": "transient"}),
                policy=self.policy,
                what="SuiteQL query",
            )
            return list(outcome.value.json().get("items", [])) if outcome.value.ok else []
        except (PermanentError, ValueError):
            return []

    def _error(self, method: str, url: str, response: requests.Response) -> DestinationError:
        status = response.status_code
        path = urlsplit(url).path
        code, message = error_details(response) or (f"HTTP_{status}", response.reason or "")
        if status == 401:
            return PermanentError(
                f"NetSuite refused the token-based login ({code}: {message}) Check the account ID "
                f"({self.account_id}), the consumer key and secret and the token ID and secret, and that "
                f"REST web services are enabled for the account and the token's role.",
                code=code,
            )
        if status == 403:
            return PermanentError(
                f"The access token's role is missing a permission: {message} Give the role that permission "
                f"in NetSuite (Setup > Users/Roles > Manage Roles).",
                code=code,
            )
        if status == 429 or status >= 500:
            return TemporaryError(
                f"NetSuite answered REST {method} with HTTP {status} ({code}).",
                code=code,
                retry_after=retry_after(response),
            )
        return PermanentError(
            f"NetSuite answered REST {method} {path} with HTTP {status} ({code}: {message}). "
            f"Check the base URL.",
            code=code,
        )


def error_details(response: requests.Response) -> tuple[str, str] | None:
    """(o:errorCode, detail) from a NetSuite REST error body, or None if it is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    details = body.get("o:errorDetails") if isinstance(body, dict) else None
    if not details or not isinstance(details, list):
        return None
    code = str(details[0].get("o:errorCode", "")) or f"HTTP_{response.status_code}"
    message = " ".join(
        str(detail.get("detail", "")).strip() for detail in details if isinstance(detail, dict)
    )
    return code, message.strip()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise TypeError(f"cannot send a {type(value).__name__} to NetSuite")


def rest_value(value: Any) -> Any:
    """A field value as the REST record service takes it: selects as {"id"} or {"externalId"}."""
    if isinstance(value, Reference):
        return {"id": value.internal_id} if value.internal_id else {"externalId": value.external_id}
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _body(record: OutgoingRecord) -> dict[str, Any]:
    return {name: rest_value(value) for name, value in record.fields.items()}


def _id_from_location(response: requests.Response) -> str:
    location = response.headers.get("Location", "")
    return location.rstrip("/").rsplit("/", 1)[-1] if location else ""


class RestWriter:
    def __init__(self, client: RestClient, concurrency_limit: int) -> None:
        self.client = client
        self.concurrency_limit = concurrency_limit

    def write(
        self, record_type: RecordType, operation: str, records: Sequence[OutgoingRecord]
    ) -> list[RowResult]:
        """One request per record, at most `concurrency_limit` at once; results in order."""
        write_one = self._operation(operation)
        return parallel(lambda record: write_one(record_type.name, record), records, self.concurrency_limit)

    def _operation(self, operation: str) -> Callable[[str, OutgoingRecord], RowResult]:
        operations = {
            "upsert": self.upsert,
            "insert": self.insert,
            "update": self.update,
            "archive": self.archive,
            "delete": self.delete,
        }
        if operation not in operations:
            raise PermanentError(f"NetSuite cannot {operation!r} records; use {', '.join(operations)}.")
        return operations[operation]

    def upsert(self, type_name: str, record: OutgoingRecord) -> RowResult:
        response, _ = self.client.call("PUT", _by_external_id(type_name, record.external_id), _body(record))
        return _result(response, record)

    def insert(self, type_name: str, record: OutgoingRecord) -> RowResult:
        body = _body(record) | {"externalId": record.external_id}
        response, attempts = self.client.call("POST", f"/{type_name}", body)
        result = _result(response, record)
        if attempts > 1 and result.error_code in DUPLICATE_CODES:
            # An earlier attempt landed: the duplicate is the record it created.
            found = self.lookup(type_name, record.external_id)
            return found if found.ok else result
        return result

    def update(self, type_name: str, record: OutgoingRecord) -> RowResult:
        response, _ = self.client.call("PATCH", _path(type_name, record), _body(record))
        return _result(response, record)

    def archive(self, type_name: str, record: OutgoingRecord) -> RowResult:
        response, _ = self.client.call("PATCH", _path(type_name, record), {"isInactive": True})
        return _result(response, record)

    def delete(self, type_name: str, record: OutgoingRecord) -> RowResult:
        response, attempts = self.client.call("DELETE", _path(type_name, record))
        result = _result(response, record)
        if attempts > 1 and result.error_code == "RCRD_DSNT_EXIST":
            return RowResult(ok=True, record_id=record.record_id)  # an earlier attempt deleted it
        return result

    def lookup(self, type_name: str, external_id: str) -> RowResult:
        response, _ = self.client.call("GET", _by_external_id(type_name, external_id))
        if not response.ok:
            return _result(response, OutgoingRecord(external_id))
        return RowResult(ok=True, record_id=str(response.json().get("id", "")))


def _by_external_id(type_name: str, external_id: str) -> str:
    return f"/{type_name}/eid:{quote(external_id, safe='')}"


def _path(type_name: str, record: OutgoingRecord) -> str:
    if record.record_id:
        return f"/{type_name}/{quote(record.record_id, safe='')}"
    return _by_external_id(type_name, record.external_id)


def _result(response: requests.Response, record: OutgoingRecord) -> RowResult:
    if response.ok:
        return RowResult(ok=True, record_id=_id_from_location(response) or record.record_id)
    code, message = error_details(response) or (f"HTTP_{response.status_code}", response.reason or "")
    return RowResult(ok=False, error_code=code, error_message=message)


def parallel(work: Callable[[Item], Result], items: Sequence[Item], limit: int) -> list[Result]:
    """work(item) for every item on up to `limit` threads; results in order.

    A permanent failure stops the work not yet started and is raised; otherwise the first temporary
    failure that outlived its retries is raised once every started request has finished.
    """
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=min(limit, len(items)), thread_name_prefix="netsuite-rest") as pool:
        results, first_error = _collect([pool.submit(work, item) for item in items])
    if first_error is not None:
        raise first_error
    return results


def _collect(futures: list[Future]) -> tuple[list, DestinationError | None]:
    results: list = []
    first_error: DestinationError | None = None
    for future in futures:
        if future.cancelled():
            continue
        try:
            results.append(future.result())
        except PermanentError as error:
            for pending in futures:
                pending.cancel()
            return results, error
        except DestinationError as error:
            first_error = first_error or error
    return results, first_error

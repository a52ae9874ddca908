"""The NetSuite destination: settings, validation, and writing through SOAP or REST with TBA.

- SOAP (the default) writes a batch as one list request: upsertList/updateList up to 100 records,
  addList/deleteList up to 200. REST writes one record per request, in parallel.
- Every HTTP request to the account holds one of its concurrency slots (destinations.concurrency),
  shared by every thread and process; retries back off without holding a slot.
- Temporary failures are retried inside write_batch; what remains is raised as TemporaryError,
  permanent ones as PermanentError, with a message that says what to fix and never a secret.
"""

import re
import threading
from typing import ClassVar

from destinations.adapters import (
    SYNC_MODES,
    Adapter,
    ObjectSpec,
    Operation,
    OutgoingRecord,
    PermanentError,
    RowResult,
    Setting,
)
from netsuite import auth, catalog
from netsuite.records import RecordType, record_type
from netsuite.rest import RestClient, RestWriter
from netsuite.retry import RetryPolicy
from netsuite.soap import LIST_LIMITS, SoapConnection, SoapWriter, schema_for
from netsuite.transport import DEFAULT_TIMEOUT, Endpoint

ACCOUNT_ID = re.compile(r"^\d+(_[A-Za-z]+\d*)?$")
DEFAULT_WSDL_VERSION = "2023_2"
DEFAULT_CONCURRENCY_LIMIT = 5
REST_BATCH_SIZE = 100
CREDENTIAL_NAMES = ("consumer_key", "consumer_secret", "token_id", "token_secret")
# test_connection answers while the user waits: one quick retry, no more.
CONNECTION_TEST_POLICY = RetryPolicy(max_attempts=2, base_delay=0.5, max_delay=1.0, max_elapsed=20.0)


def account_host_slug(account_id: str) -> str:
    """NetSuite writes hosts with the account ID lowercased and '_' turned into '-'."""
    return account_id.strip().lower().replace("_", "-")


def account_base_url(account_id: str) -> str:
    return f"https://{account_host_slug(account_id)}.suitetalk.api.netsuite.com"


class NetSuiteAdapter(Adapter):
    label = "NetSuite"
    settings: ClassVar[tuple[Setting, ...]] = (
        Setting("account_id", "Account ID", help_text="As NetSuite writes it, e.g. 1234567 or 1234567_SB1."),
        Setting("consumer_key", "Consumer key", secret=True),
        Setting("consumer_secret", "Consumer secret", secret=True),
        Setting("token_id", "Token ID", secret=True),
        Setting("token_secret", "Token secret", secret=True),
        Setting("api", "API", required=False, default="soap", help_text="soap (batched, faster) or rest."),
        Setting(
            "concurrency_limit",
            "Concurrency limit",
            required=False,
            default=5,
            help_text="Requests in flight at once to this account, shared with its other integrations.",
        ),
        Setting("wsdl_version", "WSDL version", required=False, default=DEFAULT_WSDL_VERSION),
        Setting("wsdl_url", "WSDL URL", required=False),
        Setting(
            "base_url",
            "Base URL",
            required=False,
            help_text="Overrides https://<account>.suitetalk.api.netsuite.com (the NetSuite sandbox, say).",
        ),
    )

    def __init__(
        self,
        config: dict,
        credentials: dict,
        *,
        retry_policy: RetryPolicy | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(config, credentials)
        self.retry_policy = retry_policy or RetryPolicy()
        self.timeout = timeout
        self._writers: dict[tuple[str, RetryPolicy], SoapWriter | RestWriter] = {}
        self._writers_lock = threading.Lock()

    @classmethod
    def validate_config(cls, config: dict, credentials: dict) -> dict[str, str]:
        errors = super().validate_config(config, credentials)
        account_id = config.get("account_id")
        if account_id and not ACCOUNT_ID.match(str(account_id)):
            errors["account_id"] = (
                f"{account_id!r} is not a NetSuite account ID (digits, then maybe _SB1 or the like)."
            )
        if config.get("api", "soap") not in ("soap", "rest"):
            errors["api"] = "The API must be soap or rest."
        limit = config.get("concurrency_limit", 5)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 100:
            errors["concurrency_limit"] = "The concurrency limit must be a whole number from 1 to 100."
        base_url = config.get("base_url")
        if base_url and not re.match(r"^https?://[^\s/]+", str(base_url)):
            errors["base_url"] = "The base URL must start with http:// or https:// and name a host."
        return errors

    def base_url(self) -> str:
        return (self.config.get("base_url") or account_base_url(self.config["account_id"])).rstrip("/")

    def api(self) -> str:
        return self.config.get("api") or "soap"

    def wsdl_version(self) -> str:
        return self.config.get("wsdl_version") or DEFAULT_WSDL_VERSION

    def wsdl_url(self) -> str:
        return self.config.get("wsdl_url") or f"{self.base_url()}/wsdl/v{self.wsdl_version()}_0/netsuite.wsdl"

    def concurrency_limit(self) -> int:
        return int(self.config.get("concurrency_limit") or DEFAULT_CONCURRENCY_LIMIT)

    def batch_size(self, operation: Operation) -> int:
        """SOAP: NetSuite's records-per-request limits. REST: records per batch (one request each)."""
        if operation not in LIST_LIMITS:
            raise PermanentError(f"NetSuite cannot {operation!r} records; use {', '.join(LIST_LIMITS)}.")
        return LIST_LIMITS[operation] if self.api() == "soap" else REST_BATCH_SIZE

    def write_batch(
        self, *, object_type: str, operation: Operation, records: list[OutgoingRecord]
    ) -> list[RowResult]:
        """Write the records with `operation`; one RowResult per record, in order.

        SOAP batches larger than NetSuite's limit go as several requests, one after another.
        """
        target = self._record_type(object_type)
        self.batch_size(operation)  # refuses an unknown operation
        if not records:
            return []
        return self._writer(self.api(), self.retry_policy).write(target, operation, records)

    def describe_objects(self) -> list[ObjectSpec]:
        """The standard record types with their fields, merged with the account's custom fields and
        custom record types from the REST metadata catalog."""
        return catalog.describe(self._rest_client(self.retry_policy), self.concurrency_limit(), SYNC_MODES)

    def test_connection(self) -> None:
        """Log in and read: a SOAP getList tells a wrong account, wrong keys and a missing permission
        apart; with api=rest the REST metadata catalog must answer to the same token as well."""
        writer = self._writer("soap", CONNECTION_TEST_POLICY)
        writer.ping()
        if self.api() == "rest":
            self._rest_client(CONNECTION_TEST_POLICY).get_json("/metadata-catalog")

    def _record_type(self, object_type: str) -> RecordType:
        try:
            return record_type(object_type)
        except LookupError as error:
            raise PermanentError(str(error)) from None

    def _writer(self, api: str, policy: RetryPolicy) -> SoapWriter | RestWriter:
        with self._writers_lock:
            key = (api, policy)
            if key not in self._writers:
                self._writers[key] = self._soap_writer(policy) if api == "soap" else self._rest_writer(policy)
            return self._writers[key]

    def _soap_writer(self, policy: RetryPolicy) -> SoapWriter:
        endpoint = self._endpoint()
        schema = schema_for(self.wsdl_url(), self.wsdl_version(), endpoint, policy)
        connection = SoapConnection(schema, endpoint, self._credentials(), self.wsdl_version())
        return SoapWriter(connection, policy, self._custom_record_type_id)

    def _rest_writer(self, policy: RetryPolicy) -> RestWriter:
        return RestWriter(self._rest_client(policy), self.concurrency_limit())

    def _rest_client(self, policy: RetryPolicy) -> RestClient:
        return RestClient(self._endpoint(), self._credentials(), policy)

    def _custom_record_type_id(self, script_id: str) -> str:
        return catalog.custom_record_type_id(self._rest_client(self.retry_policy), script_id)

    def _endpoint(self) -> Endpoint:
        return Endpoint(
            account_id=self._account_id(),
            base_url=self.base_url(),
            concurrency_limit=self.concurrency_limit(),
            timeout=self.timeout,
        )

    def _account_id(self) -> str:
        account_id = str(self.config.get("account_id") or "").strip()
        if not account_id:
            raise PermanentError("Set the NetSuite account ID (e.g. 1234567 or 1234567_SB1).")
        return account_id

    def _credentials(self) -> auth.Credentials:
        missing = [name for name in CREDENTIAL_NAMES if not self.credentials.get(name)]
        if missing:
            labels = {setting.name: setting.label for setting in self.settings}
            raise PermanentError(
                f"Set the {', '.join(labels[name] for name in missing)} of the NetSuite destination."
            )
        return auth.Credentials(
            account_id=self._account_id(),
            consumer_key=self.credentials["consumer_key"],
            consumer_secret=self.credentials["consumer_secret"],
            token_id=self.credentials["token_id"],
            token_secret=self.credentials["token_secret"],
        )

"""The NetSuite destination: its settings, account host derivation and validation.

The SOAP and REST writers arrive with the NetSuite adapter issue; until then the write methods are
the base interface's, which raise NotImplementedError.
"""

import re
from typing import ClassVar

from destinations.adapters import Adapter, Setting

ACCOUNT_ID = re.compile(r"^\d+(_[A-Za-z]+\d*)?$")
DEFAULT_WSDL_VERSION = "2023_2"


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

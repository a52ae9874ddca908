"""How the sandbox misbehaves on purpose: latency, injected faults and record rejection rules.

Set through `POST /_sandbox/behaviour`; a new body replaces the whole behaviour.
"""

import random
import re
from dataclasses import dataclass, field
from typing import Any

from netsuite.sandbox.accounts import ConfigError

HTTP_FAULTS = {"http_500": 500, "http_502": 502, "http_503": 503}
# Every kind but answer_lost changes no record. answer_lost carries the call out, then hangs up
# unanswered: a client whose read timed out after NetSuite committed (what idempotent retries are for).
FAULT_KINDS = (*HTTP_FAULTS, "concurrency", "timeout", "drop", "answer_lost")
# Per-record codes a rejection rule may answer: real NetSuite status codes (StatusDetailCodeType),
# so that every response stays valid against NetSuite's schema.
REJECTION_CODES = frozenset(
    {
        "DUP_ENTITY",
        "DUP_RCRD",
        "INSUFFICIENT_PERMISSION",
        "INVALID_CSTM_FIELD_REF",
        "INVALID_DATE",
        "INVALID_EMAIL",
        "INVALID_FLD_VALUE",
        "INVALID_KEY_OR_REF",
        "INVALID_NUMBER",
        "INVALID_PHONE",
        "INVALID_RCRD_REF",
        "INVALID_REF_KEY",
        "MISSING_REQD_FLD",
        "UNEXPECTED_ERROR",
        "USER_ERROR",
    }
)


@dataclass(frozen=True)
class RejectionRule:
    record_type: str  # a record type key, or "*" for every type
    field: str  # a field id, a custom field script id, or "externalId"
    pattern: re.Pattern[str]
    code: str
    message: str | None

    def rejects(
        self, record_type: str, external_id: str | None, values: dict[str, Any]
    ) -> tuple[str, str] | None:
        if self.record_type not in ("*", record_type):
            return None
        value = external_id if self.field == "externalId" else values.get(self.field)
        if value is None:
            return None
        text = _as_text(value)
        if not self.pattern.search(text):
            return None
        message = self.message or (
            f"You have entered an Invalid Field Value {text} for the following field: {self.field}"
        )
        return self.code, message


def _as_text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("externalId") or value.get("internalId") or "")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class Behaviour:
    latency_ms: float = 0
    latency_jitter_ms: float = 0
    fault_rate: float = 0
    faults: tuple[str, ...] = ("http_503",)
    timeout_hold_seconds: float = 5
    reject: tuple[RejectionRule, ...] = ()
    seed: int | None = None
    body: dict[str, Any] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random, repr=False)

    @classmethod
    def from_body(cls, body: Any) -> "Behaviour":
        if not isinstance(body, dict):
            raise ConfigError("The behaviour body must be a JSON object.")
        allowed = {
            "latency_ms",
            "latency_jitter_ms",
            "fault_rate",
            "faults",
            "timeout_hold_seconds",
            "reject",
            "seed",
        }
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise ConfigError(f"Unknown behaviour setting(s): {', '.join(unknown)}.")
        fault_rate = _number(body, "fault_rate", 0)
        if not 0 <= fault_rate <= 1:
            raise ConfigError("fault_rate must be between 0 and 1.")
        faults = body.get("faults", ["http_503"])
        if not isinstance(faults, list) or not faults or any(kind not in FAULT_KINDS for kind in faults):
            raise ConfigError(f"faults must be a non-empty list of: {', '.join(FAULT_KINDS)}.")
        seed = body.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ConfigError("seed must be a whole number.")
        rules = body.get("reject", [])
        if not isinstance(rules, list):
            raise ConfigError("reject must be a list of rules.")
        return cls(
            latency_ms=_number(body, "latency_ms", 0),
            latency_jitter_ms=_number(body, "latency_jitter_ms", 0),
            fault_rate=fault_rate,
            faults=tuple(faults),
            timeout_hold_seconds=_number(body, "timeout_hold_seconds", 5),
            reject=tuple(_rule(rule) for rule in rules),
            seed=seed,
            body=body,
            rng=random.Random(seed),
        )

    def latency_seconds(self) -> float:
        jitter = (
            self.rng.uniform(-self.latency_jitter_ms, self.latency_jitter_ms) if self.latency_jitter_ms else 0
        )
        return max(0.0, self.latency_ms + jitter) / 1000

    def pick_fault(self) -> str | None:
        """The fault to inject into this call, if any."""
        if self.fault_rate <= 0 or self.rng.random() >= self.fault_rate:
            return None
        return self.rng.choice(self.faults)

    def rejection(
        self, record_type: str, external_id: str | None, values: dict[str, Any]
    ) -> tuple[str, str] | None:
        for rule in self.reject:
            rejected = rule.rejects(record_type, external_id, values)
            if rejected:
                return rejected
        return None


def _number(body: dict, key: str, default: float) -> float:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{key} must be a number, zero or more.")
    return float(value)


def _rule(rule: Any) -> RejectionRule:
    if not isinstance(rule, dict):
        raise ConfigError("Each reject rule must be an object.")
    unknown = sorted(set(rule) - {"record_type", "field", "pattern", "code", "message"})
    if unknown:
        raise ConfigError(f"Unknown reject rule setting(s): {', '.join(unknown)}.")
    record_type = rule.get("record_type", "*")
    field_name = rule.get("field")
    if not isinstance(record_type, str) or not isinstance(field_name, str) or not field_name:
        raise ConfigError("A reject rule needs a field (and a record_type, or '*' for all).")
    try:
        pattern = re.compile(str(rule.get("pattern", "")))
    except re.error as error:
        raise ConfigError(f"Reject rule pattern: {error}.") from None
    code = rule.get("code", "INVALID_FLD_VALUE")
    if code not in REJECTION_CODES:
        raise ConfigError(f"A reject rule's code must be one of: {', '.join(sorted(REJECTION_CODES))}.")
    message = rule.get("message")
    if message is not None and not isinstance(message, str):
        raise ConfigError("A reject rule's message must be a string.")
    return RejectionRule(record_type, field_name, pattern, code, message)

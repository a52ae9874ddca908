"""Token-based authentication (TBA): the SOAP tokenPassport signature and OAuth 1.0a for REST.

Secrets live only in `Credentials` and in the signing calls below; nothing here logs, and
`Credentials.__repr__` hides them so that an accidental `%r` cannot leak them.
"""

import base64
import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass, field

from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256
from requests_oauthlib import OAuth1

NONCE_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# These modules log signature base strings, signatures and signed headers at DEBUG.
SIGNING_LOGGERS = (
    "oauthlib.oauth1.rfc5849",
    "oauthlib.oauth1.rfc5849.signature",
    "requests_oauthlib.oauth1_auth",
)


def _drop_debug_records(record: logging.LogRecord) -> bool:
    return record.levelno > logging.DEBUG


for _name in SIGNING_LOGGERS:
    logging.getLogger(_name).addFilter(_drop_debug_records)


@dataclass(frozen=True)
class Credentials:
    account_id: str
    consumer_key: str
    consumer_secret: str = field(repr=False)
    token_id: str
    token_secret: str = field(repr=False)

    def __repr__(self) -> str:  # the key and token IDs identify an integration; keep them out too
        return f"Credentials(account_id={self.account_id!r})"


@dataclass(frozen=True)
class Passport:
    """The values of one SOAP tokenPassport header; a fresh nonce and timestamp for each request."""

    account: str
    consumer_key: str
    token: str
    nonce: str
    timestamp: int
    signature: str = field(repr=False)


def passport_signature(
    *,
    account: str,
    consumer_key: str,
    token: str,
    nonce: str,
    timestamp: int,
    consumer_secret: str,
    token_secret: str,
) -> str:
    """Base64(HMAC-SHA256(key="consumerSecret&tokenSecret", "account&consumerKey&token&nonce&timestamp"))."""
    key = f"{consumer_secret}&{token_secret}".encode()
    message = f"{account}&{consumer_key}&{token}&{nonce}&{timestamp}".encode()
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def new_nonce(length: int = 32) -> str:
    """NetSuite wants 6 to 64 alphanumerics, unique per token within the timestamp window."""
    return "".join(secrets.choice(NONCE_ALPHABET) for _ in range(length))


def passport(credentials: Credentials, *, nonce: str = "", timestamp: int = 0) -> Passport:
    nonce = nonce or new_nonce()
    timestamp = timestamp or int(time.time())
    return Passport(
        account=credentials.account_id,
        consumer_key=credentials.consumer_key,
        token=credentials.token_id,
        nonce=nonce,
        timestamp=timestamp,
        signature=passport_signature(
            account=credentials.account_id,
            consumer_key=credentials.consumer_key,
            token=credentials.token_id,
            nonce=nonce,
            timestamp=timestamp,
            consumer_secret=credentials.consumer_secret,
            token_secret=credentials.token_secret,
        ),
    )


def rest_auth(credentials: Credentials) -> OAuth1:
    """OAuth 1.0a, HMAC-SHA256, realm = the account ID as NetSuite writes it (1234567_SB1).

    requests-oauthlib does not sign JSON bodies, which is what NetSuite expects.
    """
    return OAuth1(
        client_key=credentials.consumer_key,
        client_secret=credentials.consumer_secret,
        resource_owner_key=credentials.token_id,
        resource_owner_secret=credentials.token_secret,
        signature_method=SIGNATURE_HMAC_SHA256,
        realm=credentials.account_id,
    )

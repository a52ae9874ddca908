"""Token-based authentication as NetSuite checks it: SOAP tokenPassport and REST OAuth 1.0a.

Both sign with HMAC-SHA256 under the key `consumerSecret&tokenSecret`. SOAP signs
`account&consumerKey&token&nonce&timestamp`; REST signs the OAuth 1.0a base string (method, URL,
query and oauth_* parameters; a JSON body is not signed). A timestamp more than 300 s from the
sandbox's clock is stale, and a nonce seen before for the same token within that window is a replay.
Nothing here logs a credential.
"""

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from oauthlib.oauth1.rfc5849 import signature as oauth_signature
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header, unescape

from netsuite.sandbox.accounts import Account, Token

TIMESTAMP_WINDOW_SECONDS = 300
PASSPORT_NONCE = re.compile(r"^[A-Za-z0-9]{6,64}$")
SIGNATURE_ALGORITHM = "HMAC-SHA256"
UNKNOWN_ACCOUNT, BAD_CREDENTIALS = "unknown_account", "bad_credentials"


class AuthError(Exception):
    """Authentication refused; `reason` says whether the account or the credentials were wrong."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)  # what was wrong, for the sandbox's own log; never a secret
        self.reason = reason


@dataclass
class Passport:
    account: str
    consumer_key: str
    token: str
    nonce: str
    timestamp: str
    signature: str
    algorithm: str


def passport_signature(passport: Passport, consumer_secret: str, token_secret: str) -> str:
    message = "&".join(
        (passport.account, passport.consumer_key, passport.token, passport.nonce, passport.timestamp)
    )
    digest = hmac.new(f"{consumer_secret}&{token_secret}".encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class Authenticator:
    def __init__(self, find_account: Callable[[str], Account | None], clock: Callable[[], float] = time.time):
        self.find_account = find_account
        self.clock = clock
        self._nonces: dict[tuple[str, str], dict[str, float]] = {}
        self._recorded = 0

    def verify_passport(self, passport: Passport) -> tuple[Account, Token]:
        # NetSuite account IDs are written in upper case; a passport may carry them either way.
        account = self.find_account(passport.account) or self.find_account(passport.account.upper())
        if account is None:
            raise AuthError(UNKNOWN_ACCOUNT, "no such account")
        token = self._token(account, passport.token, passport.consumer_key)
        if passport.algorithm != SIGNATURE_ALGORITHM:
            raise AuthError(BAD_CREDENTIALS, "signature algorithm is not HMAC-SHA256")
        expected = passport_signature(passport, token.consumer_secret, token.token_secret)
        if not hmac.compare_digest(expected.encode(), passport.signature.strip().encode()):
            raise AuthError(BAD_CREDENTIALS, "signature mismatch")
        if not PASSPORT_NONCE.match(passport.nonce):
            raise AuthError(BAD_CREDENTIALS, "nonce is not 6 to 64 letters and digits")
        self._fresh(account, token, passport.nonce, passport.timestamp)
        return account, token

    def verify_oauth(
        self, method: str, url: str, authorization: str | None, form_body: str | None
    ) -> tuple[Account, Token]:
        """Check an OAuth 1.0a Authorization header; `url` is the full URL the client asked for."""
        if not authorization or not authorization.lower().startswith("oauth "):
            raise AuthError(BAD_CREDENTIALS, "no OAuth Authorization header")
        try:
            header_params = [(unescape(k), unescape(v)) for k, v in parse_authorization_header(authorization)]
        except ValueError:
            raise AuthError(BAD_CREDENTIALS, "malformed OAuth header") from None
        params = dict(header_params)
        # The realm is the account ID exactly as NetSuite writes it (upper case, underscore).
        account = self.find_account(params.get("realm", ""))
        if account is None:
            raise AuthError(UNKNOWN_ACCOUNT, "no such account (realm)")
        token = self._token(account, params.get("oauth_token", ""), params.get("oauth_consumer_key", ""))
        if params.get("oauth_signature_method") != SIGNATURE_ALGORITHM:
            raise AuthError(BAD_CREDENTIALS, "signature method is not HMAC-SHA256")
        # The signed parameters (RFC 5849 3.4.1.3): the query, a form body, and the header's oauth_*
        # parameters except the signature and the realm.
        collected = [(k, v) for k, v in header_params if k not in ("oauth_signature", "realm")]
        collected += parse_qsl(urlsplit(url).query, keep_blank_values=True)
        if form_body:
            collected += parse_qsl(form_body, keep_blank_values=True)
        base_string = oauth_signature.signature_base_string(
            method.upper(),
            oauth_signature.base_string_uri(url),
            oauth_signature.normalize_parameters(collected),
        )
        expected = oauth_signature.sign_hmac_sha256(base_string, token.consumer_secret, token.token_secret)
        if not hmac.compare_digest(expected.encode(), params.get("oauth_signature", "").encode()):
            raise AuthError(BAD_CREDENTIALS, "signature mismatch")
        nonce = params.get("oauth_nonce", "")
        if not nonce:
            raise AuthError(BAD_CREDENTIALS, "no nonce")
        self._fresh(account, token, nonce, params.get("oauth_timestamp", ""))
        return account, token

    def forget(self, account_id: str | None = None) -> None:
        if account_id is None:
            self._nonces.clear()
        else:
            for key in [key for key in self._nonces if key[0] == account_id]:
                del self._nonces[key]

    def _token(self, account: Account, token_id: str, consumer_key: str) -> Token:
        token = account.tokens.get(token_id)
        if token is None or not hmac.compare_digest(token.consumer_key.encode(), consumer_key.encode()):
            raise AuthError(BAD_CREDENTIALS, "unknown token or consumer key")
        return token

    def _fresh(self, account: Account, token: Token, nonce: str, timestamp: str) -> None:
        try:
            stamp = int(timestamp)
        except ValueError:
            raise AuthError(BAD_CREDENTIALS, "timestamp is not a number") from None
        now = self.clock()
        if abs(now - stamp) > TIMESTAMP_WINDOW_SECONDS:
            raise AuthError(BAD_CREDENTIALS, "stale timestamp")
        seen = self._nonces.setdefault((account.account_id, token.token_id), {})
        expiry = seen.get(nonce)
        if expiry is not None and expiry > now:
            raise AuthError(BAD_CREDENTIALS, "nonce reused")
        # Past this, a replay would carry a stale timestamp anyway.
        seen[nonce] = now + 2 * TIMESTAMP_WINDOW_SECONDS
        self._recorded += 1
        if self._recorded % 10_000 == 0:
            self._prune(now)

    def _prune(self, now: float) -> None:
        for seen in self._nonces.values():
            for nonce in [nonce for nonce, expiry in seen.items() if expiry <= now]:
                del seen[nonce]

"""Token-based authentication: the SOAP tokenPassport signature and the REST OAuth 1.0a header."""

import base64
import hashlib
import hmac
import re
from urllib.parse import quote

import requests

from netsuite import auth

CREDENTIALS = auth.Credentials(
    account_id="1234567_SB1",
    consumer_key="ck-0123456789",
    consumer_secret="cs-secret-abcdef",
    token_id="tk-9876543210",
    token_secret="ts-secret-fedcba",
)


def expected_signature(key: str, message: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()).decode()


def test_the_passport_signature_is_hmac_sha256_of_the_account_keys_nonce_and_timestamp():
    passport = auth.passport(CREDENTIALS, nonce="fixedNonce42", timestamp=1_700_000_000)

    assert passport.signature == expected_signature(
        "cs-secret-abcdef&ts-secret-fedcba",
        "1234567_SB1&ck-0123456789&tk-9876543210&fixedNonce42&1700000000",
    )
    assert passport.signature == "kRmrFHQDJEI0HGuNgsoTRpQSGvZl9NE7JWEdV+00GDk="
    assert (passport.account, passport.consumer_key, passport.token) == (
        "1234567_SB1",
        "ck-0123456789",
        "tk-9876543210",
    )


def test_every_passport_has_a_fresh_alphanumeric_nonce_and_the_current_time():
    first, second = auth.passport(CREDENTIALS), auth.passport(CREDENTIALS)

    assert first.nonce != second.nonce
    assert re.fullmatch(r"[A-Za-z0-9]{6,64}", first.nonce)
    assert abs(first.timestamp - second.timestamp) <= 1


def test_credentials_and_passports_never_show_their_secrets():
    passport = auth.passport(CREDENTIALS)

    for shown in (repr(CREDENTIALS), str(CREDENTIALS), repr(passport)):
        assert "secret" not in shown
        assert passport.signature not in shown


def oauth_header_params(header: str | bytes) -> dict[str, str]:
    header = header.decode() if isinstance(header, bytes) else header
    assert header.startswith("OAuth ")
    pairs = re.findall(r'(\w+)="([^"]*)"', header)
    return {name: requests.utils.unquote(value) for name, value in pairs}


def test_rest_requests_carry_an_oauth_header_signed_with_hmac_sha256_for_the_account_realm():
    url = "http://127.0.0.1:8765/services/rest/record/v1/customer/eid:cust-1"
    request = requests.Request(
        "PUT", url, data=b'{"companyName": "Acme"}', headers={"Content-Type": "application/json"}
    )
    prepared = request.prepare()
    auth.rest_auth(CREDENTIALS)(prepared)
    params = oauth_header_params(prepared.headers["Authorization"])

    assert params["realm"] == "1234567_SB1"
    assert params["oauth_signature_method"] == "HMAC-SHA256"
    assert params["oauth_consumer_key"] == "ck-0123456789"
    assert params["oauth_token"] == "tk-9876543210"
    assert "oauth_body_hash" not in params  # the JSON body is not signed
    signed = sorted((k, v) for k, v in params.items() if k not in ("realm", "oauth_signature"))
    normalized = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in signed)
    base_string = "&".join(quote(part, safe="~") for part in ("PUT", url, normalized))
    assert params["oauth_signature"] == expected_signature("cs-secret-abcdef&ts-secret-fedcba", base_string)

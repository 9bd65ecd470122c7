"""Log-in throttling that a stranger cannot turn into a lockout.

Failed log-ins are counted three ways (Flask-Limiter, in Redis when several servers run):

* per account and client: a few a minute. The client is the device when it signed in to this
  account before, else its network address;
* per network address over all accounts (password spraying), and
* per account over all addresses (guessing one account from many addresses).

A device that signed in to an account before carries a signed "known device" cookie naming it,
and is held back only by the first count, its own. So a stranger's wrong guesses lock the
account for other unknown devices only: the owner signs in from a phone or laptop used before,
or from a new one after a password reset by e-mail (which marks that device as known).

The client's address is ``request.remote_addr``, set from X-Forwarded-For by ProxyFix for the
EXPO_PROXY_COUNT proxies Expo trusts (see ``create_app``)."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Response, current_app, g, request
from itsdangerous import BadData, URLSafeSerializer

DEVICE_COOKIE = "expo_device"
DEVICE_COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
DEVICE_ACCOUNTS = 10  # accounts one device remembers signing in to


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="expo-known-device")


def _email() -> str:
    return (request.form.get("email") or "").strip().lower()


def _account_tag(email: str) -> str:
    """Names the account in the cookie without writing its address there."""
    return hmac.new(current_app.config["SECRET_KEY"].encode(), email.encode(), hashlib.sha256).hexdigest()[:16]


def _device() -> dict:
    try:
        data = _serializer().loads(request.cookies.get(DEVICE_COOKIE, ""))
    except BadData:
        return {}
    return data if isinstance(data, dict) else {}


def known_device() -> str | None:
    """This device's id when it signed in to the account named in the form before."""
    if "known_device" not in g:
        device = _device()
        accounts = device.get("a") or []
        g.known_device = device.get("d") if _account_tag(_email()) in accounts else None
    return g.known_device


def remember_device(response: Response, email: str) -> Response:
    """Mark this device as one that signed in to the account (after a successful log-in)."""
    device = _device()
    tag = _account_tag(email.strip().lower())
    accounts = [a for a in device.get("a") or [] if a != tag][-(DEVICE_ACCOUNTS - 1):] + [tag]
    value = _serializer().dumps({"d": device.get("d") or secrets.token_urlsafe(16), "a": accounts})
    response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                        secure=current_app.config["SECURE_COOKIES"], path="/account/")
    return response


def client_key() -> str:
    return f"login:{known_device() or request.remote_addr}:{_email()}"


def address_key() -> str:
    return f"login-address:{request.remote_addr}"


def account_key() -> str:
    return f"login-account:{_email()}"


def is_known_device() -> bool:
    return known_device() is not None


def failed(response: Response) -> bool:
    """Only failed attempts count (a log-in that succeeds redirects)."""
    return request.method == "POST" and response.status_code != 302


def config_limit(name: str):
    """A limit read from the configuration when a request comes (tests change it per app)."""
    return lambda: current_app.config[name]

"""Downloading a schedule from the address an organiser gave (a pretalx or frab export).

Only http and https; a short time-out and a size limit; at most a few redirects, each checked
again. The host's addresses are resolved once, refused when any is private, loopback,
link-local or otherwise not on the public internet (unless ``SCHEDULE_FETCH_PRIVATE`` allows
them), and the connection goes to the address that was checked, so a name that resolves
differently a moment later cannot lead Expo into its own network. Every failure is a
``FetchFailed`` with a message for the organiser."""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urljoin, urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l

from expo.core.errors import ExpoError

MAX_REDIRECTS = 3


class FetchFailed(ExpoError):
    """The schedule could not be downloaded; the message says why."""


def check_url(url: str) -> str:
    """The address, if it is one Expo may fetch: http or https, with a host."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchFailed(_l("Give the schedule's address, starting with https:// or http://."), field="url")
    if len(url) > 2000:
        raise FetchFailed(_l("The address is longer than %(max)s characters.", max=2000), field="url")
    return url


def _public_address(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchFailed(_l("The server “%(host)s” cannot be found.", host=host)) from None
    addresses = [info[4][0] for info in infos]
    if not current_app.config["SCHEDULE_FETCH_PRIVATE"]:
        for address in addresses:
            if not ipaddress.ip_address(address.split("%")[0]).is_global:
                raise FetchFailed(_l("Expo does not fetch schedules from private or local addresses (%(host)s).",
                                     host=host))
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def fetch(url: str) -> bytes:
    """The body at ``url`` (following a few redirects), or FetchFailed."""
    config = current_app.config
    limit, timeout = config["SCHEDULE_FETCH_MAX_BYTES"], float(config["SCHEDULE_FETCH_TIMEOUT"])
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(check_url(url))
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = _public_address(parts.hostname or "", port)
        kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
        connection = kind(parts.hostname or "", port, address, timeout)
        response = None
        try:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request("GET", path, headers={
                "User-Agent": "Expo schedule import", "Accept": "application/xml, application/json, text/xml, */*",
            })
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location", ""))
                continue
            if response.status != 200:
                raise FetchFailed(_l("The server answered %(status)s %(reason)s: check the address.",
                                     status=response.status, reason=response.reason))
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > limit:
                raise _too_big(limit)
            body = response.read(limit + 1)
            if len(body) > limit:
                raise _too_big(limit)
            return body
        except (TimeoutError, socket.timeout):
            raise FetchFailed(_l("The server did not answer within %(seconds)s seconds.", seconds=int(timeout))) from None
        except ssl.SSLError:
            raise FetchFailed(_l("The server's certificate cannot be trusted.")) from None
        except (OSError, http.client.HTTPException):
            raise FetchFailed(_l("The schedule cannot be downloaded: the server cannot be reached.")) from None
        finally:
            if response is not None:
                response.close()
            connection.close()
    raise FetchFailed(_l("The address redirects too many times."))


def _too_big(limit: int) -> FetchFailed:
    return FetchFailed(_l("The schedule is larger than %(limit)s MB.", limit=limit // 2**20))

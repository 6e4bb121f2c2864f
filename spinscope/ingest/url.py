"""Fetching http(s) URLs without reaching into private networks.

Every hop (the URL and each redirect, followed here, not by httpx) is resolved with
`socket.getaddrinfo`; if any address is private, loopback, link-local, reserved, multicast or
unspecified the URL is refused with `BlockedURLError`, unless `allow_private` is set. The
connection then goes to a checked address (the Host header and TLS server name stay the
URL's host), so a second DNS answer cannot swap in another address.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import time
from typing import Literal

import httpx

from spinscope.errors import BlockedURLError, InputError
from spinscope.ingest.base import IngestOptions
from spinscope.ingest.text import looks_like_html, over_cap
from spinscope.version import __version__

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Kind = Literal["html", "text"]

_KINDS: dict[str, Kind] = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
}
_HEADERS = {
    "User-Agent": f"spinscope/{__version__}",
    "Accept": "text/html, application/xhtml+xml, text/plain;q=0.9",
}


@dataclasses.dataclass(frozen=True)
class Fetched:
    """A fetched body. `url` is the final URL after redirects; `charset` is from the header."""

    url: str
    data: bytes
    kind: Kind
    charset: str | None
    notes: tuple[str, ...] = ()


def blocked_reason(address: IPAddress) -> str | None:
    """Why `address` is refused without `allow_private` (e.g. "loopback"), or None if public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    checks = (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("unspecified", address.is_unspecified),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("non-public", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def resolve(url: httpx.URL, source: str, allow_private: bool, hop: int = 0) -> list[str]:
    """The addresses of `url`'s host; BlockedURLError if any is refused.

    `hop` counts redirects so far, for the message.
    """
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise InputError(source, f"cannot resolve host {host!r}: {exc}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private:
        where = f"host {host!r}" if hop == 0 else f"redirect {hop} to {url}"
        for address in addresses:
            reason = blocked_reason(ipaddress.ip_address(address))
            if reason:
                raise BlockedURLError(
                    source,
                    f"{where} resolves to {address}, a {reason} address; refused "
                    f"(allow it with --allow-private or IngestOptions(allow_private=True))",
                )
    return addresses


def _open(
    client: httpx.Client, url: httpx.URL, source: str, allow_private: bool, hop: int
) -> httpx.Response:
    """Send a GET for `url` to one of its checked addresses; the response is streamed."""
    if url.scheme not in ("http", "https"):
        raise InputError(source, f"{url} is not an http(s) URL")
    error: Exception = InputError(source, f"host {url.host!r} has no address")
    for address in resolve(url, source, allow_private, hop):
        request = client.build_request(
            "GET",
            url.copy_with(host=address),
            headers={"Host": url.netloc.decode("ascii")},
            extensions={"sni_hostname": url.raw_host.decode("ascii")},
        )
        try:
            return client.send(request, stream=True)
        except httpx.ConnectError as exc:
            error = exc
    raise error


def _body(
    response: httpx.Response, url: httpx.URL, source: str, options: IngestOptions, deadline: float
) -> Fetched:
    if not response.is_success:
        status = f"{response.status_code} {response.reason_phrase}"
        raise InputError(source, f"got HTTP {status} from {url}")
    media_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    kind = _KINDS.get(media_type)
    if kind is None and media_type:
        raise InputError(
            source, f"has content type {media_type!r}; only HTML and plain text can be read"
        )
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > options.max_bytes:
        raise InputError(source, over_cap(int(length), options.max_bytes))
    data = bytearray()
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) > options.max_bytes:
            raise InputError(source, over_cap(None, options.max_bytes))
        if time.monotonic() > deadline:
            raise InputError(source, f"took longer than {options.timeout:g} s to download")
    if not data:
        raise InputError(source, "returned an empty body")
    if kind is None:
        kind = "html" if looks_like_html(bytes(data)) else "text"
    return Fetched(url=str(url), data=bytes(data), kind=kind, charset=response.charset_encoding)


def fetch(source: str, options: IngestOptions) -> Fetched:
    """Fetch an http(s) URL within the options' timeout, size cap and address policy."""
    deadline = time.monotonic() + options.timeout
    try:
        url = httpx.URL(source)
        with httpx.Client(timeout=options.timeout, headers=_HEADERS) as client:
            for hop in range(options.max_redirects + 1):
                response = _open(client, url, source, options.allow_private, hop)
                try:
                    if not response.is_redirect:
                        page = _body(response, url, source, options, deadline)
                        notes = (f"redirected to {page.url}",) if hop else ()
                        return dataclasses.replace(page, notes=notes)
                    url = url.join(response.headers["location"])
                finally:
                    response.close()
    except httpx.TimeoutException as exc:
        raise InputError(source, f"timed out after {options.timeout:g} s") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise InputError(source, f"could not be fetched: {exc}") from exc
    raise InputError(source, f"redirects more than {options.max_redirects} times")

"""Ingest from http(s) URLs: address checks, redirects, content types and the size cap.

Every request goes to a local server on 127.0.0.1; refused addresses are refused before any
connection is made.
"""

from __future__ import annotations

import contextlib
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from spinscope.errors import BlockedURLError, InputError
from spinscope.ingest import IngestOptions, Loaded, read
from spinscope.ingest import url as url_module

ALLOW = IngestOptions(allow_private=True)
PAGE = (
    "<!DOCTYPE html><html><head><title>Minister defends plan</title></head><body><article>"
    "<h1>Minister defends plan</h1>"
    "<p>The minister said on Tuesday that the plan will work, according to officials.</p>"
    "<p>Critics claimed the cost was far higher than admitted, citing internal documents.</p>"
    "</article></body></html>"
)
PAGE_TEXT = (
    "Minister defends plan\n"
    "The minister said on Tuesday that the plan will work, according to officials.\n"
    "Critics claimed the cost was far higher than admitted, citing internal documents."
)


@dataclass
class Route:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    length: bool = True  # send a Content-Length header
    delay: float = 0.0


@dataclass
class Server:
    base: str
    routes: dict[str, Route]
    requests: list[tuple[str, str]]  # (path, Host header)


@contextlib.contextmanager
def serve(tls: ssl.SSLContext | None = None) -> Iterator[Server]:
    """A local HTTP(S) server on 127.0.0.1 that answers from `routes` and logs each request."""
    routes: dict[str, Route] = {}
    requests: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append((self.path, self.headers.get("Host", "")))
            route = routes.get(self.path, Route(404, {"Content-Type": "text/plain"}, b"not found"))
            time.sleep(route.delay)
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.length:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            with contextlib.suppress(ConnectionError):  # the client may stop reading early
                self.wfile.write(route.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    if tls:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    scheme = "https" if tls else "http"
    try:
        yield Server(f"{scheme}://127.0.0.1:{httpd.server_address[1]}", routes, requests)
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    with serve() as running:
        yield running


def html(body: str = PAGE, **headers: str) -> Route:
    return Route(
        headers={"Content-Type": "text/html; charset=utf-8", **headers}, body=body.encode("utf-8")
    )


def only(items: list[Loaded | InputError]) -> Loaded | InputError:
    assert len(items) == 1, items
    return items[0]


def loaded(source: str, options: IngestOptions = ALLOW) -> Loaded:
    item = only(list(read(source, options)))
    assert isinstance(item, Loaded), item
    return item


def failed(source: str, options: IngestOptions = ALLOW) -> InputError:
    item = only(list(read(source, options)))
    assert isinstance(item, InputError), item
    return item


# --- refused addresses --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://10.0.0.1/admin", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]:8080/", "loopback"),
        ("http://0.0.0.0/", "unspecified"),
        ("https://[::ffff:127.0.0.1]/", "loopback"),
        ("http://224.0.0.1/", "multicast"),
        ("http://100.64.0.1/", "non-public"),
    ],
)
def test_private_addresses_are_refused(url: str, kind: str) -> None:
    err = failed(url, IngestOptions())
    assert isinstance(err, BlockedURLError)
    assert err.source == url
    assert str(err).startswith(url)
    assert f"a {kind} address; refused" in err.reason
    assert "--allow-private" in err.reason


def test_public_address_is_not_refused() -> None:
    assert url_module.blocked_reason(ipaddress.ip_address("93.184.216.34")) is None
    assert url_module.blocked_reason(ipaddress.ip_address("2606:2800:220:1::1")) is None


def fake_dns(monkeypatch: pytest.MonkeyPatch, names: dict[str, str]) -> None:
    """Make `getaddrinfo` answer `names` (host -> IPv4 address); other hosts resolve as usual."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_host_that_resolves_to_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_dns(monkeypatch, {"intranet.test": "10.1.2.3"})
    err = failed("http://intranet.test/wiki", IngestOptions())
    assert isinstance(err, BlockedURLError)
    assert str(err) == (
        "http://intranet.test/wiki: host 'intranet.test' resolves to 10.1.2.3, a private "
        "address; refused (allow it with --allow-private or IngestOptions(allow_private=True))"
    )


def test_unresolvable_host(monkeypatch: pytest.MonkeyPatch) -> None:
    def getaddrinfo(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    err = failed("http://no-such-host.test/")
    assert "cannot resolve host 'no-such-host.test'" in err.reason


# --- fetching from the local server -------------------------------------------------------


def test_html_page(server: Server) -> None:
    server.routes["/news/minister"] = html()
    result = loaded(f"{server.base}/news/minister")
    assert result.article.title == "Minister defends plan"
    assert result.article.text == PAGE_TEXT
    assert result.article.url == f"{server.base}/news/minister"
    assert result.notes == ()


def test_canonical_url_wins(server: Server) -> None:
    page = PAGE.replace("</head>", '<link rel="canonical" href="https://example.com/m"></head>')
    server.routes["/m?utm=x"] = html(page)
    assert loaded(f"{server.base}/m?utm=x").article.url == "https://example.com/m"


def test_plain_text(server: Server) -> None:
    body = "Headline here\nThe body, in plain text.\n"
    server.routes["/a.txt"] = Route(headers={"Content-Type": "text/plain"}, body=body.encode())
    article = loaded(f"{server.base}/a.txt").article
    assert article.title == "Headline here"
    assert article.text == body
    assert article.url == f"{server.base}/a.txt"


def test_charset_from_the_header(server: Server) -> None:
    body = "Le café de Zürich\nUn touriste naïve.\n"
    server.routes["/fr"] = Route(
        headers={"Content-Type": "text/plain; charset=ISO-8859-1"}, body=body.encode("latin-1")
    )
    result = loaded(f"{server.base}/fr")
    assert result.article.text == body
    assert result.notes == ("decoded as iso-8859-1 (declared), not UTF-8",)


def test_host_header_and_url_keep_the_host_name(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dns(monkeypatch, {"news.test": "127.0.0.1"})
    port = server.base.rsplit(":", 1)[1]
    server.routes["/story"] = html()
    article = loaded(f"http://news.test:{port}/story").article
    assert article.url == f"http://news.test:{port}/story"
    assert server.requests == [("/story", f"news.test:{port}")]


@pytest.mark.parametrize(
    "content_type", ["application/octet-stream", "image/png", "application/pdf"]
)
def test_wrong_content_type_is_refused(server: Server, content_type: str) -> None:
    server.routes["/file"] = Route(headers={"Content-Type": content_type}, body=b"\x00\x01")
    err = failed(f"{server.base}/file")
    assert err.source == f"{server.base}/file"
    assert err.reason == f"has content type {content_type!r}; only HTML and plain text can be read"


def test_missing_content_type_is_sniffed(server: Server) -> None:
    server.routes["/x"] = Route(body=PAGE.encode())
    assert loaded(f"{server.base}/x").article.text == PAGE_TEXT


@pytest.mark.parametrize("length", [True, False])
def test_oversized_body_is_refused(server: Server, length: bool) -> None:
    server.routes["/big"] = html(PAGE + "<!--" + "x" * 5000 + "-->")
    server.routes["/big"].length = length
    err = failed(f"{server.base}/big", IngestOptions(allow_private=True, max_bytes=1000))
    assert "over the 1,000-byte cap" in err.reason
    if length:
        assert err.reason.startswith(f"is {len(server.routes['/big'].body):,} bytes")


def test_http_error_status(server: Server) -> None:
    err = failed(f"{server.base}/missing")
    assert err.reason == f"got HTTP 404 Not Found from {server.base}/missing"


def test_empty_body(server: Server) -> None:
    server.routes["/empty"] = Route(headers={"Content-Type": "text/html"})
    assert failed(f"{server.base}/empty").reason == "returned an empty body"


def test_timeout(server: Server) -> None:
    server.routes["/slow"] = html()
    server.routes["/slow"].delay = 1.0
    start = time.monotonic()
    err = failed(f"{server.base}/slow", IngestOptions(allow_private=True, timeout=0.2))
    assert err.reason == "timed out after 0.2 s"
    assert time.monotonic() - start < 1.0


# --- redirects ----------------------------------------------------------------------------


def redirect(location: str) -> Route:
    return Route(302, {"Location": location})


def test_redirects_are_followed(server: Server) -> None:
    server.routes["/old"] = redirect("/middle")
    server.routes["/middle"] = redirect(f"{server.base}/new")
    server.routes["/new"] = html()
    result = loaded(f"{server.base}/old")
    assert result.article.text == PAGE_TEXT
    assert result.article.url == f"{server.base}/new"
    assert result.notes == (f"redirected to {server.base}/new",)
    assert [path for path, _ in server.requests] == ["/old", "/middle", "/new"]


def test_redirect_loop_stops(server: Server) -> None:
    server.routes["/loop"] = redirect("/loop")
    err = failed(f"{server.base}/loop")
    assert err.reason == "redirects more than 5 times"
    assert len(server.requests) == 6


def allow_only_127_0_0_1(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat the test server's address as public, so the address check is on for other hops."""
    real: Callable[[url_module.IPAddress], str | None] = url_module.blocked_reason
    local = ipaddress.ip_address("127.0.0.1")
    monkeypatch.setattr(
        url_module, "blocked_reason", lambda address: None if address == local else real(address)
    )


@pytest.mark.parametrize(
    "target", ["http://10.0.0.1/secret", "http://169.254.169.254/latest/meta-data/"]
)
def test_each_redirect_hop_is_checked(
    server: Server, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    allow_only_127_0_0_1(monkeypatch)
    server.routes["/go"] = redirect(target)
    server.routes["/page"] = html()
    assert loaded(f"{server.base}/page", IngestOptions()).article.text == PAGE_TEXT
    err = failed(f"{server.base}/go", IngestOptions())
    assert isinstance(err, BlockedURLError)
    assert err.source == f"{server.base}/go"
    assert err.reason.startswith(f"redirect 1 to {target} resolves to ")
    assert [path for path, _ in server.requests] == ["/page", "/go"]


def test_redirect_to_another_scheme_is_refused(server: Server) -> None:
    server.routes["/file"] = redirect("file:///etc/passwd")
    err = failed(f"{server.base}/file")
    assert err.reason.endswith("/etc/passwd is not an http(s) URL")


# --- HTTPS: the connection goes to the checked address, the certificate is checked by name ---


def self_signed(tmp_path: Path, name: str) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.mark.parametrize(("cert_name", "works"), [("news.test", True), ("other.test", False)])
def test_https_certificate_is_checked_against_the_host_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cert_name: str, works: bool
) -> None:
    cert, key = self_signed(tmp_path, cert_name)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate, and only it
    fake_dns(monkeypatch, {"news.test": "127.0.0.1"})
    with serve(tls) as running:
        running.routes["/story"] = html()
        port = running.base.rsplit(":", 1)[1]
        items = list(read(f"https://news.test:{port}/story", ALLOW))
    item = only(items)
    if works:
        assert isinstance(item, Loaded), item
        assert item.article.text == PAGE_TEXT
        assert item.article.url == f"https://news.test:{port}/story"
        assert running.requests == [("/story", f"news.test:{port}")]
    else:
        assert isinstance(item, InputError)
        assert "could not be fetched" in item.reason
        assert "certificate" in item.reason.lower()
        assert running.requests == []

"""Stage 16 over real sockets: FastAPI under uvicorn and the http.server twin on 127.0.0.1.

One table of HTTP behaviours (methods, query strings, framing, chunked and oversized bodies,
surrogates, huge numbers, uploads, Host names) is sent byte for byte to both servers, which
must give the same status and, for every refusal, the same body. Then the attacks a probe of
these servers found: a body smuggling a second request (desync), slow clients and bodies
declared but never sent (one deadline per request, 408), client resets (one log line), and a
bounded schemathesis run over the OpenAPI schema.
"""

import json
import logging
import socket
import threading
import time
import warnings

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

import journey

service = journey.load_stage("16", "library_impl/serve_fastapi.py")
scratch = journey.load_stage("16", "from_scratch/serve_http_numpy.py")
loadgen = journey.load_stage("16", "_loadgen.py")
contract, guards = service.contract, service.guards  # the modules the service itself reads

SIDE = contract.IMAGE_SIDE
HOST = "127.0.0.1"


@pytest.fixture(scope="module")
def fastapi_port(artefacts):
    """uvicorn (with the deadline protocol) serving the app in a thread of this process."""
    import uvicorn

    app = service.create_app(artefacts, models=service.load_models(artefacts))
    port = loadgen.free_port()
    server = uvicorn.Server(service.uvicorn_config(app, HOST, port, "warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield port
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def twin_port(artefacts):
    server = scratch.make_server(scratch.DigitService(artefacts), HOST, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


PROBE = b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def exchange(port: int, raw: bytes, *, timeout: float = 10.0, method: str = "GET"):
    """Send raw bytes, read one response, then send a probe request on the same connection.

    Returns (status, headers, body, after): ``after`` is everything the server sent after the
    first response — nothing (it closed) or exactly the probe's own /health answer. A server
    that took part of the first request as a request of its own answers that one first.
    """
    import http.client

    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(raw)
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        body = response.read()
        after = b""
        try:
            sock.sendall(PROBE)
            while chunk := sock.recv(65536):
                after += chunk
        except (ConnectionError, TimeoutError):
            pass
        return response.status, dict(response.getheaders()), body, after


def only_the_probe(after: bytes) -> bool:
    return not after or (after.count(b"HTTP/1.1 ") == 1 and b'"status":"ok"' in after)


def request(method, path, body=b"", headers=None, *, host="localhost") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    fields = {"Content-Length": str(len(body))} if body else {}
    fields.update(headers or {})
    lines += [f"{name}: {value}" for name, value in fields.items()]
    head = "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n"
    return head + body


def _digit_json(**extra_fields) -> bytes:
    text = json.dumps({"images": [[[0.0] * SIDE] * SIDE]})
    extras = "".join(f', "{k}": {v}' for k, v in extra_fields.items())
    return (text[:-1] + extras + "}").encode()


JSON = {"Content-Type": "application/json"}
SURROGATE_KEY = b'{"\\udc00": 1, "images": [[[0.0]]]}'
MULTIPART = (
    b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.png"\r\n'
    b"Content-Type: image/png\r\n\r\n\x89PNG\r\n--b--\r\n"
)
# name → (raw request, expected status on both servers)
BEHAVIOURS = {
    "GET /health": (request("GET", "/health"), 200),
    "query string ignored": (request("GET", "/health?x=1&y"), 200),
    "percent-encoded path": (request("GET", "/hea%6Cth"), 200),
    "Host with port": (request("GET", "/health", host="localhost:8000"), 200),
    "HEAD /health": (request("HEAD", "/health"), 405),
    "trailing slash": (request("GET", "/health/"), 404),
    "unknown path": (request("GET", "/nope"), 404),
    "PUT on a GET route": (request("PUT", "/health", b"{}", JSON), 405),
    "DELETE on a POST route": (request("DELETE", "/predict/digit"), 405),
    "made-up method": (request("BREW", "/health"), 405),
    "CORS preflight (no policy)": (
        request(
            "OPTIONS",
            "/predict/digit",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        ),
        405,
    ),
    "GET with a body": (request("GET", "/health", b"ignored"), 200),
    "unknown Host (DNS rebinding)": (request("GET", "/health", host="evil.example"), 400),
    "chunked body": (
        request(
            "POST",
            "/predict/digit",
            b"2\r\n{}\r\n0\r\n\r\n",
            {**JSON, "Transfer-Encoding": "chunked"},
        ),
        411,
    ),
    "Transfer-Encoding gzip": (
        request("POST", "/predict/digit", headers={"Transfer-Encoding": "gzip"}),
        400,
    ),
    "non-ASCII Content-Length": (
        request("POST", "/predict/digit", headers={**JSON, "Content-Length": "\xb2"}),
        400,
    ),
    "two Content-Lengths": (
        request("POST", "/predict/digit", headers={"Content-Length": "1, 2"}) + b"{}",
        400,
    ),
    "empty body": (request("POST", "/predict/digit", headers={**JSON, "Content-Length": "0"}), 422),
    "no content type": (request("POST", "/predict/digit", b'{"images": []}'), 422),
    "malformed JSON": (request("POST", "/predict/digit", b'{"images": [', JSON), 422),
    "5,000-digit integer": (
        request("POST", "/predict/digit", b'{"images": [[[' + b"1" * 5000 + b"]]]}", JSON),
        400,
    ),
    "1e400 pixel": (request("POST", "/predict/digit", b'{"images": [[[1e400]]]}', JSON), 422),
    "lone-surrogate key": (request("POST", "/predict/digit", SURROGATE_KEY, JSON), 422),
    "lone-surrogate value": (
        request("POST", "/predict/digit", b'{"images": [[["\\ud800"]]]}', JSON),
        422,
    ),
    "invalid UTF-8": (request("POST", "/predict/digit", b'{"images": "\xff"}', JSON), 400),
    "unknown field": (request("POST", "/predict/digit", _digit_json(x=1), JSON), 422),
    "upload to the JSON route": (
        request(
            "POST", "/predict/digit", MULTIPART, {"Content-Type": "multipart/form-data; boundary=b"}
        ),
        422,
    ),
    "oversized, declared": (
        request("POST", "/predict/digit", headers={**JSON, "Content-Length": str(3 << 20)})
        + b" " * 1024,
        413,
    ),
}


def comparable(status, body):
    """A refusal compares byte for byte; a 200 from /health by status and digit model version."""
    if status == 200 and body:
        return status, json.loads(body)["models"]["digit"]
    return status, body


# the cases that grade the twin's body rules (exercise 16.3): refused unread, or read in full
BODY_CASES = ["chunked body", "oversized, declared", "GET with a body", "empty body"]


def _graded(case: str):
    marks = [pytest.mark.exercise("16.3")] if case in BODY_CASES else []
    return pytest.param(case, id=case, marks=marks)


@pytest.mark.parametrize("case", [_graded(case) for case in BEHAVIOURS])
def test_both_servers_answer_alike(fastapi_port, twin_port, case):
    raw, expected = BEHAVIOURS[case]
    method = raw.split(b" ", 1)[0].decode()
    answers = []
    for port in (fastapi_port, twin_port):
        status, headers, body, after = exchange(port, raw, method=method)
        assert status == expected, (port, body[:300])
        assert only_the_probe(after), f"another response came first: {after[:200]!r}"
        assert not any(v for k, v in headers.items() if k.lower() == "server")
        answers.append(comparable(status, body))
    assert answers[0] == answers[1]


@pytest.mark.exercise("16.3")
def test_a_smuggled_request_gets_no_answer_of_its_own(fastapi_port, twin_port):
    smuggled = b"GET /model HTTP/1.1\r\nHost: localhost\r\n\r\n"
    for method, path in [("POST", "/nope"), ("GET", "/health"), ("DELETE", "/predict/digit")]:
        raw = request(method, path, smuggled)
        for port in (fastapi_port, twin_port):
            status, _, _, after = exchange(port, raw, method=method)
            assert status in (200, 404, 405) and only_the_probe(after), (port, path, after[:100])


@pytest.mark.exercise("16.3")
def test_oversized_declared_body_is_refused_at_once_and_never_read(fastapi_port, twin_port):
    raw = request("POST", "/predict/digit", headers={**JSON, "Content-Length": str(3 << 20)})
    for port in (fastapi_port, twin_port):
        with socket.create_connection((HOST, port), timeout=10) as sock:
            start = time.monotonic()
            sock.sendall(raw)  # and not one byte of the 3 MiB
            answer = sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 413") and time.monotonic() - start < 1.0
            assert b"connection: close" in answer.lower()


@pytest.fixture
def short_deadline(monkeypatch):
    """One second per request instead of ten, so that the slow clients below finish quickly."""
    monkeypatch.setattr(contract, "REQUEST_DEADLINE_SECONDS", 1.0)
    monkeypatch.setattr(guards.DeadlineH11Protocol, "deadline_seconds", 1.0)


def _slow_headers(port: int) -> tuple[float, bytes]:
    """One header byte every 0.2 s; returns when the server answers or closes."""
    start = time.monotonic()
    with socket.create_connection((HOST, port), timeout=10) as sock:
        try:
            for byte in b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 100:
                sock.sendall(bytes([byte]))
                time.sleep(0.2)
        except ConnectionError:
            pass
        answer = sock.recv(65536)
    return time.monotonic() - start, answer


@pytest.mark.usefixtures("short_deadline")
def test_slow_headers_get_408_at_the_deadline(fastapi_port, twin_port):
    for port in (fastapi_port, twin_port):
        seconds, answer = _slow_headers(port)
        assert answer.startswith(b"HTTP/1.1 408") and seconds < 3, (port, seconds, answer[:80])
        assert answer.endswith(contract.json_bytes(contract.error_body(contract.TIMED_OUT)))


@pytest.mark.usefixtures("short_deadline")
def test_body_declared_but_not_sent_gets_408(fastapi_port, twin_port):
    raw = request("POST", "/predict/digit", headers={**JSON, "Content-Length": "1000"}) + b"{"
    for port in (fastapi_port, twin_port):
        start = time.monotonic()
        status, _, body, _ = exchange(port, raw, method="POST")
        assert status == 408 and 0.5 < time.monotonic() - start < 3
        assert json.loads(body)["message"] == contract.TIMED_OUT


def test_client_reset_is_one_log_line(twin_port, caplog, capsys):
    with caplog.at_level(logging.WARNING, logger="serve_http_numpy"):
        sock = socket.create_connection((HOST, twin_port))
        sock.sendall(request("POST", "/predict/digit", headers={**JSON, "Content-Length": "100"}))
        time.sleep(0.1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()  # linger 0: the kernel sends a reset
        time.sleep(0.3)
    resets = [r for r in caplog.records if "closed the connection" in r.getMessage()]
    assert len(resets) == 1 and "Traceback" not in capsys.readouterr().err


def test_binding_beyond_loopback_warns():
    assert contract.loopback_warning("127.0.0.1") is None
    assert contract.loopback_warning("localhost") is None
    assert "--allowed-hosts" in contract.loopback_warning("0.0.0.0")


def test_operator_defaults_in_the_app(artefacts):
    from fastapi.testclient import TestClient

    models = service.load_models(artefacts)
    with TestClient(service.create_app(models=models), base_url="http://localhost") as client:
        assert client.get("/docs").status_code == 404  # Swagger UI loads from a CDN: off
        assert client.get("/openapi.json").status_code == 200
        assert "libraries" not in json.dumps(client.get("/model").json())
        assert "access-control-allow-origin" not in client.get("/health").headers
    app = service.create_app(models=models, cors_origins=["https://app.example"], docs=True)
    with TestClient(app, base_url="http://localhost") as client:
        assert client.get("/docs").status_code == 200
        preflight = client.options(
            "/predict/digit",
            headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    app = service.create_app(models=models, allowed_hosts=["api.example"])
    with TestClient(app, base_url="http://api.example") as client:
        assert client.get("/health").status_code == 200


# ------------------------------------------------------------------------------ schemathesis


# Any bytes are a schema-valid upload (a schema cannot say "a decodable PNG holding a digit"),
# so the upload route may refuse valid documents with the 400 and 413 its schema documents.
SCHEMATHESIS_CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-path": "/predict/digit/image",
                "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", 400, 413]}},
            }
        ]
    }
)


@pytest.fixture(scope="module")
def schema_app(artefacts):
    """The app, served in-process to schemathesis ("testserver" is its ASGI client's Host)."""
    return service.create_app(
        models=service.load_models(artefacts), allowed_hosts=["localhost", "testserver"]
    )


def api_schema(app, mode):
    """The app's own OpenAPI schema. For valid documents, batches of 1-2 images: a valid batch
    of 64 is 50,176 numbers, more than hypothesis draws in one example (it would spend the
    budget on overruns), and 1-2 images exercise the same rules."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=SCHEMATHESIS_CONFIG)
    if mode == schemathesis.GenerationMode.POSITIVE:
        images = schema.raw_schema["components"]["schemas"]["DigitBatch"]["properties"]["images"]
        images["maxItems"] = 2
    return schema


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode), ids=str)
def test_schemathesis_all_checks(schema_app, mode):
    """Every operation, documents valid and invalid by the schema, every built-in check."""
    for result in api_schema(schema_app, mode).get_all_operations():
        operation = result.ok()
        if mode == schemathesis.GenerationMode.NEGATIVE and operation.method == "get":
            continue  # nothing in a parameterless GET can be made invalid

        @settings(
            max_examples=10,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case):
            case.call_and_validate()

        check()

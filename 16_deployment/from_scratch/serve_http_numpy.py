"""The same /predict/digit, served by the standard library: http.server + stage 11's NumPy CNN.

    ml_journey/bin/python 16_deployment/from_scratch/serve_http_numpy.py --serve   # http://127.0.0.1:8001

No FastAPI, no pydantic, no uvicorn, no torch at serving time. What those libraries do for the
service in ``library_impl/serve_fastapi.py`` is written out here by hand, so it can be read:

- HTTP itself: ``ThreadingHTTPServer`` parses the request line and headers and gives each
  connection its own thread. ``_http_io.py`` adds what uvicorn adds: every body is framed by
  its headers and read (or the connection closed), and a whole request has one deadline (408).
- The operator's rules, before any route: the Host header must be an allowed name (400), a
  chunked body is refused (411), a body over the limit is refused from its Content-Length
  *before* it is read (413).
- JSON parsing and validation that mirror pydantic field by field (``_validation.py``).
- The model (``_digit_service.py``): stage 11's ``NumpyMnistCNN`` reading the ``.npz`` copy of
  the same weights, checked before the server listens.

Endpoints: ``GET /health``, ``GET /model``, ``POST /predict/digit`` (same request and response
as FastAPI's). Without ``--serve`` the script starts the server on a free port of 127.0.0.1,
sends it a few requests, checks the answers and exits.
"""
# ruff: noqa: E402  (the thread settings below must come before NumPy is imported)

import os

# One BLAS thread per request thread. ThreadingHTTPServer already runs a thread per connection;
# OpenBLAS's own thread pool, entered by 16 request threads at once, makes the cores thrash
# (bench_load.py: ≈ 15× fewer requests per second on 2 cores). Only when run as the server.
if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import io
import json
import logging
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

import journey
from journey import parity

contract = journey.load_stage("16", "from_scratch/_contract.py")
validation = journey.load_stage("16", "from_scratch/_validation.py")
http_io = journey.load_stage("16", "from_scratch/_http_io.py")
digit_service = journey.load_stage("16", "from_scratch/_digit_service.py")
cli = journey.load_stage("16", "from_scratch/_server_cli.py")

SIDE = contract.IMAGE_SIDE
RequestRefused = validation.RequestRefused
DigitService = digit_service.DigitService
log = logging.getLogger("serve_http_numpy")


# ========================================================================== the HTTP layer

ROUTES = {"/health": {"GET"}, "/model": {"GET"}, "/predict/digit": {"POST"}}  # as FastAPI's


class DigitHandler(BaseHTTPRequestHandler):
    """One instance per connection; ``self.server`` holds the model and the operator's rules."""

    protocol_version = "HTTP/1.1"  # keep-alive: one connection can carry many requests
    # Send small writes at once. With Nagle's algorithm on, the body (our second write) waits
    # for the client to acknowledge the headers, and the client delays that acknowledgement
    # by up to 40 ms: every answer took ≥ 40 ms (measured; 1.4 ms with Nagle off).
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        self.reader = http_io.DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self.reader)

    def handle_one_request(self):
        """Read one request under its deadline and send exactly one answer (or close)."""
        self.reader.start_request()
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True
            elif len(self.raw_requestline) > 65536:
                self.send_error(414)
            elif self.parse_request():
                self.answer()
        except http_io.RequestTimedOut:
            self.close_connection = True
            self.wfile.write(contract.raw_json_response(408, "Request Timeout", contract.TIMED_OUT))
        except http_io.ConnectionIdle:
            self.close_connection = True

    def answer(self) -> None:
        """The operator's rules, then the route; a refusal before the body was read closes."""
        body = None
        try:
            body = self.read_body()
            status, answer = self.route(body)
        except RequestRefused as refused:
            status, answer = refused.status, refused.body
            self.close_connection |= body is None  # the body was not read: its frame is lost
        except (http_io.RequestTimedOut, http_io.ConnectionIdle):
            raise
        except Exception:  # a bug, not the client's fault: say so, keep the details in the log
            log.exception("error while answering %s %s", self.command, self.path)
            status, answer = 500, contract.error_body("Internal Server Error")
            self.close_connection = True
        self.connection.settimeout(contract.REQUEST_DEADLINE_SECONDS)  # for writing the answer
        self.send_answer(status, answer)
        if status == 413:
            http_io.drop_after_refusal(self.reader, self.rfile)

    def read_body(self) -> bytes:
        """Framing first (400), then the Host (400), chunked (411), the limit (413), the body.

        ``size`` is what the headers declare: a number of bytes, or None for a chunked body.
        The limit is checked on the declared size, *before* a byte of the body is read; then
        every body is read, whatever the method or route (an unread body would be taken for
        the next request on this connection).
        """
        size = http_io.declared_body(self.headers)
        if not contract.host_allowed(self.headers.get("Host", ""), self.server.allowed_hosts):
            raise RequestRefused(400, contract.INVALID_HOST)
        # BEGIN SOLUTION 16.3
        # task: refuse a chunked body (411) or one over the limit (413) unread; else read it all
        # hint: None → 411 contract.CHUNKED; > contract.MAX_BODY_BYTES → 413 too_large_body(size)
        if size is None:
            raise RequestRefused(411, contract.error_body(contract.CHUNKED))
        if size > contract.MAX_BODY_BYTES:
            raise RequestRefused(413, contract.too_large_body(size))
        body = self.rfile.read(size)
        if len(body) < size:  # the client closed mid-body: nobody is left to answer
            raise http_io.ConnectionIdle
        return body
        # END SOLUTION

    def route(self, body: bytes) -> tuple[int, dict]:
        """404 for an unknown path, 405 for a known path and another method, else the answer."""
        path = urllib.parse.unquote(self.path.partition("?")[0])
        if path not in ROUTES:
            return 404, contract.error_body("Not Found")
        if self.command not in ROUTES[path]:
            return 405, contract.error_body("Method Not Allowed")
        if path == "/health":
            return 200, self.server.service.health()
        if path == "/model":
            return 200, self.server.service.card()
        payload = validation.parse_json_body(body, self.headers.get("Content-Type"))
        return 200, self.server.service.predict(validation.validate_digit_request(payload))

    def send_answer(self, status: int, body: dict | str) -> None:
        """JSON for every answer but the Host refusal, which is Starlette's plain text."""
        if isinstance(body, str):
            data, content_type = body.encode("utf-8"), "text/plain; charset=utf-8"
        else:
            data, content_type = contract.json_bytes(body), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_response(self, code, message=None):
        """As http.server's, without the ``Server`` header (no versions for a scanner to read)."""
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def send_error(self, code, message=None, explain=None):
        """http.server's own refusals (bad request line, too many headers) in JSON, closing."""
        self.close_connection = True
        text = contract.BAD_HTTP if code == 400 else self.responses.get(code, ("Error",))[0]
        self.send_answer(code, contract.error_body(text))

    def log_message(self, format, *args):
        if self.server.verbose:
            super().log_message(format, *args)


class DigitHTTPServer(ThreadingHTTPServer):
    """One thread per connection; the threads die with the process."""

    daemon_threads = True
    request_queue_size = 128  # connections the kernel may hold before accept(); 5 drops bursts

    def handle_error(self, request, client_address):
        """A client that hangs up is one log line; anything else keeps its traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            log.warning(
                "%s:%s closed the connection (%s)", *client_address[:2], type(error).__name__
            )
        else:
            super().handle_error(request, client_address)


def make_server(
    service: DigitService,
    host: str = "127.0.0.1",
    port: int = 0,
    verbose: bool = False,
    allowed_hosts=contract.DEFAULT_ALLOWED_HOSTS,
) -> ThreadingHTTPServer:
    """A threaded HTTP server bound to ``host:port`` (port 0: the system picks a free one)."""
    server = DigitHTTPServer((host, port), DigitHandler)
    server.service = service
    server.verbose = verbose
    server.allowed_hosts = tuple(allowed_hosts)
    return server


# ============================================================================ self-check


def ensure_artefacts(artefact_dir: Path) -> None:
    """Build the artefacts with the build script (its own process: torch stays out of this one)."""
    try:
        contract.load_verified(artefact_dir, contract.DIGIT_METADATA)
    except contract.ArtefactError as exc:
        print(f"{exc}\nbuilding them now ...", flush=True)
        script = str(journey.REPO_ROOT / contract.BUILD_SCRIPT)
        subprocess.run([sys.executable, script, "--out-dir", str(artefact_dir)], check=True)


def call(url: str, body: bytes | None = None) -> tuple[int, dict]:
    """One HTTP request with urllib; returns (status, decoded JSON body) for 2xx and 4xx alike."""
    headers = {"Content-Type": "application/json"} if body else {}
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


BAD_REQUESTS = {
    "NaN pixel (422)": (b'{"images": [[[NaN]]]}', 422),
    "boolean pixel (422)": (json.dumps({"images": [[[True] * SIDE] * SIDE]}).encode(), 422),
    "unknown field (422)": (json.dumps({"images": [[[0] * SIDE] * SIDE], "x": 1}).encode(), 422),
    "broken JSON (422)": (b'{"images": [', 422),
    "5,000-digit integer (400)": (b'{"images": [[[' + b"9" * 5000 + b"]]]}", 400),
    "oversized body (413)": (b" " * (contract.MAX_BODY_BYTES + 1), 413),
}


def self_check(artefact_dir: Path, n_images: int) -> None:
    """Serve on a free port of 127.0.0.1, send valid and bad requests, compare with the model."""
    ensure_artefacts(artefact_dir)
    service = DigitService(artefact_dir)
    pixels = np.random.default_rng(0).random((n_images, SIDE, SIDE)) ** 4  # sparse bright strokes
    server = make_server(service, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        print("health:", call(f"{url}/health")[1])
        status, answer = call(
            f"{url}/predict/digit", json.dumps({"images": pixels.tolist()}).encode()
        )
        served = np.array([p["probabilities"] for p in answer["predictions"]])
        parity.close(
            "http.server /predict/digit vs the NumPy CNN called directly",
            served,
            service.predict_proba(pixels),
            atol=1e-12,
        )
        parity.equal("http.server /predict/digit answers 200", status, 200)
        for name, (body, expected) in BAD_REQUESTS.items():
            status, answer = call(f"{url}/predict/digit", body)
            print(f"  {name}: {status} {answer['message'][:90]}")
            parity.equal(f"http.server refuses {name}", status, expected)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def main() -> None:
    parser = cli.server_parser(__doc__, 8001, "serve until Ctrl-C")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    artefact_dir = args.artefact_dir or contract.default_artefact_dir()
    if not args.serve:
        self_check(artefact_dir, n_images=8 if journey.is_quick() else 64)
        return
    service = cli.load_or_exit(DigitService, artefact_dir)
    hosts = cli.served_hosts(args)
    server = make_server(service, args.host, args.port, args.verbose, hosts)
    print(
        f"serving /predict/digit on http://{args.host}:{server.server_port} (Ctrl-C stops)",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

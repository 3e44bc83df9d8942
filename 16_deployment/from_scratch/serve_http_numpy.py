"""The same /predict/digit, served by the standard library: http.server + stage 11's NumPy CNN.

    ml_journey/bin/python 16_deployment/from_scratch/serve_http_numpy.py --serve   # http://127.0.0.1:8001

No FastAPI, no pydantic, no uvicorn, no torch at serving time. What those libraries do for the
service in ``library_impl/serve_fastapi.py`` is written out here by hand, so it can be read:

- HTTP itself: ``ThreadingHTTPServer`` parses the request line and headers and gives each
  connection its own thread; we read exactly ``Content-Length`` bytes of body.
- The body-size limit (413): checked from ``Content-Length`` *before* reading the body.
- JSON parsing (400 for undecodable bytes, 422 for malformed JSON), then validation that mirrors
  the pydantic model field by field (422 naming the field, with pydantic's own error kinds and
  messages, so both servers answer a bad request the same way).
- The model: stage 11's ``NumpyMnistCNN`` reading the ``.npz`` copy of the same weights, after
  the same SHA-256 check of the artefacts.

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

import argparse
import email.message
import json
import math
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

import journey
from journey import parity

contract = journey.load_stage("16", "from_scratch/_contract.py")
cnn_numpy = journey.load_stage("11", "from_scratch/mnist_cnn_numpy.py")

SIDE = contract.IMAGE_SIDE
MAX_DRAIN_BYTES = 8 * contract.MAX_BODY_BYTES  # an oversized body up to this size is read, dropped


class RequestRefused(Exception):
    """A client error: the HTTP status and the JSON body to answer with."""

    def __init__(self, status: int, body: dict):
        super().__init__(body["message"])
        self.status = status
        self.body = body


# ============================================================ validation (mirrors pydantic's)


def _error(loc: list, kind: str, msg: str) -> dict:
    return {"loc": loc, "type": kind, "msg": msg}


def _items(n: int) -> str:
    return f"{n} item" if n == 1 else f"{n} items"


def pixel_errors(value, loc: list) -> list[dict]:
    """A pixel must be a real number (``true`` is not), finite, and in [0, 1]."""
    if type(value) not in (int, float):  # type(), not isinstance: bool is a subclass of int
        return [_error(loc, "float_type", "Input should be a valid number")]
    try:
        value = float(value)
    except OverflowError:  # an integer with hundreds of digits
        return [_error(loc, "float_type", "Input should be a valid number")]
    if not math.isfinite(value):
        return [_error(loc, "finite_number", "Input should be a finite number")]
    if value < 0:
        return [_error(loc, "greater_than_equal", "Input should be greater than or equal to 0")]
    if value > 1:
        return [_error(loc, "less_than_equal", "Input should be less than or equal to 1")]
    return []


def list_errors(value, loc: list, min_len: int, max_len: int, item_errors) -> list[dict]:
    """A list of ``min_len``..``max_len`` valid items, checked in the order pydantic checks it.

    Not a list → one error; too long → one error (the items are not even looked at); else
    the items' errors, and only when every item is valid, a too-short error.
    """
    if not isinstance(value, list):
        return [_error(loc, "list_type", "Input should be a valid list")]
    if len(value) > max_len:
        return [
            _error(
                loc,
                "too_long",
                f"List should have at most {_items(max_len)} after validation, not {len(value)}",
            )
        ]
    errors = [e for i, item in enumerate(value) for e in item_errors(item, loc + [i])]
    if not errors and len(value) < min_len:
        errors.append(
            _error(
                loc,
                "too_short",
                f"List should have at least {_items(min_len)} after validation, not {len(value)}",
            )
        )
    return errors


def row_errors(row, loc: list) -> list[dict]:
    return list_errors(row, loc, SIDE, SIDE, pixel_errors)


def image_errors(image, loc: list) -> list[dict]:
    return list_errors(image, loc, SIDE, SIDE, row_errors)


def digit_request_errors(payload) -> list[dict]:
    """Every problem with a ``/predict/digit`` body, listed as pydantic lists them."""
    if not isinstance(payload, dict):
        return [
            _error(
                ["body"],
                "model_attributes_type",
                "Input should be a valid dictionary or object to extract fields from",
            )
        ]
    if "images" in payload:
        errors = list_errors(
            payload["images"], ["body", "images"], 1, contract.MAX_BATCH, image_errors
        )
    else:
        errors = [_error(["body", "images"], "missing", "Field required")]
    return errors + [
        _error(["body", key], "extra_forbidden", "Extra inputs are not permitted")
        for key in payload
        if key != "images"
    ]


def _well_formed_pixels(payload) -> np.ndarray | None:
    """The common, valid case checked fast: structure and types in one pass, values vectorised.

    Returns the (N, 28, 28) array, or None when anything is off (then the slow, exact checker
    above finds and names every problem).
    """
    if not (isinstance(payload, dict) and payload.keys() == {"images"}):
        return None
    images = payload["images"]
    if not (isinstance(images, list) and 1 <= len(images) <= contract.MAX_BATCH):
        return None
    for image in images:
        if not (isinstance(image, list) and len(image) == SIDE):
            return None
        for row in image:
            if not (
                isinstance(row, list)
                and len(row) == SIDE
                and all(type(v) is float or type(v) is int for v in row)
            ):
                return None
    try:
        pixels = np.array(images, dtype=np.float64)
    except OverflowError:
        return None
    if not (np.isfinite(pixels).all() and pixels.min() >= 0.0 and pixels.max() <= 1.0):
        return None
    return pixels


def validate_digit_request(payload) -> np.ndarray:
    """A parsed JSON body → (N, 28, 28) float64 pixels, or ``RequestRefused(422)`` naming fields."""
    pixels = _well_formed_pixels(payload)
    if pixels is None:
        raise RequestRefused(422, contract.validation_error_body(digit_request_errors(payload)))
    return pixels


def is_json_content_type(content_type: str | None) -> bool:
    """``application/json`` or ``application/<something>+json`` (a charset parameter is fine)."""
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def parse_json_body(body: bytes, content_type: str | None):
    """Bytes → Python objects, refusing what FastAPI refuses, with the same status codes.

    An empty body is a missing field (422); a body without a JSON content type is not read as
    JSON (422: cross-site forms cannot send ``application/json`` without a preflight check);
    malformed JSON is 422 at the character where it breaks; bytes that are not text, or JSON
    nested too deep for the parser, are 400.
    """
    if not body:
        raise RequestRefused(
            422, contract.validation_error_body([_error(["body"], "missing", "Field required")])
        )
    if not is_json_content_type(content_type):
        raise RequestRefused(422, contract.validation_error_body(digit_request_errors(body)))
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise RequestRefused(
            422,
            contract.validation_error_body(
                [_error(["body", exc.pos], "json_invalid", "JSON decode error")]
            ),
        ) from exc
    except (UnicodeDecodeError, RecursionError) as exc:
        raise RequestRefused(400, contract.error_body(contract.PARSE_ERROR)) from exc


# ========================================================================== the model


class DigitService:
    """The verified NumPy CNN and its metadata; ``predict`` answers like FastAPI's route."""

    def __init__(self, artefact_dir: Path):
        self.metadata, paths = contract.load_verified(artefact_dir, contract.DIGIT_METADATA)
        self.model = cnn_numpy.NumpyMnistCNN.from_npz(paths["mnist_cnn.npz"])
        norm = self.metadata["input"]["normalisation"]
        self.mean, self.std = norm["mean"], norm["std"]

    def predict(self, pixels: np.ndarray) -> dict:
        """(N, 28, 28) pixels in [0, 1] → labels and probabilities, normalised as in training."""
        proba = self.model.predict_proba((pixels[:, None] - self.mean) / self.std)
        return {
            "model_version": self.metadata["model_version"],
            "classes": self.metadata["classes"],
            "predictions": [{"label": int(p.argmax()), "probabilities": p.tolist()} for p in proba],
        }

    def health(self) -> dict:
        return {"status": "ok", "models": {"digit": self.metadata["model_version"]}}

    def card(self) -> dict:
        keys = (
            "model_name",
            "model_version",
            "task",
            "classes",
            "training",
            "input",
            "libraries",
            "files",
        )
        return {
            "digit": {
                **{k: self.metadata[k] for k in keys},
                "test_accuracy": self.metadata["metrics"]["test_accuracy"],
            }
        }


# ========================================================================== the HTTP layer


class DigitHandler(BaseHTTPRequestHandler):
    """One instance per request; ``self.server.service`` is the shared, read-only model."""

    protocol_version = "HTTP/1.1"  # keep-alive: one connection can carry many requests
    timeout = 15  # seconds a silent connection may hold its thread
    # Send small writes at once. With Nagle's algorithm on, the body (our second write) waits
    # for the client to acknowledge the headers, and the client delays that acknowledgement
    # by up to 40 ms: every answer took ≥ 40 ms (measured; 1.4 ms with Nagle off).
    disable_nagle_algorithm = True
    server_version = "journey-numpy/1.0"
    GET_ROUTES = {"/health": "health", "/model": "card"}
    POST_ROUTES = {"/predict/digit"}

    def do_GET(self):
        if self.path in self.GET_ROUTES:
            self.send_json(200, getattr(self.server.service, self.GET_ROUTES[self.path])())
        else:
            self.refuse_route()

    def do_POST(self):
        if self.path not in self.POST_ROUTES:
            self.refuse_route()
            return
        try:
            payload = parse_json_body(self.read_body(), self.headers.get("Content-Type"))
            answer = self.server.service.predict(validate_digit_request(payload))
        except RequestRefused as refused:
            self.send_json(refused.status, refused.body)
            return
        self.send_json(200, answer)

    def read_body(self) -> bytes:
        """Exactly ``Content-Length`` bytes, after checking that length against the limit."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise RequestRefused(
                411,
                contract.error_body(
                    "chunked bodies are not accepted here: send a Content-Length header"
                ),
            )
        declared = self.headers.get("Content-Length", "0").strip()
        if not declared.isdigit():
            self.close_connection = True
            raise RequestRefused(
                400, contract.error_body(f"Content-Length {declared!r} is not a number of bytes")
            )
        size = int(declared)
        if size > contract.MAX_BODY_BYTES:
            self.drain(size)
            raise RequestRefused(413, contract.too_large_body(size))
        return self.rfile.read(size)

    def drain(self, size: int) -> None:
        """Read and drop an oversized body, so the client finishes sending and can read the 413.

        Closing the socket with unread bytes in it makes the kernel answer with a reset, and the
        client would see "connection reset" instead of our message. Past ``MAX_DRAIN_BYTES`` we
        stop reading and close anyway: the limit exists so that we do not spend on huge bodies.
        """
        self.close_connection = True
        remaining = min(size, MAX_DRAIN_BYTES)
        while remaining > 0 and (chunk := self.rfile.read(min(remaining, 1 << 16))):
            remaining -= len(chunk)

    def refuse_route(self) -> None:
        known = self.path in self.GET_ROUTES or self.path in self.POST_ROUTES
        self.send_json(
            405 if known else 404,
            contract.error_body("Method Not Allowed" if known else "Not Found"),
        )

    def send_json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        if self.server.verbose:
            super().log_message(format, *args)


class DigitHTTPServer(ThreadingHTTPServer):
    """One thread per connection; the threads die with the process."""

    daemon_threads = True
    request_queue_size = (
        128  # connections the kernel may hold before accept(); the default 5 drops bursts
    )


def make_server(
    service: DigitService, host: str = "127.0.0.1", port: int = 0, verbose: bool = False
) -> ThreadingHTTPServer:
    """A threaded HTTP server bound to ``host:port`` (port 0: the system picks a free one)."""
    server = DigitHTTPServer((host, port), DigitHandler)
    server.service = service
    server.verbose = verbose
    return server


# ============================================================================ self-check


def ensure_artefacts(artefact_dir: Path) -> None:
    """Build the artefacts with the build script (its own process: torch stays out of this one)."""
    try:
        contract.load_verified(artefact_dir, contract.DIGIT_METADATA)
    except contract.ArtefactError as exc:
        print(f"{exc}\nbuilding them now ...", flush=True)
        subprocess.run(
            [
                sys.executable,
                str(journey.REPO_ROOT / contract.BUILD_SCRIPT),
                "--out-dir",
                str(artefact_dir),
            ],
            check=True,
        )


def call(
    url: str, body: bytes | None = None, content_type: str = "application/json"
) -> tuple[int, dict]:
    """One HTTP request with urllib; returns (status, decoded JSON body) for 2xx and 4xx alike."""
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": content_type} if body else {}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def self_check(artefact_dir: Path, n_images: int) -> None:
    """Serve on a free port of 127.0.0.1, send valid and bad requests, compare with the model."""
    ensure_artefacts(artefact_dir)
    service = DigitService(artefact_dir)
    rng = np.random.default_rng(0)
    pixels = rng.random((n_images, SIDE, SIDE)) ** 4  # sparse bright strokes on dark
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
        direct = service.model.predict_proba((pixels[:, None] - service.mean) / service.std)
        parity.close(
            "http.server /predict/digit vs the NumPy CNN called directly",
            served,
            direct,
            atol=1e-12,
        )
        parity.equal("http.server /predict/digit answers 200", status, 200)
        bad = {
            "NaN pixel (422)": (b'{"images": [[[NaN]]]}', 422),
            "boolean pixel (422)": (json.dumps({"images": [[[True] * SIDE] * SIDE]}).encode(), 422),
            "unknown field (422)": (
                json.dumps({"images": pixels[:1].tolist(), "x": 1}).encode(),
                422,
            ),
            "broken JSON (422)": (b'{"images": [', 422),
            "oversized body (413)": (b" " * (contract.MAX_BODY_BYTES + 1), 413),
        }
        for name, (body, expected) in bad.items():
            status, answer = call(f"{url}/predict/digit", body)
            print(f"  {name}: {status} {answer['message']}")
            parity.equal(f"http.server refuses {name}", status, expected)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--serve", action="store_true", help="serve until Ctrl-C")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    parser.add_argument("--port", type=int, default=8001, help="port to listen on (default 8001)")
    parser.add_argument(
        "--artefact-dir",
        type=Path,
        default=None,
        help="artefacts folder (default outputs/16_deployment)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args()
    artefact_dir = args.artefact_dir or contract.default_artefact_dir()
    if not args.serve:
        self_check(artefact_dir, n_images=8 if journey.is_quick() else 64)
        return
    try:
        server = make_server(DigitService(artefact_dir), args.host, args.port, args.verbose)
    except contract.ArtefactError as exc:
        sys.exit(f"cannot start the service: {exc}")
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

"""What both inference servers promise: the artefact files, their checksums, the request limits.

Standard library only, so that the torch-free server (``serve_http_numpy.py``) and the FastAPI
service (``library_impl/serve_fastapi.py``) read the *same* rules from one place.

The artefacts live in ``outputs/16_deployment/`` (git-ignored; nothing binary is committed):

    mnist_cnn.pt                 the stage-11 CNN's ``state_dict`` (``torch.save``)
    mnist_cnn.npz                the same weights as NumPy float32 arrays (torch-free server)
    mnist_cnn.json               version, classes, normalisation, data, accuracy, SHA-256s
    breast_cancer_pipeline.npz   the fitted numbers of ``Pipeline(StandardScaler,
                                 LogisticRegression)``: arrays only, rebuilt into a pipeline
    breast_cancer_pipeline.json  its metadata and SHA-256

No artefact is a pickle: ``.npz`` files are read with ``allow_pickle=False`` and ``.pt`` with
``weights_only=True``, so loading a file can never run code, whatever the file holds.

Why checksums as well? A SHA-256 digest is a 256-bit fingerprint of a file's bytes: flip one
bit and about half of the digest's bits change, and nobody knows how to make two different
files with the same digest. Recording the digest when the artefact is built and comparing it
before the file is loaded catches a truncated copy, a half-finished write, a weights file
swapped for another model's, or an edit. (The metadata JSON itself is the root of trust here;
against an attacker who can rewrite both, one would sign the metadata.) After loading, each
server checks shapes, keys and dtypes and recomputes a smoke prediction recorded at build time
before it answers its first request.
"""

import hashlib
import json
import os
import tempfile
from pathlib import Path

STAGE = "16_deployment"
DIGIT_METADATA = "mnist_cnn.json"
TABULAR_METADATA = "breast_cancer_pipeline.json"
BUILD_SCRIPT = "16_deployment/library_impl/build_artefacts.py"

IMAGE_SIDE = 28  # MNIST images are 28×28 grey levels
MAX_BATCH = 64  # images per /predict/digit request
MAX_BODY_BYTES = 2 * 1024 * 1024  # any request body; a full batch of 64 images is ≈ 1 MB of JSON
MAX_ERRORS_REPORTED = 20  # a 422 lists at most this many field errors
# torch float32 vs NumPy float32 forward passes of the same CNN (readiness check, parity, tests):
# the same roundings taken in another order, measured ~4e-7
SMOKE_ATOL = 1e-5


class ArtefactError(RuntimeError):
    """An artefact is missing, unreadable or not the file that was built; says how to rebuild."""


def default_artefact_dir() -> Path:
    """``outputs/16_deployment`` (``$JOURNEY_OUTPUTS`` moves ``outputs/``)."""
    from journey.paths import OUTPUTS_DIR

    return OUTPUTS_DIR / STAGE


def rebuild_command(artefact_dir: Path) -> str:
    """The exact command that rebuilds the artefacts in ``artefact_dir``."""
    command = f"ml_journey/bin/python {BUILD_SCRIPT} --force"
    if Path(artefact_dir).resolve() != default_artefact_dir().resolve():
        command += f" --out-dir {artefact_dir}"
    return command


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 digest of a file, read in chunks so that big files need little memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def file_record(path: Path) -> dict:
    """What the metadata stores about one file: its digest and its size in bytes."""
    return {"sha256": sha256_file(path), "bytes": Path(path).stat().st_size}


def write_json_atomic(path: Path, data: dict) -> Path:
    """Write JSON to a temporary file in the same folder, then rename it into place.

    A rename is atomic on one file system, so a reader (another process starting a server)
    sees either the old file or the new one, never half a file.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path


def read_metadata(artefact_dir: Path, name: str) -> dict:
    """Read one metadata JSON, or raise ``ArtefactError`` naming the file and how to rebuild it."""
    path = Path(artefact_dir) / name
    if not path.is_file():
        raise ArtefactError(
            f"{path} is missing. Build the artefacts with: {rebuild_command(artefact_dir)}"
        )
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtefactError(
            f"{path} is not valid JSON ({exc}). Rebuild it with: {rebuild_command(artefact_dir)}"
        ) from exc
    if not isinstance(metadata, dict) or not isinstance(metadata.get("files"), dict):
        raise ArtefactError(
            f"{path} has no 'files' table of checksums. Rebuild it with: "
            f"{rebuild_command(artefact_dir)}"
        )
    return metadata


def verify_files(artefact_dir: Path, metadata: dict) -> dict[str, Path]:
    """Check every file the metadata lists against its recorded SHA-256; return their paths.

    Raises ``ArtefactError`` for the first file that is missing or whose digest differs.
    """
    paths = {}
    for name, record in sorted(metadata["files"].items()):
        path = Path(artefact_dir) / name
        if not path.is_file():
            raise ArtefactError(
                f"{path} is missing. Rebuild the artefacts with: {rebuild_command(artefact_dir)}"
            )
        actual = sha256_file(path)
        if actual != record["sha256"]:
            raise ArtefactError(
                f"{path} does not match its checksum: expected SHA-256 {record['sha256']}, "
                f"found {actual} ({path.stat().st_size} bytes, {record['bytes']} recorded). "
                f"The file changed after it was built (edited, truncated or replaced), so it is "
                f"not loaded. "
                f"Rebuild the artefacts with: "
                f"{rebuild_command(artefact_dir)}"
            )
        paths[name] = path
    return paths


def load_verified(artefact_dir: Path, metadata_name: str) -> tuple[dict, dict[str, Path]]:
    """Read a metadata file and verify the files it lists: ``(metadata, {file name: path})``."""
    metadata = read_metadata(artefact_dir, metadata_name)
    return metadata, verify_files(artefact_dir, metadata)


def format_loc(loc) -> str:
    """``["body", "images", 0, 3, 5]`` → ``body.images[0][3][5]``: a path a person can read."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def error_body(message: str, detail: list[dict] | None = None) -> dict:
    """The JSON body of every error answer, from either server: a sentence and the field errors."""
    return {"message": message, "detail": list(detail or [])}


# A hint appended to the summary for the error kinds a person most often needs help with.
HINTS = {
    "model_attributes_type": " (send a JSON object with the header Content-Type: application/json)",
    "json_invalid": " (the body is not valid JSON)",
}
PARSE_ERROR = "There was an error parsing the body"


def validation_error_body(errors: list[dict]) -> dict:
    """A 422 body: the first ``MAX_ERRORS_REPORTED`` field errors (loc, msg, type) and a summary.

    The offending *values* are never echoed back: they can be huge (a whole image), and a NaN
    is not even valid JSON.
    """
    shown = [
        {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
        for e in errors[:MAX_ERRORS_REPORTED]
    ]
    first = shown[0]
    more = f" (and {len(errors) - 1} more invalid field(s))" if len(errors) > 1 else ""
    return error_body(
        f"invalid request: {format_loc(first['loc'])}: {first['msg']}"
        f"{HINTS.get(first['type'], '')}{more}",
        shown,
    )


def too_large_body(size: int) -> dict:
    """The 413 body: how big the request was and what is accepted."""
    return error_body(
        f"request body too large: {size:,} bytes (at least) where at most {MAX_BODY_BYTES:,} "
        f"are accepted; send at most {MAX_BATCH} images per request"
    )


# ------------------------------------------------------------------ readiness after loading


def require_keys(metadata: dict, keys: dict, path: Path, artefact_dir: Path) -> None:
    """Refuse metadata that lacks a key the server reads (``keys``: name → sub-keys or None)."""
    for key, inner in keys.items():
        value = metadata.get(key)
        missing = value is None or (
            inner is not None and (not isinstance(value, dict) or not set(inner) <= set(value))
        )
        if missing:
            raise ArtefactError(
                f"{path} lacks {key!r}{f' with {sorted(inner)}' if inner else ''}. "
                f"Rebuild it with: {rebuild_command(artefact_dir)}"
            )


def smoke_images() -> list[list[list[float]]]:
    """Two fixed 28×28 inputs: a vertical stroke and a smooth pattern (the readiness probe).

    The build records the model's answer to them; a server recomputes it after loading and
    says it is ready only when the answers agree, so weights that load but compute nonsense
    (wrong layout, wrong normalisation in the metadata) never serve a request.
    """
    stroke = [[1.0 if 5 <= r < 23 and c in (13, 14) else 0.0 for c in range(28)] for r in range(28)]
    pattern = [[((r * 28 + c) * 37 % 101) / 100 for c in range(28)] for r in range(28)]
    return [stroke, pattern]


def check_smoke(path: Path, recorded, produced, atol: float, artefact_dir: Path) -> None:
    """Refuse to start when a smoke prediction differs from the one recorded at build time."""
    flat = [[float(v) for v in row] for row in (recorded, produced)]
    if len(flat[0]) != len(flat[1]) or any(
        not abs(a - b) <= atol for a, b in zip(*flat, strict=True)
    ):
        raise ArtefactError(
            f"{path}: the model's answer to the fixed readiness input differs from the one "
            f"recorded when it was built (tolerance {atol}). Rebuild with: "
            f"{rebuild_command(artefact_dir)}"
        )


def one_line(exc: BaseException) -> str:
    """An exception as one line of text (start-up refusals are one line, never a traceback)."""
    return " ".join(str(exc).split())


# ------------------------------------------------------------------- HTTP rules of both servers

DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1")  # Host headers served unless configured
REQUEST_DEADLINE_SECONDS = 10.0  # from the first byte of a request to the end of its body
KEEP_ALIVE_SECONDS = 5.0  # an idle keep-alive connection is closed silently after this
LINGER_BYTES, LINGER_SECONDS = 4 * 1024 * 1024, 1.0  # dropped after a 413, so it can be read
INVALID_HOST = "Invalid host header"  # Starlette's TrustedHostMiddleware answer, word for word
BAD_HTTP = "Invalid HTTP request received."
TIMED_OUT = f"request not completed within {REQUEST_DEADLINE_SECONDS:g} seconds"
CHUNKED = "chunked request bodies are not accepted: send a Content-Length header"


def host_allowed(host_header: str, allowed_hosts) -> bool:
    """Starlette's TrustedHostMiddleware rule: the Host without its port, exactly or ``*.domain``.

    A browser tricked into calling 127.0.0.1 through a rebound DNS name still sends that name
    as Host, so refusing unknown names blocks DNS-rebinding reads.
    """
    host = host_header.split(":")[0]
    return any(
        pattern == "*"
        or host == pattern
        or (pattern.startswith("*.") and host.endswith(pattern[1:]))
        for pattern in allowed_hosts
    )


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, "localhost")."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def loopback_warning(host: str) -> str | None:
    """The warning to give when a server is about to listen beyond this machine."""
    if is_loopback(host):
        return None
    return (
        f"listening on {host}: any machine that can reach this address can call this "
        "unauthenticated service; put it behind a reverse proxy with TLS and authentication, "
        "and name the public host with --allowed-hosts"
    )


def json_bytes(body: dict) -> bytes:
    """The bytes of every JSON answer from both servers (compact, UTF-8).

    A field name with a lone surrogate (valid JSON, ``"\\udc00"``) cannot be written as UTF-8;
    then the answer falls back to ASCII escapes, which every JSON parser reads back.
    """
    text = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body, allow_nan=False, separators=(",", ":")).encode("ascii")


def raw_json_response(status: int, reason: str, message: str) -> bytes:
    """A complete HTTP/1.1 error answer that closes the connection, written before any route."""
    body = json_bytes(error_body(message))
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body

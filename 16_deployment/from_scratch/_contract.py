"""What both inference servers promise: the artefact files, their checksums, the request limits.

Standard library only, so that the torch-free server (``serve_http_numpy.py``) and the FastAPI
service (``library_impl/serve_fastapi.py``) read the *same* rules from one place.

The artefacts live in ``outputs/16_deployment/`` (git-ignored; nothing binary is committed):

    mnist_cnn.pt                   the stage-11 CNN's ``state_dict`` (``torch.save``)
    mnist_cnn.npz                  the same weights as NumPy float32 arrays (torch-free server)
    mnist_cnn.json                 version, classes, normalisation, data, accuracy, SHA-256s
    breast_cancer_pipeline.joblib  scikit-learn ``Pipeline(StandardScaler, LogisticRegression)``
    breast_cancer_pipeline.json    its metadata and SHA-256

Why checksums? A SHA-256 digest is a 256-bit fingerprint of a file's bytes: flip one bit and
about half of the digest's bits change, and nobody knows how to make two different files with
the same digest. Recording the digest when the artefact is built and comparing it before the
file is loaded catches a truncated copy, a half-finished write, a weights file swapped for
another model's, or an edit. That matters doubly for ``.joblib``: unpickling runs code, so a
file must be known to be *ours* before it is opened. (The metadata JSON itself is the root of
trust here; against an attacker who can rewrite both, one would sign the metadata.)
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

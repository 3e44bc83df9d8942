"""Stage 16: the artefacts, the FastAPI service (in-process, TestClient) and the http.server twin.

Every endpoint, every class of bad input, the 413, the start-up refusal on a tampered file, the
OpenAPI documentation, a property-based run over the OpenAPI schema, and the two servers
answering the same requests with the same bodies. The real-process load tests are in
test_16_load.py.
"""

import hashlib
import http.client
import io
import json
import shutil
import struct
import sys
import threading
import warnings
import zlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from PIL import Image

import journey
from journey import data

with warnings.catch_warnings():  # Starlette's notice that its TestClient will move to httpx2
    warnings.filterwarnings("ignore", message=".*httpx.*")
    from fastapi.testclient import TestClient

service = journey.load_stage("16", "library_impl/serve_fastapi.py")
scratch = journey.load_stage("16", "from_scratch/serve_http_numpy.py")
cnn_numpy = journey.load_stage("11", "from_scratch/mnist_cnn_numpy.py")
contract, build = service.contract, service.build  # the modules the service itself reads

SIDE = contract.IMAGE_SIDE
JSON = {"content-type": "application/json"}


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def client(artefacts):
    with TestClient(service.create_app(artefacts), base_url="http://localhost") as test_client:
        yield test_client


@pytest.fixture(scope="module")
def models(client):
    return client.app.state.models


@pytest.fixture(scope="module")
def digits():
    """32 held-out digits of the bundled stand-in, as pixels in [0, 1], and their labels."""
    _, _, images, labels = data.digits_as_mnist()
    return images[:32].astype(np.float32) / 255.0, labels[:32]


@pytest.fixture(scope="module")
def tabular_row():
    frame, _ = build.breast_cancer_frame()
    return frame.iloc[3].to_dict()


@pytest.fixture(scope="module")
def scratch_server(artefacts):
    """The http.server twin on a free port of 127.0.0.1, in a thread, stopped at the end."""
    server = scratch.make_server(scratch.DigitService(artefacts), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def post_json(client, path, body):
    """POST with Python's json.dumps, which writes NaN/Infinity (httpx's encoder refuses them)."""
    return client.post(path, content=json.dumps(body), headers=JSON)


def scratch_post(port, body: bytes, headers=None, path="/predict/digit"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", path, body=body, headers=JSON if headers is None else headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def normalised(pixels):
    return (np.asarray(pixels, dtype=np.float64)[:, None] - data.MNIST_MEAN) / data.MNIST_STD


def png_bytes(array01: np.ndarray, mode="L", fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.round(array01 * 255).astype(np.uint8), mode=None).convert(mode).save(
        buffer, format=fmt
    )
    return buffer.getvalue()


# ------------------------------------------------------------------------------ artefacts


def test_metadata_records_version_data_accuracy_and_true_checksums(artefacts):
    for name in (contract.DIGIT_METADATA, contract.TABULAR_METADATA):
        metadata = json.loads((artefacts / name).read_text())
        for key in ("model_version", "classes", "training", "metrics", "smoke", "files"):
            assert key in metadata, f"{name} lacks {key}"
        for file_name, record in metadata["files"].items():
            content = (artefacts / file_name).read_bytes()
            assert hashlib.sha256(content).hexdigest() == record["sha256"]
            assert len(content) == record["bytes"]
    digit = json.loads((artefacts / contract.DIGIT_METADATA).read_text())
    assert digit["input"]["normalisation"]["mean"] == pytest.approx(data.MNIST_MEAN)
    assert digit["model_version"].endswith(digit["files"]["mnist_cnn.pt"]["sha256"][:12])
    assert digit["training"]["data_source"] == "digits-standin"


def test_tabular_build_is_reproducible(artefacts, tmp_path):
    again = build.build_tabular_artefacts(tmp_path, force=True)
    first = json.loads((artefacts / contract.TABULAR_METADATA).read_text())
    assert again["files"] == first["files"] and again["model_version"] == first["model_version"]
    assert again["metrics"]["test_accuracy"] >= 0.93


def test_current_artefacts_are_verified_not_rebuilt(artefacts):
    before = {p.name: p.stat().st_mtime_ns for p in artefacts.iterdir()}
    build.build_all(artefacts, artefacts.parent / "11", quick=True)
    assert {p.name: p.stat().st_mtime_ns for p in artefacts.iterdir()} == before


@pytest.fixture
def artefact_copy(artefacts, tmp_path):
    copy = tmp_path / "artefacts"
    shutil.copytree(artefacts, copy)
    return copy


def test_tampered_weights_stop_start_up(artefact_copy):
    weights = artefact_copy / "mnist_cnn.pt"
    content = bytearray(weights.read_bytes())
    content[len(content) // 2] ^= 0x01  # one flipped bit
    weights.write_bytes(bytes(content))
    with pytest.raises(
        contract.ArtefactError,
        match=r"mnist_cnn\.pt does not match its checksum.*build_artefacts\.py",
    ):
        with TestClient(service.create_app(artefact_copy)):
            pass
    with pytest.raises(contract.ArtefactError, match=r"mnist_cnn\.pt"):
        scratch.DigitService(artefact_copy).predict(np.zeros((1, SIDE, SIDE)))


def test_serve_command_refuses_tampered_weights_before_listening(artefact_copy, monkeypatch):
    weights = artefact_copy / "mnist_cnn.pt"
    weights.write_bytes(weights.read_bytes()[:-1] + b"X")
    monkeypatch.setattr(
        sys, "argv", ["serve_fastapi.py", "--serve", "--artefact-dir", str(artefact_copy)]
    )
    with pytest.raises(
        SystemExit, match=r"cannot start the service: .*mnist_cnn\.pt does not match its checksum"
    ) as refused:
        service.main()  # the models load before uvicorn starts: one line, no traceback
    assert "\n" not in str(refused.value.code)


def test_tampered_numpy_weights_stop_the_scratch_server(artefact_copy):
    arrays = artefact_copy / "mnist_cnn.npz"
    arrays.write_bytes(arrays.read_bytes()[:-10])  # a truncated copy
    with pytest.raises(contract.ArtefactError, match=r"mnist_cnn\.npz does not match its checksum"):
        scratch.DigitService(artefact_copy)


def test_missing_pipeline_stops_start_up_with_rebuild_command(artefact_copy):
    (artefact_copy / build.TABULAR_FILE).unlink()
    with pytest.raises(
        contract.ArtefactError,
        match=rf"breast_cancer_pipeline\.npz is missing.*--out-dir {artefact_copy}",
    ):
        with TestClient(service.create_app(artefact_copy)):
            pass


def _rewrite_digest(folder, metadata_name, file_name):
    """What an attacker who can write the folder does: replace a file and fix its checksum."""
    path = folder / metadata_name
    metadata = json.loads(path.read_text())
    metadata["files"][file_name] = contract.file_record(folder / file_name)
    path.write_text(json.dumps(metadata))


class _Payload:
    """Unpickling this creates ``marker``: the proof that loading a file ran code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize(
    "file_name, metadata_name",
    [
        (build.TABULAR_FILE, contract.TABULAR_METADATA),
        ("mnist_cnn.pt", contract.DIGIT_METADATA),
        ("mnist_cnn.npz", contract.DIGIT_METADATA),
    ],
)
def test_malicious_file_with_a_matching_digest_runs_nothing(
    artefact_copy, file_name, metadata_name
):
    import pickle

    marker = artefact_copy / "pwned"
    (artefact_copy / file_name).write_bytes(pickle.dumps(_Payload(marker)))
    _rewrite_digest(artefact_copy, metadata_name, file_name)
    loader = (
        scratch.DigitService
        if file_name.endswith(".npz") and "mnist" in file_name
        else lambda folder: service.load_models(folder)
    )
    with pytest.raises(contract.ArtefactError, match=file_name.replace(".", r"\.")) as refused:
        loader(artefact_copy)
    assert not marker.exists()
    assert "\n" not in str(refused.value)  # one line


def _edit_metadata(folder, name, change):
    path = folder / name
    metadata = json.loads(path.read_text())
    change(metadata)
    path.write_text(json.dumps(metadata))


def test_malformed_but_checksummed_artefacts_are_not_ready(artefact_copy):
    arrays = dict(np.load(artefact_copy / "mnist_cnn.npz"))
    arrays["fc2.bias"] = arrays["fc2.bias"][:5]  # the wrong shape, with a matching digest
    np.savez(artefact_copy / "mnist_cnn.npz", **arrays)
    _rewrite_digest(artefact_copy, contract.DIGIT_METADATA, "mnist_cnn.npz")
    with pytest.raises(contract.ArtefactError, match=r"fc2\.bias has shape \(5,\).*Rebuild with"):
        scratch.DigitService(artefact_copy)


@pytest.mark.parametrize(
    "name, change, words",
    [
        (contract.DIGIT_METADATA, lambda m: m.pop("input"), "lacks 'input'"),
        (contract.DIGIT_METADATA, lambda m: m["input"]["normalisation"].update(std=1.0), "differs"),
        (contract.TABULAR_METADATA, lambda m: m["smoke"]["probabilities"].reverse(), "differs"),
        (contract.TABULAR_METADATA, lambda m: m.pop("features"), "lacks 'features'"),
    ],
    ids=["no-input", "wrong-normalisation", "wrong-smoke", "no-features"],
)
def test_readiness_check_refuses_to_start(artefact_copy, name, change, words):
    _edit_metadata(artefact_copy, name, change)
    with pytest.raises(contract.ArtefactError, match=words):
        service.load_models(artefact_copy)
    if name == contract.DIGIT_METADATA:
        with pytest.raises(contract.ArtefactError, match=words):
            scratch.DigitService(artefact_copy)


def test_missing_metadata_names_the_file(tmp_path):
    with pytest.raises(
        contract.ArtefactError, match=r"mnist_cnn\.json is missing.*build_artefacts\.py"
    ):
        scratch.DigitService(tmp_path)


# ------------------------------------------------------------------------ happy paths


def test_health_and_model_cards(client, artefacts):
    digit = json.loads((artefacts / contract.DIGIT_METADATA).read_text())
    tabular = json.loads((artefacts / contract.TABULAR_METADATA).read_text())
    health = client.get("/health")
    assert health.status_code == 200
    assert health.json() == {
        "status": "ok",
        "models": {"digit": digit["model_version"], "tabular": tabular["model_version"]},
    }
    cards = client.get("/model").json()
    assert "libraries" not in cards["digit"] and "libraries" not in cards["tabular"]
    assert cards["digit"]["files"] == digit["files"]
    assert cards["tabular"]["model_version"] == tabular["model_version"]
    assert cards["tabular"]["input"]["features"] == build.tabular_feature_names()


def test_predict_digit_equals_the_models_called_directly(client, models, artefacts, digits):
    pixels, _ = digits
    answer = client.post("/predict/digit", json={"images": pixels.tolist()})
    assert answer.status_code == 200
    body = answer.json()
    probs = np.array([p["probabilities"] for p in body["predictions"]])
    labels = np.array([p["label"] for p in body["predictions"]])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    # the JSON round trip only: models.digit is the object the route itself called
    np.testing.assert_allclose(probs, models.digit.predict_proba(pixels), atol=1e-6)
    numpy_cnn = cnn_numpy.NumpyMnistCNN.from_npz(artefacts / "mnist_cnn.npz")
    np.testing.assert_allclose(
        probs, numpy_cnn.predict_proba(normalised(pixels)), atol=contract.SMOKE_ATOL
    )
    np.testing.assert_array_equal(labels, numpy_cnn.predict(normalised(pixels)))
    assert body["model_version"] == models.digit.metadata["model_version"]


def test_trained_cnn_reads_held_out_digits(client, digits):
    pixels, labels = digits
    predicted = [
        p["label"]
        for p in client.post("/predict/digit", json={"images": pixels.tolist()}).json()[
            "predictions"
        ]
    ]
    assert np.mean(np.array(predicted) == labels) >= 0.6  # quick stand-in model; chance is 0.1


def test_integer_pixels_are_numbers(client):
    image = [[0] * SIDE for _ in range(SIDE)]
    image[10][10] = 1
    assert client.post("/predict/digit", json={"images": [image]}).status_code == 200


def test_predict_tabular_equals_the_pipeline(client, models, tabular_row):
    answer = client.post("/predict/tabular", json=tabular_row)
    assert answer.status_code == 200
    body = answer.json()
    frame = pd.DataFrame([tabular_row])[build.tabular_feature_names()]
    expected = models.tabular.pipeline.predict_proba(frame)
    np.testing.assert_allclose(body["probabilities"], expected[0], atol=1e-12)
    assert (
        body["class_name"]
        == body["classes"][body["label"]]
        == ["malignant", "benign"][int(expected.argmax())]
    )


def test_feature_order_does_not_matter(client, tabular_row):
    shuffled = dict(reversed(list(tabular_row.items())))
    assert (
        client.post("/predict/tabular", json=shuffled).json()
        == client.post("/predict/tabular", json=tabular_row).json()
    )


# ------------------------------------------------------------------------- bad input (422)


def _image(value=0.0, rows=SIDE, cols=SIDE):
    return [[value] * cols for _ in range(rows)]


def _with_pixel(value, r=3, c=5):
    image = _image()
    image[r] = list(image[r])
    image[r][c] = value
    return {"images": [_image(), image]}


BAD_DIGIT_BODIES = {
    "NaN": (_with_pixel(float("nan")), ["body", "images", 1, 3, 5], "finite_number"),
    "infinity": (_with_pixel(float("inf")), ["body", "images", 1, 3, 5], "finite_number"),
    "negative pixel": (_with_pixel(-0.1), ["body", "images", 1, 3, 5], "greater_than_equal"),
    "pixel above 1": (_with_pixel(1.5), ["body", "images", 1, 3, 5], "less_than_equal"),
    "boolean pixel": (_with_pixel(True), ["body", "images", 1, 3, 5], "float_type"),
    "string pixel": (_with_pixel("0.5"), ["body", "images", 1, 3, 5], "float_type"),
    "null pixel": (_with_pixel(None), ["body", "images", 1, 3, 5], "float_type"),
    "huge integer": (_with_pixel(10**400), ["body", "images", 1, 3, 5], "float_type"),
    "0 and 1 are valid, NaN is not": (  # the bounds are included: one error, not 785
        {"images": [_image(1.0), _with_pixel(float("nan"))["images"][1]]},
        ["body", "images", 1, 3, 5],
        "finite_number",
    ),
    "27 rows": ({"images": [_image(rows=27)]}, ["body", "images", 0], "too_short"),
    "29 columns": ({"images": [_image(cols=29)]}, ["body", "images", 0, 0], "too_long"),
    "short image, bad pixel": (  # pydantic reports the items' errors, not the missing rows
        {"images": [[[2.0] * SIDE]]},
        ["body", "images", 0, 0, 0],
        "less_than_equal",
    ),
    "long row, bad pixel": (  # too long: the items are not even looked at
        {"images": [[[2.0] * 29] * SIDE]},
        ["body", "images", 0, 0],
        "too_long",
    ),
    "flat image": ({"images": [[0.0] * (SIDE * SIDE)]}, ["body", "images", 0], "too_long"),
    "rows are numbers": ({"images": [[0.0] * SIDE]}, ["body", "images", 0, 0], "list_type"),
    "empty batch": ({"images": []}, ["body", "images"], "too_short"),
    "batch over the limit": (
        {"images": [_image()] * (contract.MAX_BATCH + 1)},
        ["body", "images"],
        "too_long",
    ),
    "missing images": ({}, ["body", "images"], "missing"),
    "unknown field": (
        {"images": [_image()], "threshold": 0.5},
        ["body", "threshold"],
        "extra_forbidden",
    ),
    "images not a list": ({"images": "0.5"}, ["body", "images"], "list_type"),
    "body is a list": ([_image()], ["body"], "model_attributes_type"),
}


@pytest.mark.parametrize("case", BAD_DIGIT_BODIES, ids=str)
def test_bad_digit_requests_are_422_naming_the_field(client, case):
    body, loc, kind = BAD_DIGIT_BODIES[case]
    answer = post_json(client, "/predict/digit", body)
    assert answer.status_code == 422
    error = answer.json()
    assert error["detail"][0]["loc"] == loc and error["detail"][0]["type"] == kind
    assert contract.format_loc(loc) in error["message"]


# the cases that grade the hand-written checks: one pixel (16.1), a list's shape (16.2)
PIXEL_CASES = ["NaN", "infinity", "negative pixel", "pixel above 1", "boolean pixel"]
PIXEL_CASES += ["string pixel", "null pixel", "huge integer", "0 and 1 are valid, NaN is not"]
LIST_CASES = ["27 rows", "29 columns", "short image, bad pixel", "long row, bad pixel"]
LIST_CASES += ["flat image", "rows are numbers", "empty batch", "batch over the limit"]
LIST_CASES += ["images not a list"]


def _graded(case: str):
    exercise = "16.1" if case in PIXEL_CASES else "16.2" if case in LIST_CASES else None
    marks = [pytest.mark.exercise(exercise)] if exercise else []
    return pytest.param(case, id=case, marks=marks)


@pytest.mark.parametrize("case", [_graded(case) for case in BAD_DIGIT_BODIES])
def test_scratch_validation_mirrors_pydantic(client, case):
    body = BAD_DIGIT_BODIES[case][0]
    fastapi_errors = post_json(client, "/predict/digit", body).json()
    with pytest.raises(scratch.RequestRefused) as refused:
        scratch.validation.validate_digit_request(json.loads(json.dumps(body)))
    assert refused.value.status == 422
    assert refused.value.body == fastapi_errors


def _tabular(row, **changes):
    changed = dict(row)
    for name, value in changes.items():
        if value is KeyError:
            del changed[name]
        else:
            changed[name] = value
    return changed


@pytest.mark.parametrize(
    "change, loc, kind",
    [
        ({"mean_radius": KeyError}, ["body", "mean_radius"], "missing"),
        ({"mean_radiuss": 14.0}, ["body", "mean_radiuss"], "extra_forbidden"),
        ({"mean_area": True}, ["body", "mean_area"], "float_type"),
        ({"mean_area": "654.9"}, ["body", "mean_area"], "float_type"),
        ({"worst_symmetry": float("nan")}, ["body", "worst_symmetry"], "finite_number"),
        ({"worst_symmetry": float("-inf")}, ["body", "worst_symmetry"], "finite_number"),
        ({"mean_texture": -1.0}, ["body", "mean_texture"], "greater_than_equal"),
        ({"mean_area": 1e6}, ["body", "mean_area"], "less_than_equal"),
    ],
    ids=["missing", "unknown", "boolean", "string", "nan", "-inf", "negative", "out-of-range"],
)
def test_bad_tabular_requests_are_422_naming_the_feature(client, tabular_row, change, loc, kind):
    answer = post_json(client, "/predict/tabular", _tabular(tabular_row, **change))
    assert answer.status_code == 422
    assert (answer.json()["detail"][0]["loc"], answer.json()["detail"][0]["type"]) == (loc, kind)
    assert loc[-1] in answer.json()["message"]


def test_many_errors_are_capped_and_counted(client):
    answer = post_json(client, "/predict/digit", {"images": [_image(float("nan"))]})
    assert answer.status_code == 422
    assert len(answer.json()["detail"]) == contract.MAX_ERRORS_REPORTED
    assert f"and {SIDE * SIDE - 1} more" in answer.json()["message"]


# ---------------------------------------------------------------- bodies, JSON, sizes (400/413)

RAW_BODIES = {
    "malformed JSON": (b'{"images": [[[0.1, ', JSON, 422, "json_invalid"),
    "no content type": (b'{"images": []}', {}, 422, "model_attributes_type"),
    "text/plain": (b'{"images": []}', {"content-type": "text/plain"}, 422, "model_attributes_type"),
    "empty body": (b"", JSON, 422, "missing"),
    "invalid UTF-8": (b'{"images": "\xff\xfe"}', JSON, 400, None),
    "nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, JSON, 400, None),
}


@pytest.mark.parametrize("case", RAW_BODIES, ids=str)
def test_raw_bodies_answer_like_on_both_servers(client, scratch_server, case):
    body, headers, status, kind = RAW_BODIES[case]
    answer = client.post("/predict/digit", content=body, headers=headers)
    assert answer.status_code == status
    if kind:
        assert answer.json()["detail"][0]["type"] == kind
    assert scratch_post(scratch_server, body, headers) == (status, answer.json())


@pytest.mark.exercise("16.3")
def test_oversized_bodies_are_413_before_parsing(client, scratch_server):
    too_big = b" " * (contract.MAX_BODY_BYTES + 1)
    answer = client.post("/predict/digit", content=too_big, headers=JSON)
    assert answer.status_code == 413 and "too large" in answer.json()["message"]
    assert scratch_post(scratch_server, too_big) == (413, answer.json())

    def chunks():  # no Content-Length: refused before a byte is read
        for _ in range(3):
            yield b" " * (contract.MAX_BODY_BYTES // 2)

    assert client.post("/predict/digit", content=chunks(), headers=JSON).status_code == 411
    upload = client.post("/predict/digit/image", files={"file": ("big.png", too_big, "image/png")})
    assert upload.status_code == 413
    assert client.post("/predict/tabular", content=too_big, headers=JSON).status_code == 413


@pytest.mark.exercise("16.3")
def test_a_body_of_exactly_the_limit_is_read_by_both_servers(client, scratch_server):
    at_the_limit = b" " * (contract.MAX_BODY_BYTES - 2) + b"{}"  # valid JSON, no images
    answer = client.post("/predict/digit", content=at_the_limit, headers=JSON)
    assert answer.status_code == 422 and answer.json()["detail"][0]["type"] == "missing"
    assert scratch_post(scratch_server, at_the_limit) == (422, answer.json())


def test_a_full_batch_fits_the_body_limit(client):
    rng = np.random.default_rng(0)
    batch = {"images": rng.random((contract.MAX_BATCH, SIDE, SIDE)).tolist()}
    body = json.dumps(batch)
    assert len(body) <= contract.MAX_BODY_BYTES
    assert (
        len(client.post("/predict/digit", content=body, headers=JSON).json()["predictions"])
        == contract.MAX_BATCH
    )


def test_unknown_routes_and_methods_answer_json(client, scratch_server):
    assert (
        client.get("/nope").status_code == 404
        and client.get("/nope").json()["message"] == "Not Found"
    )
    assert client.get("/predict/digit").status_code == 405
    assert scratch_post(scratch_server, b"{}", path="/nope") == (404, client.get("/nope").json())


# ---------------------------------------------------------------------------- image upload


def test_mnist_frame_undoes_scale_inversion_and_offset(digits):
    pixels, _ = digits
    for original in pixels[:8]:
        frame = service.mnist_frame(original)
        big = np.kron(1.0 - frame, np.ones((6, 6)))  # 168×168, dark ink on white paper
        paper = np.ones((240, 200))
        paper[50:218, 10:178] = big  # off-centre on a larger sheet
        again = service.mnist_frame(paper.astype(np.float32))
        cosine = (again * frame).sum() / np.linalg.norm(again) / np.linalg.norm(frame)
        assert cosine > 0.95
        assert again.min() >= 0 and again.max() <= 1 and again.shape == (SIDE, SIDE)
        rows, cols = np.indices(again.shape)
        centre = ((rows * again).sum() / again.sum(), (cols * again).sum() / again.sum())
        assert np.allclose(centre, 13.5, atol=1.0)


@pytest.mark.parametrize(
    "fmt, mode", [("PNG", "L"), ("JPEG", "L"), ("PNG", "RGB"), ("PNG", "RGBA")]
)
def test_uploaded_picture_is_read_like_the_28x28_digit(client, models, digits, fmt, mode):
    pixels, _ = digits
    for original in pixels[:4]:
        frame = service.mnist_frame(original)
        picture = np.kron(1.0 - frame, np.ones((5, 5)))  # a 140×140 scan, dark on light
        answer = client.post(
            "/predict/digit/image",
            files={"file": ("d." + fmt.lower(), png_bytes(picture, mode, fmt), "image/png")},
        )
        assert answer.status_code == 200
        expected = models.digit.predict_proba(frame[None])[0]
        assert answer.json()["predictions"][0]["label"] == int(expected.argmax())


def test_transparent_background_counts_as_paper(client, models, digits):
    frame = service.mnist_frame(digits[0][0])
    ink = np.kron(frame, np.ones((4, 4)))
    rgba = np.zeros(ink.shape + (4,), dtype=np.uint8)  # black ink, alpha = ink
    rgba[..., 3] = np.round(ink * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG")
    answer = client.post(
        "/predict/digit/image", files={"file": ("t.png", buffer.getvalue(), "image/png")}
    )
    assert answer.json()["predictions"][0]["label"] == int(
        models.digit.predict_proba(frame[None])[0].argmax()
    )


def _gif():
    buffer = io.BytesIO()
    Image.new("L", (28, 28)).save(buffer, format="GIF")
    return buffer.getvalue()


def _declared_size(png: bytes, width: int, height: int) -> bytes:
    """The same PNG with other dimensions in its header (IHDR), checksum fixed: a lying header."""
    ihdr = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + png[33:]


def _huge_png(size=(5000, 4000), mode="1"):
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format="PNG")  # a few kB of file, many megapixels
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content, status, words",
    [
        (b"not an image at all", 400, "not an image"),
        (b"", 400, "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, 400, "not an image"),
        (None, 400, "send a PNG or JPEG"),
        ("blank", 400, "no digit found"),
        ("truncated", 400, "could not be decoded"),
        ("huge", 413, "pixels"),
        ("bomb", 413, "pixels"),
    ],
    ids=["garbage", "empty", "broken-png", "gif", "blank", "truncated", "20-megapixels", "bomb"],
)
def test_bad_uploads_are_refused_with_a_clear_message(client, content, status, words):
    if content is None:
        content = _gif()
    elif content == "blank":
        content = png_bytes(np.full((50, 50), 0.7))
    elif content == "truncated":
        content = png_bytes(np.random.default_rng(0).random((200, 200)))[:400]
    elif content == "huge":
        content = _huge_png()
    elif content == "bomb":  # beyond Pillow's own limit: its error is a 413 too
        content = _declared_size(png_bytes(np.zeros((1, 1))), 20000, 20000)
    answer = client.post("/predict/digit/image", files={"file": ("x.png", content, "image/png")})
    assert answer.status_code == status
    assert words in answer.json()["message"]


def test_decompression_amplification_is_refused_from_the_header(client, monkeypatch):
    """A 62 kB PNG declaring 4000×4000 RGBA: 413 before a single pixel is decoded."""
    from PIL import ImageFile

    def no_decoding(self):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    payload = _huge_png((4000, 4000), "RGBA")
    assert len(payload) < 100_000
    answer = client.post("/predict/digit/image", files={"file": ("x.png", payload, "image/png")})
    assert answer.status_code == 413 and "4000×4000" in answer.json()["message"]


def test_upload_without_a_file_is_422_naming_it(client):
    answer = client.post("/predict/digit/image", data={"other": "x"})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "file"]


# ---------------------------------------------------------------------- the two servers agree


def test_scratch_server_answers_like_fastapi(client, scratch_server, digits):
    pixels, _ = digits
    body = json.dumps({"images": pixels[:16].tolist()}).encode()
    status, numpy_answer = scratch_post(scratch_server, body)
    fastapi_answer = client.post("/predict/digit", content=body, headers=JSON).json()
    assert status == 200
    assert numpy_answer["model_version"] == fastapi_answer["model_version"]
    assert [p["label"] for p in numpy_answer["predictions"]] == [
        p["label"] for p in fastapi_answer["predictions"]
    ]
    np.testing.assert_allclose(
        [p["probabilities"] for p in numpy_answer["predictions"]],
        [p["probabilities"] for p in fastapi_answer["predictions"]],
        atol=contract.SMOKE_ATOL,
    )
    for case in ("NaN", "boolean pixel", "27 rows", "unknown field", "batch over the limit"):
        bad = json.dumps(BAD_DIGIT_BODIES[case][0]).encode()
        assert scratch_post(scratch_server, bad) == (
            422,
            client.post("/predict/digit", content=bad, headers=JSON).json(),
        )


# ----------------------------------------------------------------------- OpenAPI documentation


def test_docs_describe_every_field_with_an_example(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    undocumented = [
        f"{name}.{field}"
        for name, schema in schemas.items()
        if not name.startswith(("Body_", "HTTPValidationError", "ValidationError"))
        for field, spec in schema.get("properties", {}).items()
        if not spec.get("description") or not (spec.get("examples") or "$ref" in str(spec))
    ]
    assert not undocumented, undocumented
    upload = next(s for n, s in schemas.items() if n.startswith("Body_"))
    assert upload["properties"]["file"]["description"]
    for name in ("DigitBatch", "TabularFeatures", "DigitResponse", "ErrorResponse"):
        assert name in schemas


# ------------------------------------------------- property-based: the OpenAPI schema as the spec


def from_schema(node: dict, components: dict):
    """A hypothesis strategy for the JSON documents a JSON-Schema node accepts.

    Long fixed-size arrays (28 pixels a row) are drawn as 1 to 3 items repeated to the
    required length, so examples stay small while keeping the exact shape.
    """
    if "$ref" in node:
        return from_schema(components[node["$ref"].rsplit("/", 1)[-1]], components)
    if "anyOf" in node:
        return st.one_of([from_schema(option, components) for option in node["anyOf"]])
    kind = node.get("type")
    if kind == "object":
        properties = {k: from_schema(v, components) for k, v in node.get("properties", {}).items()}
        required = set(node.get("required", []))
        return st.fixed_dictionaries(
            {k: v for k, v in properties.items() if k in required},
            optional={k: v for k, v in properties.items() if k not in required},
        )
    if kind == "array":
        item = from_schema(node["items"], components)
        low, high = node.get("minItems", 0), node.get("maxItems", node.get("minItems", 0) + 3)
        return st.integers(low, min(high, max(low, 3))).flatmap(
            lambda n: st.lists(item, min_size=min(n, 1), max_size=min(n, 3)).map(
                lambda xs: (xs * n)[:n]
            )
        )
    if kind == "number":
        return st.floats(
            node.get("minimum"), node.get("maximum"), allow_nan=False, allow_infinity=False
        )
    if kind == "integer":
        return st.integers(node.get("minimum"), node.get("maximum"))
    if kind == "string":
        return st.text(max_size=8)
    if kind == "boolean":
        return st.booleans()
    return st.none()


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=4),
    st.sampled_from([float("nan"), float("inf"), -1e308]),
    st.floats(allow_nan=False),
    st.integers(-(10**30), 10**30),
    st.just(10**400),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@st.composite
def mutated(draw, valid):
    """A valid document with one thing broken: a value replaced, a key dropped or a key added."""
    document = draw(valid)
    action = draw(st.sampled_from(["replace", "drop", "add"]))
    if action == "drop" and isinstance(document, dict) and document:
        key = draw(st.sampled_from(sorted(document)))
        return {k: v for k, v in document.items() if k != key}
    if action == "add" and isinstance(document, dict):
        return {**document, draw(st.text(min_size=1, max_size=6)): draw(JUNK)}

    def replace(node):
        if isinstance(node, (list, dict)) and node and draw(st.booleans()):
            key = draw(
                st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node)))
            )
            copy = dict(node) if isinstance(node, dict) else list(node)
            copy[key] = replace(node[key])
            return copy
        return draw(JUNK)

    return replace(document)


@pytest.fixture(scope="module")
def openapi(client):
    return client.get("/openapi.json").json()


def assert_documented(openapi, path, method, response):
    """No 5xx, the status is one the route documents, and the body matches that status's schema."""
    assert response.status_code < 500, response.text
    documented = openapi["paths"][path][method]["responses"]
    assert str(response.status_code) in documented, (response.status_code, response.text[:300])
    schema = documented[str(response.status_code)]["content"]["application/json"]["schema"]
    Draft202012Validator({**schema, "components": openapi["components"]}).validate(response.json())


def body_schema(openapi, path):
    return openapi["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]


FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("path", ["/predict/digit", "/predict/tabular"])
def test_property_valid_requests_get_200_and_match_the_schema(client, openapi, path):
    @FUZZ
    @given(document=from_schema(body_schema(openapi, path), openapi["components"]["schemas"]))
    def check(document):
        response = post_json(client, path, document)
        assert response.status_code == 200, response.text[:300]
        assert_documented(openapi, path, "post", response)

    check()


@pytest.mark.parametrize("path", ["/predict/digit", "/predict/tabular"])
def test_property_broken_requests_never_5xx_and_match_the_schema(client, openapi, path):
    valid = from_schema(body_schema(openapi, path), openapi["components"]["schemas"])

    @FUZZ
    @given(document=st.one_of(mutated(valid), JUNK))
    def check(document):
        assert_documented(openapi, path, "post", post_json(client, path, document))

    check()


def test_property_any_bytes_never_5xx(client, openapi):
    @FUZZ
    @given(content=st.binary(max_size=300), kind=st.sampled_from(["digit", "tabular", "image"]))
    def check(content, kind):
        if kind == "image":
            path = "/predict/digit/image"
            response = client.post(path, files={"file": ("x.png", content, "image/png")})
        else:
            path = f"/predict/{kind}"
            response = client.post(path, content=content, headers=JSON)
        assert_documented(openapi, path, "post", response)

    check()


def test_property_small_pictures_never_5xx(client, openapi):
    @FUZZ
    @given(
        height=st.integers(1, 40),
        width=st.integers(1, 40),
        seed=st.integers(0, 2**16),
        fmt=st.sampled_from(["PNG", "JPEG"]),
        sparse=st.booleans(),
    )
    def check(height, width, seed, fmt, sparse):
        picture = np.random.default_rng(seed).random((height, width)) ** (8 if sparse else 1)
        response = client.post(
            "/predict/digit/image",
            files={"file": ("x", png_bytes(picture, "L", fmt), "application/octet-stream")},
        )
        assert_documented(openapi, "/predict/digit/image", "post", response)

    check()


def test_get_routes_match_the_schema(client, openapi):
    for path in ("/health", "/model"):
        assert_documented(openapi, path, "get", client.get(path))

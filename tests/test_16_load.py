"""Stage 16 under load: real server processes on a free port of 127.0.0.1, 1,000 requests each.

Each server (uvicorn + FastAPI, and the standard library's http.server + NumPy) is started by
the test, answers 1,000 requests from 16 concurrent clients with zero errors, and every answer
must equal calling the model directly. The servers are always stopped (context manager
``finally``); every request has a timeout and the whole run a deadline. Only 127.0.0.1 is used.
"""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

import journey
from journey import data

service = journey.load_stage("16", "library_impl/serve_fastapi.py")
scratch = journey.load_stage("16", "from_scratch/serve_http_numpy.py")
loadgen = journey.load_stage("16", "_loadgen.py")

STAGE_DIR = journey.find_stage("16").path
N_REQUESTS, CONCURRENCY, N_DISTINCT = 1000, 16, 100


@pytest.fixture(scope="module")
def requests_and_pixels():
    """100 distinct one-image requests (held-out stand-in digits), as JSON bytes and as pixels."""
    _, _, images, _ = data.digits_as_mnist()
    pixels = images[:N_DISTINCT].astype(np.float32) / 255.0
    return [json.dumps({"images": [p.tolist()]}).encode() for p in pixels], pixels


def serve_argv(script, artefact_dir):
    """The command that starts ``script`` (a path in the stage folder) as a server."""
    return [sys.executable, str(STAGE_DIR / script), "--serve", "--artefact-dir", str(artefact_dir)]


def run_load(argv, bodies):
    port = loadgen.free_port()
    with loadgen.server_process(argv + ["--port", str(port)], port, startup_timeout=180) as url:
        assert url.startswith("http://127.0.0.1:")
        replies = loadgen.hammer(
            port, "/predict/digit", bodies, N_REQUESTS, CONCURRENCY, timeout=30, deadline=240
        )
    errors = [(r.index, r.status, r.error, r.content[:200]) for r in replies if r.status != 200]
    assert not errors, f"{len(errors)} failed requests, first: {errors[:3]}"
    return replies


def answers(replies):
    """(body index, label, probabilities) of every reply."""
    for reply in replies:
        (prediction,) = json.loads(reply.content)["predictions"]
        yield reply.body_index, prediction["label"], np.array(prediction["probabilities"])


def test_uvicorn_serves_1000_requests_from_16_clients_exactly(artefacts, requests_and_pixels):
    bodies, pixels = requests_and_pixels
    argv = serve_argv("library_impl/serve_fastapi.py", artefacts) + ["--log-level", "warning"]
    replies = run_load(argv, bodies)
    model = service.load_models(artefacts).digit
    direct = np.concatenate([model.predict_proba(pixels[i : i + 1]) for i in range(len(pixels))])
    for index, label, probabilities in answers(replies):
        assert label == int(direct[index].argmax())
        np.testing.assert_allclose(probabilities, direct[index], atol=1e-6)


def test_scratch_server_serves_1000_requests_with_parity(artefacts, requests_and_pixels):
    bodies, pixels = requests_and_pixels
    replies = run_load(serve_argv("from_scratch/serve_http_numpy.py", artefacts), bodies)
    numpy_cnn = scratch.DigitService(artefacts).model
    normalised = (pixels[:, None].astype(np.float64) - data.MNIST_MEAN) / data.MNIST_STD
    numpy_direct = np.concatenate(
        [numpy_cnn.predict_proba(normalised[i : i + 1]) for i in range(len(pixels))]
    )
    torch_direct = service.load_models(artefacts).digit.predict_proba(pixels)
    for index, label, probabilities in answers(replies):
        assert label == int(numpy_direct[index].argmax()) == int(torch_direct[index].argmax())
        np.testing.assert_allclose(probabilities, numpy_direct[index], atol=1e-6)
        np.testing.assert_allclose(
            probabilities, torch_direct[index], atol=service.contract.SMOKE_ATOL
        )


@pytest.mark.parametrize(
    "script", ["library_impl/serve_fastapi.py", "from_scratch/serve_http_numpy.py"]
)
def test_start_up_refusal_is_one_line_without_traceback(artefacts, tmp_path, script):
    copy = tmp_path / "tampered"
    shutil.copytree(artefacts, copy)
    weights = copy / "mnist_cnn.npz"
    weights.write_bytes(weights.read_bytes() + b"\0")
    finished = subprocess.run(serve_argv(script, copy), capture_output=True, text=True, timeout=120)
    assert finished.returncode == 1 and finished.stdout == ""
    (line,) = finished.stderr.strip().splitlines()
    assert line.startswith("cannot start the service: ") and "mnist_cnn.npz does not match" in line

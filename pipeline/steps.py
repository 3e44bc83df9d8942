"""The pipeline's six steps, each a call into the stage that teaches it, and ``run`` for all six.

1. data      stage 11's loader finds MNIST (or writes the offline stand-in); SHA-256 of every
             data file, so a later run can tell whether it saw the same bytes;
2. training  stage 11's ``train``: seeded (Python, NumPy, torch, the batch order) with
             ``torch.use_deterministic_algorithms`` on, so the same settings give the same weights;
3. evaluate  stage 11's ``evaluate_saved``: the weights reloaded from disk (weights_only=True) must
             give the accuracy recorded at training;
4. package   stage 16's ``build_all``: weights + metadata + the breast-cancer pipeline, each with
             its SHA-256 and the model's answer to a fixed readiness input;
5. serve     stage 16's service started as its own process (``serve_fastapi.py --serve``) on a
             free port of 127.0.0.1, called over HTTP: /health, one digit batch, one tumour —
             the answers must equal the packaged models called directly;
6. stop      the service is terminated and must no longer answer.

The manifest (``manifest.json``) records all of it. Its ``metrics`` and ``artefacts`` parts
depend only on the settings, the data and the library versions; ``seconds`` does not.
"""

import os
import platform
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from importlib import metadata, resources
from pathlib import Path

import httpx
import numpy as np
import torch

import journey
from journey import data
from journey.cli import MNIST_DATA

cnn11 = journey.load_stage("11", "library_impl/mnist_cnn_pytorch.py")
build = journey.load_stage("16", "library_impl/build_artefacts.py")
serve = journey.load_stage("16", "library_impl/serve_fastapi.py")
loadgen = journey.load_stage("16", "_loadgen.py")
contract = serve.contract

SERVE_SCRIPT = journey.REPO_ROOT / "16_deployment" / "library_impl" / "serve_fastapi.py"
LIBRARIES = ("numpy", "torch", "torchvision", "scikit-learn", "fastapi", "uvicorn", "pydantic")
SMOKE_DIGITS = 8  # held-out digits sent to the service in one request
SMOKE_ATOL = 1e-6  # JSON carries float32 probabilities exactly; allow the last bit


class PipelineError(RuntimeError):
    """A step's check failed; the message names the step and the two values that differ."""


@dataclass(frozen=True)
class Settings:
    """Everything that decides the result (and where it goes)."""

    out_dir: Path
    quick: bool = False
    seed: int = 0
    epochs: int = 5
    max_batches: int | None = None
    data: str = "auto"  # a key of journey.cli.MNIST_DATA
    data_dir: Path | None = None
    device: str = "auto"
    serve: bool = True

    @property
    def stage11_dir(self) -> Path:
        return self.out_dir / cnn11.STAGE

    @property
    def artefact_dir(self) -> Path:
        return self.out_dir / contract.STAGE


def sha256_files(paths) -> dict[str, str]:
    return {Path(p).name: contract.sha256_file(p) for p in paths}


# ----------------------------------------------------------------------------- the steps


def prepare_data(settings: Settings) -> dict:
    """Step 1: find (or fetch, or write the stand-in of) MNIST; checksum both data sets."""
    root, source = data.mnist_root(settings.data_dir, standin=MNIST_DATA[settings.data])
    raw = data.mnist_raw_dir(root)
    mnist_files = [raw / name for pair in data.MNIST_FILES.values() for name in pair]
    breast_cancer = resources.files("sklearn.datasets") / "data" / "breast_cancer.csv"
    return {
        "digits": {"source": source, "folder": str(raw), "sha256": sha256_files(mnist_files)},
        "breast_cancer": {
            "source": "scikit-learn's bundled breast_cancer.csv",
            "sha256": sha256_files([breast_cancer]),
        },
    }


@contextmanager
def deterministic_torch():
    """Deterministic kernels for the block (the previous settings come back afterwards).

    On a CPU the kernels used here already are; on CUDA a few are not (atomic adds in some
    backward passes), and cuBLAS needs a fixed workspace to be. ``warn_only``: an operation
    without a deterministic version warns instead of stopping the run.
    """
    previous = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
    )
    workspace = os.environ.get("CUBLAS_WORKSPACE_CONFIG")
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous[0], warn_only=previous[1])
        if workspace is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)


def train_digit_model(settings: Settings, digits_source: str) -> dict:
    """Step 2: stage 11's seeded training, into this run's own folder."""
    data_choice = "mnist" if digits_source == "mnist" else "standin"  # what step 1 found
    with deterministic_torch():
        trained = cnn11.train(
            settings.epochs,
            settings.device,
            settings.seed,
            settings.data_dir,
            data_choice,
            settings.stage11_dir,
            settings.max_batches,
            fast=True,
        )
    history = trained["history"]
    return {
        "settings": {
            key: trained[key] for key in ("epochs", "max_batches", "batch_size", "lr", "device")
        },
        "metrics": {
            "train_loss": history["train_loss"][-1],
            "test_loss": history["test_loss"][-1],
            "test_accuracy": trained["test_accuracy"],
            "test_size": trained["test_size"],
        },
    }


def evaluate_saved_model(settings: Settings, recorded_accuracy: float) -> float:
    """Step 3: reload the weights from disk and measure the test accuracy again."""
    accuracy, _ = cnn11.evaluate_saved(settings.stage11_dir, settings.device, settings.data_dir)
    if accuracy != recorded_accuracy:
        raise PipelineError(
            f"evaluate: the reloaded weights score {accuracy} on the test set, "
            f"training recorded {recorded_accuracy}"
        )
    return accuracy


def package_artefacts(settings: Settings) -> dict:
    """Step 4: stage 16 copies the weights, fits the tabular pipeline, writes the metadata."""
    built = build.build_all(
        settings.artefact_dir,
        settings.stage11_dir,
        quick=settings.quick,
        force=True,
        seed=settings.seed,
    )
    return {
        "models": {kind: meta["model_version"] for kind, meta in built.items()},
        "sha256": {
            name: record["sha256"]
            for meta in built.values()
            for name, record in meta["files"].items()
        },
        "tabular_test_accuracy": built["tabular"]["metrics"]["test_accuracy"],
    }


def smoke_requests(url: str, models, pixels: np.ndarray, tumour: dict) -> dict:
    """/health, one digit batch and one tumour over HTTP, checked against the models here."""
    health = httpx.get(f"{url}/health", timeout=10).json()
    digits = httpx.post(f"{url}/predict/digit", json={"images": pixels.tolist()}, timeout=30)
    tabular = httpx.post(f"{url}/predict/tabular", json=tumour, timeout=30)
    for answer in (digits, tabular):
        if answer.status_code != 200:
            raise PipelineError(f"serve: {answer.url} answered {answer.status_code}: {answer.text}")
    served = np.array([p["probabilities"] for p in digits.json()["predictions"]])
    direct = models.digit.predict_proba(pixels)
    difference = float(np.abs(served - direct).max())
    tabular_difference = float(
        np.abs(
            np.asarray(tabular.json()["probabilities"]) - models.tabular.predict_proba(tumour)
        ).max()
    )
    if max(difference, tabular_difference) > SMOKE_ATOL:
        raise PipelineError(
            f"serve: the service's probabilities differ from the packaged models' by "
            f"{max(difference, tabular_difference):.2e} (allowed {SMOKE_ATOL})"
        )
    return {
        "health": health,
        "digit_labels": served.argmax(axis=1).tolist(),
        "tabular_class": tabular.json()["class_name"],
        "max_abs_difference": max(difference, tabular_difference),
    }


def still_answers(url: str) -> bool:
    try:
        httpx.get(f"{url}/health", timeout=2)
    except httpx.HTTPError:
        return False
    return True


def serve_and_smoke_test(settings: Settings) -> dict:
    """Steps 5 and 6: the service in its own process, a smoke request, then stop it."""
    models = serve.load_models(settings.artefact_dir)
    _, _, images, _ = data.digits_as_mnist()
    pixels = images[:SMOKE_DIGITS].astype(np.float32) / 255.0
    tumour = build.breast_cancer_frame()[0].iloc[0].to_dict()
    port = loadgen.free_port()
    argv = [sys.executable, str(SERVE_SCRIPT), "--serve", "--port", str(port)]
    argv += ["--artefact-dir", str(settings.artefact_dir), "--log-level", "warning"]
    with loadgen.server_process(argv, port) as url:
        answers = smoke_requests(url, models, pixels, tumour)
    if still_answers(url):
        raise PipelineError(f"stop: the service at {url} still answers")
    if answers["health"]["models"] != {
        "digit": models.digit.metadata["model_version"],
        "tabular": models.tabular.metadata["model_version"],
    }:
        raise PipelineError(f"serve: the service reports {answers['health']} after start-up")
    return {**answers, "stopped": True}


# ------------------------------------------------------------------------------ the run


def library_versions() -> dict[str, str]:
    """The installed distributions, plus what torch was built for (its CUDA, or none)."""
    return {
        "python": platform.python_version(),
        **{name: metadata.version(name) for name in LIBRARIES},
        "torch_build": f"{torch.__version__} (CUDA {torch.version.cuda or 'none'})",
        "platform": platform.platform(),
    }


def run(settings: Settings) -> dict:
    """All six steps in order; returns the manifest (also written to ``manifest.json``)."""
    seconds, manifest = {}, {"settings": {**asdict(settings), "out_dir": str(settings.out_dir)}}

    def step(name: str, function, *args):
        start = time.perf_counter()
        result = function(*args)
        seconds[name] = round(time.perf_counter() - start, 2)
        print(f"[pipeline] {name:9s} done in {seconds[name]:.1f} s", flush=True)
        return result

    manifest["data"] = step("data", prepare_data, settings)
    training = step("training", train_digit_model, settings, manifest["data"]["digits"]["source"])
    reloaded = step(
        "evaluate", evaluate_saved_model, settings, training["metrics"]["test_accuracy"]
    )
    artefacts = step("package", package_artefacts, settings)
    manifest["training"] = {"seed": settings.seed, **training["settings"]}
    manifest["metrics"] = {
        "digit": {**training["metrics"], "reloaded_test_accuracy": reloaded},
        "tabular": {"test_accuracy": artefacts.pop("tabular_test_accuracy")},
    }
    manifest["artefacts"] = artefacts
    manifest["libraries"] = library_versions()
    manifest["service"] = (
        step("serve", serve_and_smoke_test, settings) if settings.serve else {"skipped": True}
    )
    manifest["seconds"] = seconds
    contract.write_json_atomic(settings.out_dir / "manifest.json", manifest)
    return manifest

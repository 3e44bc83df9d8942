"""Where the demo's answers come from: the stage-16 service when it runs, else the same files.

The page asks ``GET /health`` of the service (``JOURNEY_SERVICE_URL``, default
http://127.0.0.1:8000, as ``make serve`` starts it). When it answers "ok", every prediction is
an HTTP request to it — the demo is then one more client of the deployed service. When it does
not answer, the demo loads the artefacts the service would load (``outputs/16_deployment``, or
``JOURNEY_ARTEFACT_DIR``) with stage 16's own loader — checksums, shapes and the readiness
answer all verified — building them first if there are none. Both sources answer through the
same two methods, so the page does not care which one it talks to; it only says which.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

import journey
from journey import data

serve = journey.load_stage("16", "library_impl/serve_fastapi.py")
build = journey.load_stage("16", "library_impl/build_artefacts.py")
contract = serve.contract

DEFAULT_SERVICE_URL = "http://127.0.0.1:8000"
HEALTH_TIMEOUT_S = 0.5  # a service on this machine answers /health in milliseconds
PREDICT_TIMEOUT_S = 10.0


def service_url() -> str:
    return os.environ.get("JOURNEY_SERVICE_URL", DEFAULT_SERVICE_URL).rstrip("/")


def artefact_dir() -> Path:
    return Path(os.environ.get("JOURNEY_ARTEFACT_DIR") or contract.default_artefact_dir())


@dataclass(frozen=True)
class TabularAnswer:
    """The pipeline's answer for one tumour: probabilities in the order of ``classes``."""

    classes: list[str]
    probabilities: np.ndarray

    @property
    def class_name(self) -> str:
        return self.classes[int(np.argmax(self.probabilities))]


class ServiceError(RuntimeError):
    """The service refused a request or stopped answering; the message says which."""


class ServiceBackend:
    """The running stage-16 service, called over HTTP like any other client would."""

    kind = "service"

    def __init__(self, url: str, versions: dict[str, str]):
        self.url, self.versions = url, versions

    def describe(self) -> str:
        return f"the stage-16 service at {self.url} (models {', '.join(self.versions.values())})"

    def _post(self, path: str, body: dict) -> dict:
        try:
            answer = httpx.post(f"{self.url}{path}", json=body, timeout=PREDICT_TIMEOUT_S)
        except httpx.HTTPError as exc:
            raise ServiceError(f"the service stopped answering ({exc}); reload the page") from exc
        if answer.status_code != 200:
            raise ServiceError(f"the service refused the request: {answer.json()['message']}")
        return answer.json()

    def digit_probabilities(self, frame: np.ndarray) -> np.ndarray:
        """One 28×28 frame (pixels in [0, 1], white ink on black) → its 10 probabilities."""
        answer = self._post("/predict/digit", {"images": [frame.tolist()]})
        return np.asarray(answer["predictions"][0]["probabilities"])

    def tabular_answer(self, features: dict[str, float]) -> TabularAnswer:
        answer = self._post("/predict/tabular", features)
        return TabularAnswer(answer["classes"], np.asarray(answer["probabilities"]))


class LocalBackend:
    """The same artefacts, loaded in this process by the service's own loader."""

    kind = "local"

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        try:
            self.models = serve.load_models(self.folder)
        except contract.ArtefactError:  # none built yet (or stale): rebuild, then load
            build.build_all(self.folder, force=True)  # without force, stale files are kept
            self.models = serve.load_models(self.folder)

    def describe(self) -> str:
        versions = (m.metadata["model_version"] for m in (self.models.digit, self.models.tabular))
        return f"the artefacts in {self.folder}, loaded directly (models {', '.join(versions)})"

    def digit_probabilities(self, frame: np.ndarray) -> np.ndarray:
        return self.models.digit.predict_proba(np.asarray(frame, dtype=np.float32)[None])[0]

    def tabular_answer(self, features: dict[str, float]) -> TabularAnswer:
        probabilities = self.models.tabular.predict_proba(features)
        return TabularAnswer(list(self.models.tabular.metadata["classes"]), probabilities)


def service_health(url: str) -> dict[str, str] | None:
    """The model versions the service reports as ready, or None when nothing answers."""
    try:
        answer = httpx.get(f"{url}/health", timeout=HEALTH_TIMEOUT_S)
    except httpx.HTTPError:
        return None
    if answer.status_code != 200 or answer.json().get("status") != "ok":
        return None
    return answer.json()["models"]


def frame_from_picture(payload: bytes) -> np.ndarray:
    """PNG/JPEG bytes → the 28×28 frame the model sees, made exactly as the service makes it.

    Raises ``ValueError`` with the service's own explanation when the picture holds no digit.
    """
    try:
        return serve.mnist_frame(serve.decode_upload(payload))
    except serve.uploads.UploadRejected as exc:
        raise ValueError(str(exc)) from exc


def standin_test_digits() -> tuple[np.ndarray, np.ndarray]:
    """The held-out digits of the bundled stand-in: (360, 28, 28) pixels in [0, 1], labels."""
    _, _, images, labels = data.digits_as_mnist()
    return images.astype(np.float32) / 255.0, labels

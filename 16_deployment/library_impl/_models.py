"""The two models behind the FastAPI service: loaded from verified files, checked, then ready.

Loading happens once, before the server answers anything, in four steps per model:

1. the metadata JSON is read and every file it lists matches its SHA-256 (``_contract``);
2. the metadata has every key the service reads (a missing ``input`` is refused here, not
   discovered by the first request);
3. the file is read by a loader that cannot run code (``torch.load(weights_only=True)``,
   ``np.load(allow_pickle=False)``), and its keys, shapes and dtypes are checked;
4. the model answers the fixed readiness input, and the answer must equal the one recorded
   when the artefact was built.

Any failure raises ``ArtefactError`` with one line of text naming the file and the rebuild
command; the server then refuses to start instead of answering 500 to every request.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import journey

contract = journey.load_stage("16", "from_scratch/_contract.py")
arrays = journey.load_stage("16", "library_impl/_pipeline_arrays.py")
cnn11 = journey.load_stage("11", "library_impl/mnist_cnn_pytorch.py")

DIGIT_WEIGHTS = "mnist_cnn.pt"
TABULAR_FILE = "breast_cancer_pipeline.npz"
DIGIT_KEYS = {
    "model_version": None,
    "classes": None,
    "input": {"normalisation"},
    "smoke": {"probabilities"},
}
TABULAR_KEYS = {
    "model_version": None,
    "classes": None,
    "features": None,
    "feature_ranges": None,
    "smoke": {"input", "probabilities"},
}


def digit_probabilities(network: torch.nn.Module, pixels, normalisation: dict) -> np.ndarray:
    """(N, 28, 28) pixels in [0, 1] → (N, 10) softmax probabilities.

    The input is normalised exactly as in training, x' = (x − mean) / std, then the forward
    pass runs under ``inference_mode`` (no autograd bookkeeping).
    """
    x = (np.asarray(pixels, dtype=np.float32)[:, None] - normalisation["mean"]) / normalisation[
        "std"
    ]
    device = next(network.parameters()).device
    with torch.inference_mode():
        logits = network(torch.from_numpy(x.astype(np.float32)).to(device))
        return torch.softmax(logits, dim=1).cpu().numpy()


@dataclass(frozen=True)
class DigitModel:
    """The CNN in eval mode plus its metadata."""

    network: torch.nn.Module
    metadata: dict

    def predict_proba(self, pixels: np.ndarray) -> np.ndarray:
        return digit_probabilities(self.network, pixels, self.metadata["input"]["normalisation"])


@dataclass(frozen=True)
class TabularModel:
    """The scikit-learn pipeline plus its metadata; ``predict_proba`` takes features by name."""

    pipeline: object
    metadata: dict

    def predict_proba(self, features: dict[str, float]) -> np.ndarray:
        row = pd.DataFrame([features], columns=self.metadata["features"])
        return self.pipeline.predict_proba(row)[0]


@dataclass(frozen=True)
class LoadedModels:
    digit: DigitModel
    tabular: TabularModel


def _refuse(path: Path, artefact_dir: Path, why) -> contract.ArtefactError:
    return contract.ArtefactError(
        f"{path}: {contract.one_line(why)}. Rebuild with: {contract.rebuild_command(artefact_dir)}"
    )


def read_state_dict(path: Path, artefact_dir: Path) -> dict:
    """The CNN's tensors, refused unless they are exactly MnistCNN's keys, shapes, float32."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # weights_only refuses pickled objects; any failure is the file's
        raise _refuse(path, artefact_dir, f"not a tensor file ({exc})") from exc
    expected = cnn11.MnistCNN().state_dict()
    if not isinstance(state, dict) or set(state) != set(expected):
        raise _refuse(path, artefact_dir, "its tensors are not MnistCNN's parameters")
    for name, tensor in expected.items():
        got = state[name]
        if (
            not isinstance(got, torch.Tensor)
            or got.shape != tensor.shape
            or got.dtype != torch.float32
        ):
            raise _refuse(path, artefact_dir, f"{name} is not float32 {tuple(tensor.shape)}")
        if not torch.isfinite(got).all():
            raise _refuse(path, artefact_dir, f"{name} holds NaN or infinite values")
    return state


def load_digit_model(artefact_dir: Path, device: str = "cpu") -> DigitModel:
    """Verify, load and check the CNN; it is returned only once it answers as recorded."""
    metadata, paths = contract.load_verified(artefact_dir, contract.DIGIT_METADATA)
    metadata_path = Path(artefact_dir) / contract.DIGIT_METADATA
    contract.require_keys(metadata, DIGIT_KEYS, metadata_path, artefact_dir)
    if DIGIT_WEIGHTS not in paths:
        raise _refuse(metadata_path, artefact_dir, f"{DIGIT_WEIGHTS} is not listed")
    network = cnn11.MnistCNN()
    network.load_state_dict(read_state_dict(paths[DIGIT_WEIGHTS], artefact_dir))
    model = DigitModel(network.to(torch.device(device)).eval(), metadata)
    try:
        produced = model.predict_proba(np.asarray(contract.smoke_images())).ravel()
        recorded = np.ravel(np.asarray(metadata["smoke"]["probabilities"], dtype=float))
    except (KeyError, TypeError, ValueError) as exc:
        raise _refuse(
            metadata_path, artefact_dir, f"cannot run the readiness check ({exc})"
        ) from exc
    contract.check_smoke(
        paths[DIGIT_WEIGHTS], recorded, produced, contract.SMOKE_ATOL, artefact_dir
    )
    return model


def load_tabular_model(artefact_dir: Path, features: list[str]) -> TabularModel:
    """Verify, rebuild and check the pipeline (it must take exactly ``features``, by name)."""
    metadata, paths = contract.load_verified(artefact_dir, contract.TABULAR_METADATA)
    metadata_path = Path(artefact_dir) / contract.TABULAR_METADATA
    contract.require_keys(metadata, TABULAR_KEYS, metadata_path, artefact_dir)
    if TABULAR_FILE not in paths:
        raise _refuse(metadata_path, artefact_dir, f"{TABULAR_FILE} is not listed")
    try:
        pipeline = arrays.load_pipeline(paths[TABULAR_FILE])
    except arrays.PipelineFileError as exc:
        raise _refuse(paths[TABULAR_FILE], artefact_dir, exc) from exc
    if list(pipeline.feature_names_in_) != features or metadata["features"] != features:
        raise _refuse(paths[TABULAR_FILE], artefact_dir, "it expects other features")
    model = TabularModel(pipeline, metadata)
    try:
        produced = model.predict_proba(metadata["smoke"]["input"])
        recorded = np.asarray(metadata["smoke"]["probabilities"], dtype=float)
    except (KeyError, TypeError, ValueError) as exc:
        raise _refuse(
            metadata_path, artefact_dir, f"cannot run the readiness check ({exc})"
        ) from exc
    contract.check_smoke(paths[TABULAR_FILE], recorded, produced, 1e-9, artefact_dir)
    return model


def load_models(artefact_dir: Path, features: list[str], device: str = "cpu") -> LoadedModels:
    """Everything the service needs, verified, loaded and checked once."""
    return LoadedModels(
        load_digit_model(artefact_dir, device), load_tabular_model(artefact_dir, features)
    )

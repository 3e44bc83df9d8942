"""The model behind the torch-free server: stage 11's NumPy CNN, loaded only once it is ready.

Before the server listens: the metadata's SHA-256s match the files, the metadata has every key
the server reads, ``mnist_cnn.npz`` is read without pickle, every array is float32, stage 11's
``NumpyMnistCNN`` accepts them (its own check: names, shapes, finite values), and the model's
answer to the fixed readiness input equals the one recorded when the artefacts were built. Any
failure is an ``ArtefactError`` of one line naming the file and the rebuild command.
"""

from pathlib import Path

import numpy as np

import journey

contract = journey.load_stage("16", "from_scratch/_contract.py")
cnn_numpy = journey.load_stage("11", "from_scratch/mnist_cnn_numpy.py")

# ========================================================================== the model


def _refuse(path: Path, artefact_dir: Path, why: str) -> contract.ArtefactError:
    return contract.ArtefactError(
        f"{path}: {why}. Rebuild with: {contract.rebuild_command(artefact_dir)}"
    )


def read_weights(path: Path, artefact_dir: Path) -> dict[str, np.ndarray]:
    """The CNN's arrays, read without pickle and refused unless every one is float32."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except Exception as exc:  # a pickle, a broken zip, ...: the file's fault, said in one line
        raise _refuse(
            path, artefact_dir, f"not a NumPy array file ({contract.one_line(exc)})"
        ) from exc
    not_float32 = sorted(name for name, array in arrays.items() if array.dtype != np.float32)
    if not_float32:
        raise _refuse(path, artefact_dir, f"arrays not float32: {', '.join(not_float32)}")
    return arrays


def read_model(path: Path, artefact_dir: Path):
    """Stage 11's NumPy CNN on those arrays: its own check refuses wrong names, shapes, NaN."""
    weights = read_weights(path, artefact_dir)
    try:
        return cnn_numpy.NumpyMnistCNN(weights)
    except (TypeError, ValueError) as exc:
        raise _refuse(path, artefact_dir, contract.one_line(exc)) from exc


class DigitService:
    """The verified NumPy CNN and its metadata; ``predict`` answers like FastAPI's route."""

    def __init__(self, artefact_dir: Path):
        self.metadata, paths = contract.load_verified(artefact_dir, contract.DIGIT_METADATA)
        metadata_path = Path(artefact_dir) / contract.DIGIT_METADATA
        keys = {"model_version": None, "classes": None, "input": {"normalisation"}}
        contract.require_keys(
            self.metadata, {**keys, "smoke": {"probabilities"}}, metadata_path, artefact_dir
        )
        if "mnist_cnn.npz" not in paths:
            raise contract.ArtefactError(f"{metadata_path} does not list mnist_cnn.npz")
        self.model = read_model(paths["mnist_cnn.npz"], artefact_dir)
        try:
            norm = self.metadata["input"]["normalisation"]
            self.mean, self.std = float(norm["mean"]), float(norm["std"])
            produced = self.predict_proba(np.asarray(contract.smoke_images())).ravel()
            recorded = np.ravel(np.asarray(self.metadata["smoke"]["probabilities"], dtype=float))
        except (KeyError, TypeError, ValueError) as exc:
            raise contract.ArtefactError(
                f"{metadata_path}: cannot run the readiness check ({contract.one_line(exc)})"
            ) from exc
        contract.check_smoke(
            paths["mnist_cnn.npz"], recorded, produced, contract.SMOKE_ATOL, artefact_dir
        )

    def predict_proba(self, pixels: np.ndarray) -> np.ndarray:
        """(N, 28, 28) pixels in [0, 1] → (N, 10) probabilities, normalised as in training."""
        return self.model.predict_proba((pixels[:, None] - self.mean) / self.std)

    def predict(self, pixels: np.ndarray) -> dict:
        return {
            "model_version": self.metadata["model_version"],
            "classes": self.metadata["classes"],
            "predictions": [
                {"label": int(p.argmax()), "probabilities": p.tolist()}
                for p in self.predict_proba(pixels)
            ],
        }

    def health(self) -> dict:
        return {"status": "ok", "models": {"digit": self.metadata["model_version"]}}

    def card(self) -> dict:
        keys = ("model_name", "model_version", "task", "classes", "training", "input", "files")
        return {
            "digit": {
                **{k: self.metadata[k] for k in keys},
                "test_accuracy": self.metadata["metrics"]["test_accuracy"],
            }
        }

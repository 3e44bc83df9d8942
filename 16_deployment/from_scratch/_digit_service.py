"""The model behind the torch-free server: stage 11's NumPy CNN, loaded only once it is ready.

Before the server listens: the metadata's SHA-256s match the files, the metadata has every key
the server reads, ``mnist_cnn.npz`` is read without pickle and holds exactly MnistCNN's arrays
(names, shapes, float32, finite), and the model's answer to the fixed readiness input equals
the one recorded when the artefacts were built. Any failure is an ``ArtefactError`` of one line
naming the file and the rebuild command.
"""

from pathlib import Path

import numpy as np

import journey

contract = journey.load_stage("16", "from_scratch/_contract.py")
cnn_numpy = journey.load_stage("11", "from_scratch/mnist_cnn_numpy.py")

# the arrays of mnist_cnn.npz: stage 11's parameter names, float32, MnistCNN's shapes
EXPECTED_ARRAYS = {
    "conv1.weight": (32, 1, 3, 3),
    "conv1.bias": (32,),
    "conv2.weight": (64, 32, 3, 3),
    "conv2.bias": (64,),
    "fc1.weight": (128, 1600),
    "fc1.bias": (128,),
    "fc2.weight": (10, 128),
    "fc2.bias": (10,),
}


# ========================================================================== the model


def read_weights(path: Path, artefact_dir: Path) -> dict[str, np.ndarray]:
    """The CNN's arrays, read without pickle and refused unless names, shapes, dtype all fit."""

    def refuse(why: str) -> contract.ArtefactError:
        return contract.ArtefactError(
            f"{path}: {why}. Rebuild with: {contract.rebuild_command(artefact_dir)}"
        )

    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except Exception as exc:  # a pickle, a broken zip, ...: the file's fault, said in one line
        raise refuse(f"not a NumPy array file ({contract.one_line(exc)})") from exc
    if set(arrays) != set(EXPECTED_ARRAYS):
        raise refuse(f"arrays {sorted(arrays)} are not MnistCNN's parameters")
    for name, shape in EXPECTED_ARRAYS.items():
        if arrays[name].shape != shape or arrays[name].dtype != np.float32:
            raise refuse(
                f"{name} is {arrays[name].dtype} {arrays[name].shape}, not float32 {shape}"
            )
        if not np.isfinite(arrays[name]).all():
            raise refuse(f"{name} holds NaN or infinite values")
    return arrays


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
        self.model = cnn_numpy.NumpyMnistCNN(read_weights(paths["mnist_cnn.npz"], artefact_dir))
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

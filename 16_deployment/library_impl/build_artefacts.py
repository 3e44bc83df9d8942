"""Build the serving artefacts from nothing: the stage-11 CNN and a scikit-learn pipeline.

    ml_journey/bin/python 16_deployment/library_impl/build_artefacts.py          # what is missing
    ml_journey/bin/python 16_deployment/library_impl/build_artefacts.py --force  # all again

Writes into ``outputs/16_deployment/`` (see ``from_scratch/_contract.py`` for the file list):

1. the digit model. Stage 11's ``ensure_trained`` trains the CNN only if its artefacts are
   missing (a seconds-long stand-in in quick mode, the real run otherwise); its ``state_dict``
   (``.pt``) and the same arrays as NumPy (``.npz``) are copied here, and a deployment metadata
   JSON records the model version, the classes, the input normalisation x' = (x − mean) / std,
   the training data, the test accuracy and the SHA-256 of each file;
2. the tabular model. ``Pipeline(StandardScaler, LogisticRegression)`` fitted on scikit-learn's
   bundled breast-cancer set (569 tumours, 30 measurements each, malignant/benign) and saved
   as its fitted arrays (``_pipeline_arrays.py``: no pickle, so loading cannot run code), with
   the same kind of metadata.

Each metadata file also records the model's answer to a fixed readiness input
(``_contract.smoke_images()``, the median tumour): the servers recompute it after loading.

The model version is derived from the weights' digest (``mnist_cnn-<first 12 hex digits>``), so
every retrained model gets a new version and the same bytes always carry the same version.
Artefacts already built from the current stage-11 weights (and the installed scikit-learn)
are only verified, not rebuilt. Nothing here is committed: outputs/ is git-ignored.
"""

import argparse
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import torch
from filelock import FileLock
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import journey
from journey import data, parity
from journey.cli import deep_learning_flags

contract = journey.load_stage("16", "from_scratch/_contract.py")
cnn11 = journey.load_stage("11", "library_impl/mnist_cnn_pytorch.py")
models = journey.load_stage("16", "library_impl/_models.py")
arrays = journey.load_stage("16", "library_impl/_pipeline_arrays.py")

DIGIT_FILES = ("mnist_cnn.pt", "mnist_cnn.npz")
TABULAR_FILE = models.TABULAR_FILE
TABULAR_CLASSES = ("malignant", "benign")  # scikit-learn's target 0 = malignant, 1 = benign


# ------------------------------------------------------------------------ the tabular model


def tabular_feature_names() -> list[str]:
    """The 30 breast-cancer measurements as API-friendly names: "mean radius" → "mean_radius"."""
    return [name.replace(" ", "_") for name in load_breast_cancer().feature_names]


def breast_cancer_frame() -> tuple[pd.DataFrame, np.ndarray]:
    """The bundled breast-cancer set as a DataFrame with snake_case column names, and its labels."""
    X, y = data.load_bundled("breast_cancer")
    return pd.DataFrame(X, columns=tabular_feature_names()), y


def train_tabular_pipeline(seed: int = 0) -> tuple[Pipeline, dict]:
    """Fit StandardScaler → LogisticRegression on a stratified 75/25 split; return it and metrics.

    The scaler is *inside* the pipeline, so the service cannot forget to standardise: the
    saved object maps raw measurements straight to probabilities. Fitting on a DataFrame makes
    scikit-learn remember the column names (``feature_names_in_``) and refuse a frame whose
    columns differ.
    """
    X, y = breast_cancer_frame()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=y
    )
    pipeline = Pipeline(
        [("scaler", StandardScaler()), ("model", LogisticRegression(C=1.0, max_iter=1000))]
    )
    pipeline.fit(X_train, y_train)
    metrics = {
        "test_accuracy": float(pipeline.score(X_test, y_test)),
        "train_samples": int(len(X_train)),
        "test_samples": int(len(X_test)),
    }
    return pipeline, metrics


# ------------------------------------------------------------------------------ helpers


def copy_atomic(source: Path, target: Path) -> None:
    """Copy to a temporary name in the target folder, then rename into place (never half a file)."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    shutil.copyfile(source, tmp)
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)


def _is_current(out_dir: Path, metadata_name: str, expected_source: dict) -> bool:
    """True when the metadata exists in the current layout, its files verify, and it was built
    from that source."""
    try:
        metadata, paths = contract.load_verified(out_dir, metadata_name)
    except contract.ArtefactError:
        return False
    current_layout = "smoke" in metadata and (
        metadata_name != contract.TABULAR_METADATA or TABULAR_FILE in paths
    )
    return current_layout and all(
        metadata.get("source", {}).get(k) == v for k, v in expected_source.items()
    )


# ------------------------------------------------------------------------------ builders


def digit_source(stage11_dir: Path) -> dict:
    """Where the CNN comes from: stage 11's folder, named by the SHA-256 of its two files."""
    return {
        "stage": "11_mnist_cnn",
        "weights_sha256": contract.sha256_file(Path(stage11_dir) / "mnist_cnn.pt"),
        "arrays_sha256": contract.sha256_file(Path(stage11_dir) / "mnist_cnn.npz"),
    }


def copy_digit_files(stage11_dir: Path, out_dir: Path) -> dict[str, dict]:
    """Copy stage 11's ``state_dict`` (.pt) and its NumPy arrays (.npz); return their records.

    Stage 11 saved the same float32 numbers twice (``save_artefacts``): torch reads the
    ``.pt``, the torch-free server the ``.npz``. Each record is the file's SHA-256 and size.
    """
    for name in DIGIT_FILES:
        copy_atomic(Path(stage11_dir) / name, Path(out_dir) / name)
    return {name: contract.file_record(Path(out_dir) / name) for name in DIGIT_FILES}


def digit_metadata(trained: dict, files: dict, source: dict, out_dir: Path) -> dict:
    """What the servers need to know about the CNN, and its answer to the readiness input."""
    normalisation = {
        "mean": trained["normalisation"]["mean"],
        "std": trained["normalisation"]["std"],
        "formula": "(x - mean) / std, x in [0, 1] with white ink on black",
    }
    network = cnn11.MnistCNN()
    network.load_state_dict(models.read_state_dict(out_dir / "mnist_cnn.pt", out_dir))
    smoke = models.digit_probabilities(network.eval(), contract.smoke_images(), normalisation)
    return {
        "model_name": "mnist_cnn",
        "model_version": f"mnist_cnn-{files['mnist_cnn.pt']['sha256'][:12]}",
        "task": "classify a 28×28 grey-level image of a handwritten digit",
        "classes": [str(c) for c in trained["classes"]],
        "input": {
            "shape": [1, contract.IMAGE_SIDE, contract.IMAGE_SIDE],
            "pixel_range": [0.0, 1.0],
            "normalisation": normalisation,
        },
        "training": {
            k: trained[k]
            for k in ("data_source", "epochs", "max_batches", "batch_size", "seed")
            if k in trained
        },
        "metrics": {"test_accuracy": trained["test_accuracy"]},
        "libraries": {"torch": torch.__version__, "numpy": np.__version__},
        "smoke": {"probabilities": smoke.tolist()},
        "source": source,
        "files": files,
    }


def build_digit_artefacts(
    out_dir: Path, stage11_dir: Path, *, quick: bool, force: bool = False
) -> dict:
    """Copy stage 11's CNN (trained first if missing) and write its deployment metadata."""
    cnn11.ensure_trained(quick, out_dir=stage11_dir)
    source = digit_source(stage11_dir)
    if not force and _is_current(out_dir, contract.DIGIT_METADATA, source):
        return contract.read_metadata(out_dir, contract.DIGIT_METADATA)
    files = copy_digit_files(stage11_dir, out_dir)
    metadata = digit_metadata(cnn11.load_metadata(stage11_dir), files, source, out_dir)
    contract.write_json_atomic(out_dir / contract.DIGIT_METADATA, metadata)
    return metadata


def tabular_source(seed: int) -> dict:
    """Where the pipeline comes from: the bundled data set, the split's seed, scikit-learn."""
    return {
        "dataset": "sklearn.datasets.load_breast_cancer",
        "seed": seed,
        "scikit-learn": sklearn.__version__,
    }


def save_pipeline_arrays(pipeline: Pipeline, out_dir: Path) -> dict[str, dict]:
    """Write the fitted pipeline as arrays (``_pipeline_arrays``, no pickle); return its record.

    Written to a temporary name and renamed into place, so no reader sees half a file.
    """
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{TABULAR_FILE}.", suffix=".tmp")
    os.close(fd)
    arrays.save_pipeline(pipeline, Path(tmp))
    os.chmod(tmp, 0o644)
    os.replace(tmp, Path(out_dir) / TABULAR_FILE)
    return {TABULAR_FILE: contract.file_record(Path(out_dir) / TABULAR_FILE)}


def tabular_metadata(pipeline: Pipeline, metrics: dict, files: dict, source: dict) -> dict:
    """What the servers need to know about the pipeline, and its answer for the median tumour."""
    X, _ = breast_cancer_frame()
    median = {name: float(X[name].median()) for name in X.columns}
    smoke = pipeline.predict_proba(pd.DataFrame([median]))[0]
    return {
        "model_name": "breast_cancer_pipeline",
        "model_version": f"breast_cancer_pipeline-{files[TABULAR_FILE]['sha256'][:12]}",
        "task": "classify a breast tumour as malignant or benign from 30 cell-nucleus measurements",
        "estimator": "Pipeline(StandardScaler(), LogisticRegression(C=1.0))",
        "classes": list(TABULAR_CLASSES),
        "features": tabular_feature_names(),
        "feature_ranges": {c: [float(X[c].min()), float(X[c].max())] for c in X.columns},
        "training": {
            "data_source": "scikit-learn bundled breast cancer (Wisconsin diagnostic), 569 samples",
            "split": "stratified 75/25",
            "seed": source["seed"],
            "train_samples": metrics["train_samples"],
            "test_samples": metrics["test_samples"],
        },
        "metrics": {"test_accuracy": metrics["test_accuracy"]},
        "libraries": {"scikit-learn": sklearn.__version__, "numpy": np.__version__},
        "smoke": {"input": median, "probabilities": smoke.tolist()},
        "source": source,
        "files": files,
    }


def build_tabular_artefacts(out_dir: Path, *, seed: int = 0, force: bool = False) -> dict:
    """Fit the breast-cancer pipeline, save its arrays, write its metadata with a checksum."""
    source = tabular_source(seed)
    if not force and _is_current(out_dir, contract.TABULAR_METADATA, source):
        return contract.read_metadata(out_dir, contract.TABULAR_METADATA)
    pipeline, metrics = train_tabular_pipeline(seed)
    files = save_pipeline_arrays(pipeline, out_dir)
    metadata = tabular_metadata(pipeline, metrics, files, source)
    contract.write_json_atomic(out_dir / contract.TABULAR_METADATA, metadata)
    return metadata


def default_stage11_dir(quick: bool) -> Path:
    """Where to take the CNN from: stage 11's trained model, or in quick mode its quick/ stand-in.

    Stage 11 keeps quick runs in ``outputs/11_mnist_cnn/quick/`` so that a seconds-long model
    never takes the place of the real one; a quick build here uses the real one when it exists.
    """
    if quick and not cnn11.artefacts_exist(cnn11.ARTEFACT_DIR):
        return cnn11.artefact_dir(quick=True)
    return cnn11.ARTEFACT_DIR


def build_all(
    out_dir: Path | None = None,
    stage11_dir: Path | None = None,
    *,
    quick: bool | None = None,
    force: bool = False,
    seed: int = 0,
) -> dict[str, dict]:
    """Build (or verify) both models' artefacts under one lock; return their metadata."""
    quick = journey.is_quick() if quick is None else quick
    out_dir = Path(out_dir or contract.default_artefact_dir())
    stage11_dir = Path(stage11_dir or default_stage11_dir(quick))
    out_dir.mkdir(parents=True, exist_ok=True)
    # Several processes may start at once (the test suite runs scripts in parallel): the lock
    # makes the second one wait and then find the artefacts already built.
    with FileLock(out_dir / ".build.lock"):
        digit = build_digit_artefacts(out_dir, stage11_dir, quick=quick, force=force)
        tabular = build_tabular_artefacts(out_dir, seed=seed, force=force)
    return {"digit": digit, "tabular": tabular}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[deep_learning_flags(device=False)],
    )
    parser.add_argument(
        "--out-dir", type=Path, default=None, help="artefact folder (default outputs/16_deployment)"
    )
    parser.add_argument(
        "--stage11-dir",
        type=Path,
        default=None,
        help="where stage 11 keeps its trained CNN (default outputs/11_mnist_cnn; in quick "
        "mode its quick/ subfolder unless a full model exists)",
    )
    parser.add_argument(
        "--force", action="store_true", help="rebuild even when the artefacts are current"
    )
    args = parser.parse_args()
    if args.data_dir:  # where stage 11 finds its digits, if it has to train
        os.environ["DATA_DIR"] = str(args.data_dir)
    quick = journey.is_quick()
    stage11_dir = args.stage11_dir or default_stage11_dir(quick)
    built = build_all(args.out_dir, stage11_dir, quick=quick, force=args.force, seed=args.seed)
    out_dir = args.out_dir or contract.default_artefact_dir()
    for kind, metadata in built.items():
        contract.verify_files(out_dir, metadata)
        accuracy, source = metadata["metrics"]["test_accuracy"], metadata["training"]["data_source"]
        print(
            f"{kind:8s} {metadata['model_version']}  test accuracy {accuracy:.4f}  "
            f"trained on {source}  "
            f"files: {', '.join(metadata['files'])} (SHA-256 verified)"
        )
    epochs = built["digit"]["training"].get("epochs")
    print(
        f"the CNN was trained for {epochs} epoch(s); a quick stand-in model is replaced only by "
        "training stage 11 again: python -m journey run 11"
    )
    for name in DIGIT_FILES:
        parity.equal(
            f"deployed {name} is byte-identical to stage 11's (SHA-256)",
            contract.sha256_file(Path(stage11_dir) / name),
            built["digit"]["files"][name]["sha256"],
        )
    parity.at_least(
        "deployed breast-cancer pipeline: held-out accuracy",
        built["tabular"]["metrics"]["test_accuracy"],
        0.93,
        side="library",
    )
    print(f"CNN taken from {stage11_dir}; artefacts in {out_dir}")


if __name__ == "__main__":
    main()

"""The fitted breast-cancer pipeline as plain arrays, and back: a model file that cannot run code.

A pickle (``joblib.dump``) stores *how to rebuild* an object, and rebuilding may call any
function the file names: loading a tampered ``.joblib`` runs the attacker's code before any
check can look at the result. ``Pipeline(StandardScaler, LogisticRegression)`` is fully
described by a handful of numbers, so we store only those:

    scaler.mean_, scaler.scale_, scaler.var_ (30,)    x' = (x − mean) / scale
    model.coef_ (1, 30), model.intercept_ (1,)        p(benign) = σ(x'·w + b)
    model.classes_ (2,), feature_names (30,)          class codes and column names

They are written as ``.npy`` entries of a zip archive (the ``.npz`` format) with a fixed
timestamp, so the same fit gives the same bytes and the same SHA-256, and read back with
``np.load(..., allow_pickle=False)``: a file holding anything but plain numbers and strings is
refused. Loading checks the keys, shapes, dtypes and finiteness, then sets the attributes on
fresh estimators, which then predict exactly as the fitted ones did.
"""

import zipfile
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

N_FEATURES = 30
# array name → (shape, dtype kind: f float, i integer, U text)
ARRAY_SPECS = {
    "scaler.mean_": ((N_FEATURES,), "f"),
    "scaler.scale_": ((N_FEATURES,), "f"),
    "scaler.var_": ((N_FEATURES,), "f"),
    "scaler.n_samples_seen_": ((), "f"),
    "model.coef_": ((1, N_FEATURES), "f"),
    "model.intercept_": ((1,), "f"),
    "model.classes_": ((2,), "i"),
    "model.n_iter_": ((1,), "i"),
    "feature_names": ((N_FEATURES,), "U"),
}


class PipelineFileError(ValueError):
    """The file is not a pipeline written by ``save_pipeline`` (or it was altered)."""


def pipeline_to_arrays(pipeline: Pipeline) -> dict[str, np.ndarray]:
    """The fitted numbers of the pipeline, named as in ``ARRAY_SPECS``."""
    scaler, model = pipeline.named_steps["scaler"], pipeline.named_steps["model"]
    arrays = {
        name: np.asarray(
            getattr(scaler if name.startswith("scaler") else model, name.split(".")[1])
        )
        for name in ARRAY_SPECS
        if name != "feature_names"
    }
    arrays["feature_names"] = np.asarray(list(scaler.feature_names_in_), dtype=str)
    return arrays


def save_pipeline(pipeline: Pipeline, path: Path) -> None:
    """Write the pipeline's arrays as a reproducible ``.npz`` (same numbers → same bytes)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in pipeline_to_arrays(pipeline).items():
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with archive.open(entry, "w") as fh:
                np.lib.format.write_array(fh, array, allow_pickle=False)


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of the file, checked against ``ARRAY_SPECS`` (keys, shapes, dtypes, finite)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise PipelineFileError(f"not a pipeline array file ({exc})") from exc
    if set(arrays) != set(ARRAY_SPECS):
        raise PipelineFileError(
            f"arrays {sorted(arrays)} do not match the expected {sorted(ARRAY_SPECS)}"
        )
    for name, (shape, kind) in ARRAY_SPECS.items():
        array = arrays[name]
        if array.shape != shape or array.dtype.kind != kind:
            raise PipelineFileError(
                f"{name} is {array.dtype} {array.shape}, expected kind {kind!r} {shape}"
            )
        if kind == "f" and not np.isfinite(array).all():
            raise PipelineFileError(f"{name} holds NaN or infinite values")
    return arrays


def load_pipeline(path: Path) -> Pipeline:
    """Rebuild the fitted ``Pipeline(StandardScaler, LogisticRegression)`` from its arrays."""
    arrays = read_arrays(path)
    names = np.asarray(arrays["feature_names"].tolist(), dtype=object)
    scaler, model = StandardScaler(), LogisticRegression(C=1.0, max_iter=1000)
    for estimator in (scaler, model):
        estimator.n_features_in_ = N_FEATURES
    scaler.feature_names_in_ = names
    for name, array in arrays.items():
        if name != "feature_names":
            owner, attribute = name.split(".")
            setattr(scaler if owner == "scaler" else model, attribute, array)
    return Pipeline([("scaler", scaler), ("model", model)])

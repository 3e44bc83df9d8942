"""The inference service: FastAPI serving the stage-11 CNN and a scikit-learn pipeline.

    make serve     # = ml_journey/bin/python 16_deployment/library_impl/serve_fastapi.py --serve
    open http://127.0.0.1:8000/docs

Endpoints
    GET  /health                 is the service up, which model versions it serves
    GET  /model                  model cards: version, classes, data, accuracy, SHA-256 of each file
    POST /predict/digit          {"images": [1 to 64 images: 28×28 lists of floats in [0, 1]]}
    POST /predict/digit/image    a PNG/JPEG upload, converted the way MNIST digits were made
    POST /predict/tabular        the 30 breast-cancer measurements by name

What protects what
- The artefacts are loaded once, at start-up (the lifespan), after their SHA-256 digests match the
  metadata: a missing or altered file stops the service with a message naming the file and the
  rebuild command, instead of serving a different model (or unpickling a stranger's file).
  ``torch.load(..., weights_only=True)`` reads tensors only, never arbitrary pickled objects.
- Request bodies go through pydantic models with ``strict=True`` (no "1" → 1, no true → 1.0)
  and ``extra="forbid"`` (a misspelt feature is an error, not silently ignored); shapes, NaN/inf
  and ranges are checked before any number reaches a model. Every refusal is a 4xx whose JSON
  body names the field; no client input produces a 500.
- Bodies over 2 MiB are refused with 413 before they are parsed (memory and CPU are finite).

Without ``--serve`` the script builds or verifies the artefacts, runs a short self-check through
FastAPI's ``TestClient`` (no network) and exits.
"""

import argparse
import io
import json
import sys
import warnings
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import joblib
import numpy as np
import pandas as pd
import sklearn
import torch
from fastapi import APIRouter, Depends, FastAPI, File, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException

import journey
from journey import data, parity

contract = journey.load_stage("16", "from_scratch/_contract.py")
build = journey.load_stage("16", "library_impl/build_artefacts.py")
cnn11 = journey.load_stage("11", "library_impl/mnist_cnn_pytorch.py")

SIDE = contract.IMAGE_SIDE
MAX_IMAGE_PIXELS = 16_000_000  # an upload may be a photo, but not a decompression bomb
WORKING_SIDE = 512  # large pictures are shrunk to this before the NumPy work
INK_THRESHOLD = 0.2  # a pixel with at least this much ink belongs to the digit's box
MIN_CONTRAST = 0.15  # below this ink/background difference the image holds no digit


# ================================================================= request and response models


def example_digit() -> list[list[float]]:
    """A hand-drawn "1" (a two-pixel vertical stroke): the example request in the docs."""
    image = [[0.0] * SIDE for _ in range(SIDE)]
    for row in range(5, 23):
        image[row][13] = image[row][14] = 1.0
    return image


Pixel = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
ImageRow = Annotated[list[Pixel], Field(min_length=SIDE, max_length=SIDE)]
DigitImage = Annotated[list[ImageRow], Field(min_length=SIDE, max_length=SIDE)]


class DigitBatch(BaseModel):
    """A batch of 28×28 grey-level images, white ink on black, as MNIST stores them."""

    model_config = ConfigDict(extra="forbid", strict=True)

    images: Annotated[
        list[DigitImage],
        Field(
            min_length=1,
            max_length=contract.MAX_BATCH,
            description=f"1 to {contract.MAX_BATCH} images; each is {SIDE} rows of {SIDE} numbers "
            "in [0, 1] "
            "(0 = background, 1 = full ink). Normalisation happens on the server.",
            examples=[[example_digit()]],
        ),
    ]


def _feature_field(name: str, column: pd.Series) -> tuple[type, Any]:
    """One measurement: a finite number between 0 and ten times the largest value in the data.

    Every measurement in the data set is non-negative (radii, areas, textures, ...), and a value
    ten times beyond anything the model has seen is far more likely a unit error than a tumour:
    refusing it is better than extrapolating a linear model that far.
    """
    low, high = float(column.min()), float(column.max())
    return float, Field(
        ge=0.0,
        le=10 * high,
        allow_inf_nan=False,
        description=f"{name.replace('_', ' ')} (range in the data: {low:.4g} to {high:.4g})",
        examples=[float(column.median())],
    )


_FRAME, _ = build.breast_cancer_frame()
TABULAR_FEATURES = build.tabular_feature_names()
TabularFeatures = create_model(
    "TabularFeatures",
    __config__=ConfigDict(extra="forbid", strict=True),
    __doc__="The 30 cell-nucleus measurements of one breast tumour, by name (all required).",
    **{name: _feature_field(name, _FRAME[name]) for name in TABULAR_FEATURES},
)

_EXAMPLE_PROBS = [0.0002, 0.9971, 0.0006, 0.0001, 0.0004, 0.0001, 0.0002, 0.0009, 0.0003, 0.0001]


class DigitPrediction(BaseModel):
    label: int = Field(
        ge=0,
        le=9,
        description="the predicted digit: the class with the highest probability",
        examples=[1],
    )
    probabilities: list[float] = Field(
        min_length=10,
        max_length=10,
        description="softmax probability of each digit 0-9, in class order",
        examples=[_EXAMPLE_PROBS],
    )


class DigitResponse(BaseModel):
    model_version: str = Field(
        description="version of the CNN that answered (from its weights' SHA-256)",
        examples=["mnist_cnn-3f2a9c0d1e4b"],
    )
    classes: list[str] = Field(
        description="the class names, in the order of the probabilities",
        examples=[[str(d) for d in range(10)]],
    )
    predictions: list[DigitPrediction] = Field(
        description="one prediction per input image, in input order",
        examples=[[{"label": 1, "probabilities": _EXAMPLE_PROBS}]],
    )


class TabularResponse(BaseModel):
    model_version: str = Field(
        description="version of the pipeline that answered (from its file's SHA-256)",
        examples=["breast_cancer_pipeline-9b1c2d3e4f50"],
    )
    classes: list[str] = Field(
        description="the class names, in the order of the probabilities",
        examples=[["malignant", "benign"]],
    )
    label: int = Field(ge=0, le=1, description="index of the predicted class", examples=[1])
    class_name: str = Field(description="name of the predicted class", examples=["benign"])
    probabilities: list[float] = Field(
        min_length=2,
        max_length=2,
        description="probability of each class, in class order",
        examples=[[0.03, 0.97]],
    )


class HealthResponse(BaseModel):
    status: Literal["ok"] = Field(
        description="always 'ok' when the service answers", examples=["ok"]
    )
    models: dict[str, str] = Field(
        description="model name → version being served",
        examples=[
            {"digit": "mnist_cnn-3f2a9c0d1e4b", "tabular": "breast_cancer_pipeline-9b1c2d3e4f50"}
        ],
    )


class FileRecord(BaseModel):
    sha256: str = Field(
        description="SHA-256 digest of the file, checked at start-up",
        examples=["3f2a9c0d1e4b" + "0" * 52],
    )
    bytes: int = Field(description="file size in bytes", examples=[1_725_000])


class ModelCard(BaseModel):
    model_name: str = Field(description="short name of the model", examples=["mnist_cnn"])
    model_version: str = Field(
        description="version string, derived from the weights' digest",
        examples=["mnist_cnn-3f2a9c0d1e4b"],
    )
    task: str = Field(
        description="what the model does",
        examples=["classify a 28×28 image of a handwritten digit"],
    )
    classes: list[str] = Field(
        description="class names in output order", examples=[["malignant", "benign"]]
    )
    test_accuracy: float = Field(
        description="accuracy on held-out data, measured when it was trained", examples=[0.985]
    )
    training: dict[str, Any] = Field(
        description="the data and settings it was trained with",
        examples=[{"data_source": "mnist", "epochs": 3, "seed": 0}],
    )
    input: dict[str, Any] = Field(
        description="what the model expects: shape and normalisation, or features",
        examples=[{"shape": [1, 28, 28], "pixel_range": [0.0, 1.0]}],
    )
    libraries: dict[str, str] = Field(
        description="library versions it was built with",
        examples=[{"torch": "2.4.0", "numpy": "2.0.0"}],
    )
    files: dict[str, FileRecord] = Field(
        description="each artefact file with its checksum",
        examples=[{"mnist_cnn.pt": {"sha256": "3f2a" + "0" * 60, "bytes": 1_725_000}}],
    )


class ModelsResponse(BaseModel):
    digit: ModelCard = Field(description="the CNN behind /predict/digit and /predict/digit/image")
    tabular: ModelCard = Field(description="the pipeline behind /predict/tabular")


class FieldError(BaseModel):
    loc: list[str | int] = Field(
        description="path to the offending field", examples=[["body", "images", 0, 3, 5]]
    )
    msg: str = Field(
        description="what is wrong with it", examples=["Input should be less than or equal to 1"]
    )
    type: str = Field(description="machine-readable error kind", examples=["less_than_equal"])


class ErrorResponse(BaseModel):
    message: str = Field(
        description="one sentence saying what was refused and why",
        examples=["invalid request: body.images[0][3][5]: Input should be less than or equal to 1"],
    )
    detail: list[FieldError] = Field(
        description="the field errors (empty when the problem is not a field)",
        examples=[
            [
                {
                    "loc": ["body", "images", 0, 3, 5],
                    "msg": "Input should be less than or equal to 1",
                    "type": "less_than_equal",
                }
            ]
        ],
    )


def error_responses(
    bad_request: str = "the body cannot be read: not UTF-8 text, or JSON nested too deeply",
) -> dict:
    """The documented error answers of a route (FastAPI puts them in the OpenAPI schema)."""
    why = {
        400: bad_request,
        413: f"the body is over {contract.MAX_BODY_BYTES:,} bytes (or the image has too many "
        "pixels)",
        422: "a field is missing, unknown, of the wrong type or shape, non-finite or out of range",
    }
    return {code: {"model": ErrorResponse, "description": text} for code, text in why.items()}


# ====================================================================== the models behind it


@dataclass(frozen=True)
class DigitModel:
    """The CNN in eval mode plus its metadata; ``predict`` takes raw pixels in [0, 1]."""

    network: torch.nn.Module
    metadata: dict
    device: torch.device

    def predict_proba(self, pixels: np.ndarray) -> np.ndarray:
        """(N, 28, 28) pixels in [0, 1] → (N, 10) softmax probabilities.

        The input is normalised exactly as in training, x' = (x − mean) / std, then the
        forward pass runs under ``inference_mode`` (no autograd bookkeeping).
        """
        norm = self.metadata["input"]["normalisation"]
        x = (np.asarray(pixels, dtype=np.float32)[:, None] - norm["mean"]) / norm["std"]
        with torch.inference_mode():
            logits = self.network(torch.from_numpy(x.astype(np.float32)).to(self.device))
            return torch.softmax(logits, dim=1).cpu().numpy()


@dataclass(frozen=True)
class TabularModel:
    """The scikit-learn pipeline plus its metadata; ``predict_proba`` takes features by name."""

    pipeline: Any
    metadata: dict

    def predict_proba(self, features: dict[str, float]) -> np.ndarray:
        row = pd.DataFrame([features], columns=TABULAR_FEATURES)
        return self.pipeline.predict_proba(row)[0]


@dataclass(frozen=True)
class LoadedModels:
    digit: DigitModel
    tabular: TabularModel


def load_digit_model(artefact_dir: Path, device: str = "cpu") -> DigitModel:
    """Verify the CNN's files, then load its ``state_dict`` with ``weights_only=True``."""
    metadata, paths = contract.load_verified(artefact_dir, contract.DIGIT_METADATA)
    device = torch.device(device)
    state = torch.load(paths["mnist_cnn.pt"], map_location=device, weights_only=True)
    network = cnn11.MnistCNN()
    try:
        network.load_state_dict(state)
    except RuntimeError as exc:
        raise contract.ArtefactError(
            f"{paths['mnist_cnn.pt']} does not fit stage 11's MnistCNN ({exc}). Rebuild with: "
            f"{contract.rebuild_command(artefact_dir)}"
        ) from exc
    return DigitModel(network.to(device).eval(), metadata, device)


def load_tabular_model(artefact_dir: Path) -> TabularModel:
    """Verify the pipeline's file *before* unpickling it (unpickling runs code), then load it."""
    metadata, paths = contract.load_verified(artefact_dir, contract.TABULAR_METADATA)
    built_with = metadata["libraries"]["scikit-learn"]
    if built_with != sklearn.__version__:
        raise contract.ArtefactError(
            f"{paths[build.TABULAR_FILE]} was built with scikit-learn {built_with} but this is "
            f"{sklearn.__version__}; pickled estimators do not travel across versions. Rebuild: "
            f"{contract.rebuild_command(artefact_dir)}"
        )
    pipeline = joblib.load(paths[build.TABULAR_FILE])
    if list(pipeline.feature_names_in_) != TABULAR_FEATURES:
        raise contract.ArtefactError(
            f"{paths[build.TABULAR_FILE]} expects other features than this service. "
            f"Rebuild with: {contract.rebuild_command(artefact_dir)}"
        )
    return TabularModel(pipeline, metadata)


def load_models(artefact_dir: Path, device: str = "cpu") -> LoadedModels:
    """Everything the service needs, verified and loaded once."""
    return LoadedModels(load_digit_model(artefact_dir, device), load_tabular_model(artefact_dir))


# ================================================================= uploads → MNIST-style frames


class UploadRejected(Exception):
    """An upload the service cannot use; ``status`` is the HTTP answer (400 or 413)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def decode_upload(payload: bytes) -> np.ndarray:
    """PNG/JPEG bytes → a grey picture as floats in [0, 1] (transparent areas count as white paper).

    Any failure to decode client bytes is the client's problem (400), whatever exception the
    image library happens to raise for that particular kind of garbage.
    """
    if not payload:
        raise UploadRejected(
            400, "the uploaded file is empty: send a PNG or JPEG image of one digit"
        )
    try:
        image = Image.open(io.BytesIO(payload))
    except Exception as exc:
        raise UploadRejected(
            400,
            f"the upload is not an image this service can decode ({type(exc).__name__}); "
            "send a PNG or JPEG file",
        ) from exc
    if image.format not in ("PNG", "JPEG"):
        raise UploadRejected(
            400, f"{image.format} images are not accepted: send a PNG or JPEG file"
        )
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise UploadRejected(
            413,
            f"the image is {width}×{height} pixels; at most {MAX_IMAGE_PIXELS:,} pixels "
            "are accepted (a digit needs far fewer)",
        )
    try:
        image.load()
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
        grey = image.convert("L")
        grey.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.LANCZOS)
    except Exception as exc:
        raise UploadRejected(
            400,
            f"the image could not be decoded ({type(exc).__name__}: {exc}); "
            "the file may be truncated or corrupt",
        ) from exc
    return np.asarray(grey, dtype=np.float32) / 255.0


def mnist_frame(grey: np.ndarray) -> np.ndarray:
    """A grey picture of one digit → a 28×28 frame made the way MNIST's digits were made.

    1. MNIST is white ink on black: when the picture's border (the paper) is light, invert it.
    2. Subtract the paper's grey level and stretch so the darkest ink becomes 1.
    3. Crop to the box around the ink, scale it (keeping its aspect ratio) so its longer side is
       20 pixels, with anti-aliasing.
    4. Paste it into a 28×28 black frame so that its centre of mass sits at the frame's centre.
    """
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    paper = float(np.median(border))
    if paper > 0.5:
        grey, paper = 1.0 - grey, 1.0 - paper
    ink = grey - paper
    peak = float(ink.max())
    if peak < MIN_CONTRAST:
        raise UploadRejected(400, "no digit found: the image is (nearly) one uniform colour")
    ink = np.clip(ink / peak, 0.0, 1.0).astype(np.float32)
    rows = np.flatnonzero(ink.max(axis=1) >= INK_THRESHOLD)
    cols = np.flatnonzero(ink.max(axis=0) >= INK_THRESHOLD)
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = 20.0 / max(crop.shape)
    height, width = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    box = np.asarray(Image.fromarray(crop).resize((width, height), Image.Resampling.LANCZOS))
    box = np.clip(box, 0.0, 1.0)
    mass = box.sum()
    centre_row = (box.sum(axis=1) @ np.arange(height)) / mass
    centre_col = (box.sum(axis=0) @ np.arange(width)) / mass
    middle = (SIDE - 1) / 2
    top = int(np.clip(round(middle - centre_row), 0, SIDE - height))
    left = int(np.clip(round(middle - centre_col), 0, SIDE - width))
    frame = np.zeros((SIDE, SIDE), dtype=np.float32)
    frame[top : top + height, left : left + width] = box
    return frame


# ======================================================================= protections (HTTP)


class BodySizeLimit:
    """ASGI middleware: refuse bodies over ``max_bytes`` with a JSON 413, unparsed.

    A declared ``Content-Length`` over the limit is refused without reading a byte. A chunked
    body (no length declared) is counted while it arrives and refused as soon as it passes the
    limit; otherwise it is handed on to the application unchanged.
    """

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send, int(declared))
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._refuse(scope, receive, send, size)
                return
            if not message.get("more_body", False):
                break
        body, delivered = b"".join(chunks), False

        async def replay():
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope, receive, send, size: int):
        await JSONResponse(contract.too_large_body(size), status_code=413)(scope, receive, send)


async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with the field errors (never the offending values: a NaN would not even serialise)."""
    return JSONResponse(contract.validation_error_body(list(exc.errors())), status_code=422)


async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """Every other refusal (400, 404, 405, 413, ...) in the same JSON shape as a 422."""
    return JSONResponse(
        contract.error_body(str(exc.detail)), status_code=exc.status_code, headers=exc.headers
    )


# ================================================================================== routes

router = APIRouter()


def get_models(request: Request) -> LoadedModels:
    """The models the lifespan loaded (a dependency, so a test could swap them)."""
    return request.app.state.models


Models = Annotated[LoadedModels, Depends(get_models)]


def digit_response(model: DigitModel, pixels: np.ndarray) -> DigitResponse:
    proba = model.predict_proba(pixels)
    return DigitResponse(
        model_version=model.metadata["model_version"],
        classes=model.metadata["classes"],
        predictions=[
            DigitPrediction(label=int(p.argmax()), probabilities=p.tolist()) for p in proba
        ],
    )


@router.get(
    "/health", response_model=HealthResponse, tags=["service"], summary="Is the service up?"
)
def health(models: Models) -> HealthResponse:
    return HealthResponse(
        status="ok",
        models={
            "digit": models.digit.metadata["model_version"],
            "tabular": models.tabular.metadata["model_version"],
        },
    )


def model_card(metadata: dict, input_description: dict) -> ModelCard:
    return ModelCard(
        model_name=metadata["model_name"],
        model_version=metadata["model_version"],
        task=metadata["task"],
        classes=metadata["classes"],
        test_accuracy=metadata["metrics"]["test_accuracy"],
        training=metadata["training"],
        input=input_description,
        libraries=metadata["libraries"],
        files=metadata["files"],
    )


@router.get(
    "/model", response_model=ModelsResponse, tags=["service"], summary="Model cards and checksums"
)
def model_info(models: Models) -> ModelsResponse:
    tabular = models.tabular.metadata
    return ModelsResponse(
        digit=model_card(models.digit.metadata, models.digit.metadata["input"]),
        tabular=model_card(
            tabular, {"features": tabular["features"], "feature_ranges": tabular["feature_ranges"]}
        ),
    )


@router.post(
    "/predict/digit",
    response_model=DigitResponse,
    responses=error_responses(),
    tags=["predict"],
    summary="Classify a batch of 28×28 digit images",
)
def predict_digit(batch: DigitBatch, models: Models) -> DigitResponse:
    return digit_response(models.digit, np.asarray(batch.images, dtype=np.float32))


@router.post(
    "/predict/digit/image",
    response_model=DigitResponse,
    responses=error_responses("the upload is not a decodable PNG/JPEG image, or holds no digit"),
    tags=["predict"],
    summary="Classify one uploaded PNG/JPEG picture of a digit",
)
def predict_digit_image(
    file: Annotated[
        UploadFile,
        File(
            description="a PNG or JPEG picture of one digit, dark on light "
            "or light on dark, any size up to 16 megapixels"
        ),
    ],
    models: Models,
) -> DigitResponse:
    try:
        frame = mnist_frame(decode_upload(file.file.read()))
    except UploadRejected as exc:
        raise HTTPException(status_code=exc.status, detail=str(exc)) from exc
    return digit_response(models.digit, frame[None])


@router.post(
    "/predict/tabular",
    response_model=TabularResponse,
    responses=error_responses(),
    tags=["predict"],
    summary="Classify a breast tumour from its 30 measurements",
)
def predict_tabular(features: TabularFeatures, models: Models) -> TabularResponse:
    proba = models.tabular.predict_proba(features.model_dump())
    classes = models.tabular.metadata["classes"]
    label = int(proba.argmax())
    return TabularResponse(
        model_version=models.tabular.metadata["model_version"],
        classes=classes,
        label=label,
        class_name=classes[label],
        probabilities=proba.tolist(),
    )


def create_app(artefact_dir: Path | str | None = None, *, device: str = "cpu") -> FastAPI:
    """Build the service around the artefacts in ``artefact_dir`` (default outputs/16_deployment).

    Nothing is loaded here: the lifespan loads and verifies the models when the server starts,
    once, so a bad artefact stops start-up rather than the first request.
    """
    artefact_dir = Path(artefact_dir) if artefact_dir else contract.default_artefact_dir()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.models = load_models(artefact_dir, device)
        yield

    app = FastAPI(
        title="ML → DL Journey inference service",
        version="1.0.0",
        lifespan=lifespan,
        description="Stage 16: the stage-11 CNN and a scikit-learn pipeline, behind validation.",
    )
    app.add_middleware(BodySizeLimit, max_bytes=contract.MAX_BODY_BYTES)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.include_router(router)
    return app


# ============================================================================== self-check


def self_check(artefact_dir: Path, n_images: int) -> None:
    """Build or verify the artefacts, call every endpoint in-process, compare with the models."""
    with warnings.catch_warnings():  # Starlette's notice that its TestClient will move to httpx2
        warnings.filterwarnings("ignore", message=".*httpx.*")
        from fastapi.testclient import TestClient

    build.build_all(artefact_dir)
    _, _, test_images, _ = data.digits_as_mnist()
    pixels = test_images[:n_images].astype(np.float32) / 255.0
    scratch = journey.load_stage("11", "from_scratch/mnist_cnn_numpy.py").NumpyMnistCNN.from_npz(
        artefact_dir / "mnist_cnn.npz"
    )
    with TestClient(create_app(artefact_dir), raise_server_exceptions=False) as client:
        models = client.app.state.models
        print("health:", client.get("/health").json())
        answer = client.post("/predict/digit", json={"images": pixels.tolist()})
        parity.equal(
            "FastAPI /predict/digit answers 200", answer.status_code, 200, raise_on_fail=True
        )
        served = answer.json()
        probs = np.array([p["probabilities"] for p in served["predictions"]])
        parity.close(
            "FastAPI /predict/digit vs the torch model called directly",
            probs,
            models.digit.predict_proba(pixels),
            atol=1e-6,
        )
        norm = (pixels[:, None].astype(np.float64) - data.MNIST_MEAN) / data.MNIST_STD
        parity.close(
            "FastAPI (torch float32) vs stage-11 NumPy forward: probabilities",
            probs,
            scratch.predict_proba(norm),
            atol=1e-4,
        )
        parity.equal(
            "FastAPI vs NumPy forward: labels",
            [p["label"] for p in served["predictions"]],
            scratch.predict(norm),
        )
        row = _FRAME.iloc[0].to_dict()
        tabular = client.post("/predict/tabular", json=row).json()
        parity.close(
            "FastAPI /predict/tabular vs pipeline.predict_proba",
            tabular["probabilities"],
            models.tabular.predict_proba(row),
            atol=1e-12,
        )
        bad = {
            "NaN pixel": {"images": [[[float("nan")] * SIDE] * SIDE]},
            "pixel 2.0": {"images": [[[2.0] * SIDE] * SIDE]},
            "boolean feature": {**row, "mean_radius": True},
        }
        for name, body in bad.items():
            path = "/predict/tabular" if "feature" in name else "/predict/digit"
            answer = client.post(
                path, content=json.dumps(body), headers={"content-type": "application/json"}
            )
            parity.equal(f"FastAPI refuses {name} with 422", answer.status_code, 422)
        too_big = b"0" * (contract.MAX_BODY_BYTES + 1)
        parity.equal(
            "FastAPI refuses an oversized body with 413",
            client.post(
                "/predict/digit", content=too_big, headers={"content-type": "application/json"}
            ).status_code,
            413,
        )
    print(f"self-check done: {len(pixels)} digits, artefacts in {artefact_dir}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--serve", action="store_true", help="run the service with uvicorn (blocks until Ctrl-C)"
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    parser.add_argument(
        "--artefact-dir",
        type=Path,
        default=None,
        help="artefacts folder (default outputs/16_deployment)",
    )
    parser.add_argument(
        "--device", default="cpu", help="torch device for the CNN: cpu (default), cuda, mps"
    )
    parser.add_argument(
        "--log-level", default="info", help="uvicorn log level (warning hides the access log)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads per forward pass (default 1: requests already run in parallel)",
    )
    args = parser.parse_args()
    if args.threads < 1:
        parser.error(f"--threads must be ≥ 1, got {args.threads}")
    artefact_dir = args.artefact_dir or contract.default_artefact_dir()
    if not args.serve:
        self_check(artefact_dir, n_images=16 if journey.is_quick() else contract.MAX_BATCH)
        return
    try:
        for name in (contract.DIGIT_METADATA, contract.TABULAR_METADATA):
            contract.load_verified(artefact_dir, name)
    except contract.ArtefactError as exc:
        sys.exit(f"cannot start the service: {exc}")
    import uvicorn

    torch.set_num_threads(args.threads)
    uvicorn.run(
        create_app(artefact_dir, device=journey.device(args.device).type),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
    )


if __name__ == "__main__":
    main()

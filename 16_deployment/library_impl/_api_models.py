"""The request and response documents of the FastAPI service, as pydantic models.

FastAPI reads these to validate every request (``strict=True``: no "1" → 1, no true → 1.0;
``extra="forbid"``: a misspelt field is an error) and to write the OpenAPI schema, where every
field carries a description and an example.
"""

from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, create_model

import journey

contract = journey.load_stage("16", "from_scratch/_contract.py")
build = journey.load_stage("16", "library_impl/build_artefacts.py")

SIDE = contract.IMAGE_SIDE


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


def version_field(example: str) -> Any:
    """``model_version`` of an answer: which model answered, named after its file's SHA-256."""
    return Field(
        description="version of the model that answered (from its SHA-256)", examples=[example]
    )


def classes_field(example: list[str]) -> Any:
    """``classes`` of an answer: the class names, in the order of the probabilities."""
    return Field(
        description="the class names, in the order of the probabilities", examples=[example]
    )


class DigitResponse(BaseModel):
    model_version: str = version_field("mnist_cnn-3f2a9c0d1e4b")
    classes: list[str] = classes_field([str(d) for d in range(10)])
    predictions: list[DigitPrediction] = Field(
        description="one prediction per input image, in input order",
        examples=[[{"label": 1, "probabilities": _EXAMPLE_PROBS}]],
    )


class TabularResponse(BaseModel):
    model_version: str = version_field("breast_cancer_pipeline-9b1c2d3e4f50")
    classes: list[str] = classes_field(["malignant", "benign"])
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
        description="'ok': both models loaded, verified and passed the readiness check "
        "(the service does not listen before that)",
        examples=["ok"],
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


def error_responses(bad_request: str | None = None) -> dict:
    """The documented error answers of a route (FastAPI puts them in the OpenAPI schema)."""
    why = {
        400: bad_request or "the body cannot be read: not UTF-8 text, or JSON nested too deeply",
        408: f"the request (headers and body) took over {contract.REQUEST_DEADLINE_SECONDS:g} s "
        "to arrive",
        411: "the body is chunked: send a Content-Length header instead",
        413: f"the body is over {contract.MAX_BODY_BYTES:,} bytes (or the image has too many "
        "pixels)",
        422: "a field is missing, unknown, of the wrong type or shape, non-finite or out of range",
    }
    return {code: {"model": ErrorResponse, "description": text} for code, text in why.items()}

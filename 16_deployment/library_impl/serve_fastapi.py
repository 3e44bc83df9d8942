"""The inference service: FastAPI serving the stage-11 CNN and a scikit-learn pipeline.

    make serve     # = ml_journey/bin/python 16_deployment/library_impl/serve_fastapi.py --serve
    curl http://127.0.0.1:8000/health

Endpoints
    GET  /health                 ready: both models loaded and checked; which versions it serves
    GET  /model                  model cards: version, classes, data, accuracy, SHA-256 of each file
    POST /predict/digit          {"images": [1 to 64 images: 28×28 lists of floats in [0, 1]]}
    POST /predict/digit/image    a PNG/JPEG upload, converted the way MNIST digits were made
    POST /predict/tabular        the 30 breast-cancer measurements by name
    GET  /openapi.json           the schema; ``--docs`` adds Swagger UI at /docs (loaded from a CDN)

What protects what
- The artefacts are loaded once, before the server listens (``_models.py``): their SHA-256
  digests match the metadata, no loader can run code (no pickle anywhere), keys, shapes and
  dtypes are checked, and a smoke prediction must equal the one recorded at build time. A bad
  artefact stops the service with one line naming the file and the rebuild command.
- Request bodies go through pydantic models with ``strict=True`` and ``extra="forbid"``
  (``_api_models.py``); shapes, NaN/inf and ranges are checked before any number reaches a
  model. Every refusal is a 4xx whose JSON body names the problem; no client input gives a 500.
- Before any route (``_http_guards.py``): unknown Host names 400 (DNS rebinding), chunked
  bodies 411, bodies over 2 MiB 413 unread, one deadline per request (408); uploads over
  2 megapixels 413 from the header alone, before any pixel is decoded (``_uploads.py``).

Without ``--serve`` the script builds or verifies the artefacts, runs a short self-check through
FastAPI's ``TestClient`` (no network) and exits.
"""

import argparse
import json
import warnings
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import numpy as np
import torch
from fastapi import APIRouter, Depends, FastAPI, File, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

import journey
from journey import data, parity

build = journey.load_stage("16", "library_impl/build_artefacts.py")
api = journey.load_stage("16", "library_impl/_api_models.py")
guards = journey.load_stage("16", "library_impl/_http_guards.py")
uploads = journey.load_stage("16", "library_impl/_uploads.py")
cli = journey.load_stage("16", "from_scratch/_server_cli.py")
contract, models_module = build.contract, build.models  # the modules the artefacts were built with

SIDE = contract.IMAGE_SIDE
LoadedModels, DigitModel = models_module.LoadedModels, models_module.DigitModel
mnist_frame, decode_upload = uploads.mnist_frame, uploads.decode_upload


def load_models(artefact_dir: Path, device: str = "cpu") -> LoadedModels:
    """Both models, verified, loaded and checked (``ArtefactError`` of one line otherwise)."""
    return models_module.load_models(artefact_dir, api.TABULAR_FEATURES, device)


# ================================================================================== routes

router = APIRouter()


def get_models(request: Request) -> LoadedModels:
    """The models the lifespan loaded, handed to each route as a FastAPI dependency."""
    return request.app.state.models


Models = Annotated[LoadedModels, Depends(get_models)]


def predict_route(path: str, response_model: type, summary: str, bad_request: str | None = None):
    """``@router.post`` for a prediction route, with the error answers it documents."""
    return router.post(
        path,
        response_model=response_model,
        responses=api.error_responses(bad_request),
        tags=["predict"],
        summary=summary,
    )


def digit_response(model: DigitModel, pixels: np.ndarray) -> api.DigitResponse:
    proba = model.predict_proba(pixels)
    return api.DigitResponse(
        model_version=model.metadata["model_version"],
        classes=model.metadata["classes"],
        predictions=[
            api.DigitPrediction(label=int(p.argmax()), probabilities=p.tolist()) for p in proba
        ],
    )


@router.get(
    "/health", response_model=api.HealthResponse, tags=["service"], summary="Is the service up?"
)
def health(models: Models) -> api.HealthResponse:
    return api.HealthResponse(
        status="ok",
        models={
            "digit": models.digit.metadata["model_version"],
            "tabular": models.tabular.metadata["model_version"],
        },
    )


def model_card(metadata: dict, input_description: dict) -> api.ModelCard:
    return api.ModelCard(
        model_name=metadata["model_name"],
        model_version=metadata["model_version"],
        task=metadata["task"],
        classes=metadata["classes"],
        test_accuracy=metadata["metrics"]["test_accuracy"],
        training=metadata["training"],
        input=input_description,
        files=metadata["files"],
    )


@router.get(
    "/model",
    response_model=api.ModelsResponse,
    tags=["service"],
    summary="Model cards and checksums",
)
def model_info(models: Models) -> api.ModelsResponse:
    tabular = models.tabular.metadata
    return api.ModelsResponse(
        digit=model_card(models.digit.metadata, models.digit.metadata["input"]),
        tabular=model_card(
            tabular, {"features": tabular["features"], "feature_ranges": tabular["feature_ranges"]}
        ),
    )


@predict_route("/predict/digit", api.DigitResponse, "Classify a batch of 28×28 digit images")
def predict_digit(batch: api.DigitBatch, models: Models) -> api.DigitResponse:
    return digit_response(models.digit, np.asarray(batch.images, dtype=np.float32))


@predict_route(
    "/predict/digit/image",
    api.DigitResponse,
    "Classify one uploaded PNG/JPEG picture of a digit",
    bad_request="the upload is not a decodable PNG/JPEG image, or holds no digit",
)
def predict_digit_image(
    file: Annotated[
        UploadFile,
        File(
            description="a PNG or JPEG picture of one digit, dark on light "
            f"or light on dark, at most {uploads.MAX_IMAGE_PIXELS:,} pixels",
            json_schema_extra={"minLength": 1},
        ),
    ],
    models: Models,
) -> api.DigitResponse:
    try:
        frame = mnist_frame(decode_upload(file.file.read()))
    except uploads.UploadRejected as exc:
        raise HTTPException(status_code=exc.status, detail=str(exc)) from exc
    return digit_response(models.digit, frame[None])


@predict_route(
    "/predict/tabular", api.TabularResponse, "Classify a breast tumour from its 30 measurements"
)
def predict_tabular(features: api.TabularFeatures, models: Models) -> api.TabularResponse:
    proba = models.tabular.predict_proba(features.model_dump())
    classes = models.tabular.metadata["classes"]
    label = int(proba.argmax())
    return api.TabularResponse(
        model_version=models.tabular.metadata["model_version"],
        classes=classes,
        label=label,
        class_name=classes[label],
        probabilities=proba.tolist(),
    )


def create_app(
    artefact_dir: Path | str | None = None,
    *,
    device: str = "cpu",
    models: LoadedModels | None = None,
    allowed_hosts=contract.DEFAULT_ALLOWED_HOSTS,
    cors_origins=(),
    docs: bool = False,
) -> FastAPI:
    """Build the service around the artefacts in ``artefact_dir`` (default outputs/16_deployment).

    ``models`` already loaded (``--serve`` loads them before uvicorn starts, so a bad artefact
    is one line, not a traceback) are served as they are; otherwise the lifespan loads them.
    ``allowed_hosts``: the Host names answered (TrustedHostMiddleware, 400 otherwise).
    ``cors_origins``: the web origins whose pages may call the API (none by default).
    ``docs``: Swagger UI at /docs; off by default, because its page loads from a CDN.
    """
    artefact_dir = Path(artefact_dir) if artefact_dir else contract.default_artefact_dir()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.models = models or load_models(artefact_dir, device)
        yield

    app = FastAPI(
        title="ML → DL Journey inference service",
        version="1.0.0",
        lifespan=lifespan,
        description="Stage 16: the stage-11 CNN and a scikit-learn pipeline, behind validation.",
        docs_url="/docs" if docs else None,
        redoc_url=None,
        redirect_slashes=False,
        default_response_class=guards.JsonResponse,
    )
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
        )
    app.add_middleware(guards.RequestGate)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts), www_redirect=False)
    app.add_exception_handler(RequestValidationError, guards.on_validation_error)
    app.add_exception_handler(StarletteHTTPException, guards.on_http_error)
    app.include_router(router)
    return app


def uvicorn_config(app: FastAPI, host: str, port: int, log_level: str = "info"):
    """uvicorn with the deadline protocol, no ``Server`` header, a 5 s keep-alive."""
    import uvicorn

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        http=guards.DeadlineH11Protocol,
        server_header=False,
        timeout_keep_alive=int(contract.KEEP_ALIVE_SECONDS),
    )


# ============================================================================== self-check


def check_refusals(client, row: dict) -> None:
    """Bad requests answered 422 and an oversized body 413, through the whole app."""
    bad = {
        "NaN pixel": {"images": [[[float("nan")] * SIDE] * SIDE]},
        "pixel 2.0": {"images": [[[2.0] * SIDE] * SIDE]},
        "boolean feature": {**row, "mean_radius": True},
    }
    headers = {"content-type": "application/json"}
    for name, body in bad.items():
        path = "/predict/tabular" if "feature" in name else "/predict/digit"
        answer = client.post(path, content=json.dumps(body), headers=headers)
        parity.equal(f"FastAPI refuses {name} with 422", answer.status_code, 422)
    too_big = b"0" * (contract.MAX_BODY_BYTES + 1)
    answer = client.post("/predict/digit", content=too_big, headers=headers)
    parity.equal("FastAPI refuses an oversized body with 413", answer.status_code, 413)


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
    app = create_app(artefact_dir)
    with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as client:
        models = client.app.state.models
        print("health:", client.get("/health").json())
        answer = client.post("/predict/digit", json={"images": pixels.tolist()})
        parity.equal(
            "FastAPI /predict/digit answers 200", answer.status_code, 200, raise_on_fail=True
        )
        served = answer.json()
        probs = np.array([p["probabilities"] for p in served["predictions"]])
        parity.close(
            "JSON round trip: /predict/digit vs the model the route called",
            probs,
            models.digit.predict_proba(pixels),
            atol=1e-6,
        )
        norm = (pixels[:, None].astype(np.float64) - data.MNIST_MEAN) / data.MNIST_STD
        parity.close(
            "FastAPI (torch float32) vs stage-11 NumPy forward: probabilities",
            probs,
            scratch.predict_proba(norm),
            atol=contract.SMOKE_ATOL,
        )
        parity.equal(
            "FastAPI vs NumPy forward: labels",
            [p["label"] for p in served["predictions"]],
            scratch.predict(norm),
        )
        row = build.breast_cancer_frame()[0].iloc[0].to_dict()
        tabular = client.post("/predict/tabular", json=row).json()
        parity.close(
            "JSON round trip: /predict/tabular vs the pipeline the route called",
            tabular["probabilities"],
            models.tabular.predict_proba(row),
            atol=1e-12,
        )
        check_refusals(client, row)
    print(f"self-check done: {len(pixels)} digits, artefacts in {artefact_dir}")


def parse_args() -> argparse.Namespace:
    parser = cli.server_parser(__doc__, 8000, "run the service with uvicorn (blocks until Ctrl-C)")
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        help="a web origin (https://app.example) whose pages may call the API; repeatable "
        "(default: none, browsers refuse cross-origin calls)",
    )
    parser.add_argument(
        "--docs", action="store_true", help="serve Swagger UI at /docs (its page loads from a CDN)"
    )
    parser.add_argument(
        "--device", default="cpu", choices=["cpu", "cuda", "mps"], help="torch device for the CNN"
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
    return args


def main() -> None:
    args = parse_args()
    artefact_dir = args.artefact_dir or contract.default_artefact_dir()
    if not args.serve:
        self_check(artefact_dir, n_images=16 if journey.is_quick() else contract.MAX_BATCH)
        return
    models = cli.load_or_exit(load_models, artefact_dir, journey.device(args.device).type)
    hosts = cli.served_hosts(args)
    import uvicorn

    torch.set_num_threads(args.threads)
    app = create_app(
        artefact_dir,
        models=models,
        allowed_hosts=hosts,
        cors_origins=args.cors_origin,
        docs=args.docs,
    )
    uvicorn.Server(uvicorn_config(app, args.host, args.port, args.log_level)).run()


if __name__ == "__main__":
    main()

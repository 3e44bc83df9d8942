"""The Streamlit demo, headless (``streamlit.testing.v1.AppTest``): both sources, both forms.

The expected answers are computed here without the demo's code: the CNN rebuilt from stage 11's
own weights file with the normalisation written out, the pipeline through stage 16's loader.
"""

import io
import socket
import threading

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

import journey
from journey import data

build = journey.load_stage("16", "library_impl/build_artefacts.py")
serve = journey.load_stage("16", "library_impl/serve_fastapi.py")
cnn11 = journey.load_stage("11", "library_impl/mnist_cnn_pytorch.py")

pytestmark = pytest.mark.xdist_group("demo")  # one worker builds the module's fixtures once
APP = journey.REPO_ROOT / "demo" / "app.py"
RUN_TIMEOUT_S = 120  # the first run imports torch and loads both models


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Both models built from nothing (stage 11's quick stand-in CNN): (stage 11, stage 16)."""
    root = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATA_DIR", str(root / "data"))
        build.build_all(root / "16", root / "11", quick=True)
    return root / "11", root / "16"


@pytest.fixture(scope="module")
def held_out():
    """The stand-in's held-out digits as pixels in [0, 1], and their labels."""
    _, _, images, labels = data.digits_as_mnist()
    return images.astype(np.float32) / 255.0, labels


def direct_digit_probabilities(stage11_dir, pixels: np.ndarray) -> np.ndarray:
    """softmax(CNN((x − mean) / std)) with the weights stage 11 saved: no stage-16 code at all."""
    network = cnn11.load_trained(stage11_dir, "cpu")
    x = (torch.from_numpy(pixels[:, None]) - data.MNIST_MEAN) / data.MNIST_STD
    with torch.no_grad():
        return torch.softmax(network(x.float()), dim=1).numpy()


def unused_url() -> str:
    """An address where nothing listens (the port is free again once the socket closes)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture
def app_without_service(folders, monkeypatch):
    monkeypatch.setenv("JOURNEY_ARTEFACT_DIR", str(folders[1]))
    monkeypatch.setenv("JOURNEY_SERVICE_URL", unused_url())
    return AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S).run()


@pytest.fixture(scope="module")
def service_url(folders):
    """The real service (create_app + uvicorn) on a free port of 127.0.0.1, in a thread."""
    import uvicorn

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    app = serve.create_app(folders[1])
    server = uvicorn.Server(serve.uvicorn_config(app, "127.0.0.1", 0, "warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "the service did not start"
            threading.Event().wait(0.05)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def shown_probabilities(at) -> np.ndarray:
    table = at.dataframe[0].value
    assert list(table["digit"]) == [str(d) for d in range(10)]
    return table["probability"].to_numpy()


def sentence(at, start: str) -> str:
    """The first markdown text on the page that starts with ``start``."""
    return next(m.value for m in at.markdown if m.value.startswith(start))


def test_without_the_service_the_page_says_it_loads_the_artefacts(app_without_service, folders):
    at = app_without_service
    assert not at.exception
    assert "No service answers" in at.info[0].value
    assert f"the artefacts in {folders[1]}, loaded directly" in at.info[0].value


def test_the_drawing_canvas_renders(app_without_service):
    at = app_without_service
    at.radio(key="digit_mode").set_value("Draw").run()
    assert not at.exception
    assert at.caption[0].value.startswith("Draw one digit")


def test_a_picked_digit_gets_the_models_ten_probabilities(app_without_service, folders, held_out):
    at = app_without_service
    at.number_input(key="digit_index").set_value(7).run()
    assert not at.exception
    shown = shown_probabilities(at)
    expected = direct_digit_probabilities(folders[0], held_out[0][7:8])[0]
    assert shown.shape == (10,)
    assert shown.sum() == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(shown, expected, atol=1e-6)
    assert f"says **{int(expected.argmax())}**" in sentence(at, "The CNN says")


def test_an_uploaded_picture_is_framed_like_the_service_does(app_without_service, folders):
    """A dark-on-light 112×112 PNG of a held-out digit → the service's MNIST framing → the CNN."""
    _, _, images, _ = data.digits_as_mnist()
    picture = Image.fromarray(255 - images[3]).resize((112, 112), Image.Resampling.BILINEAR)
    png = io.BytesIO()
    picture.save(png, format="PNG")
    at = app_without_service
    at.radio(key="digit_mode").set_value("Upload a picture").run()
    at.file_uploader[0].set_value(("digit.png", png.getvalue(), "image/png")).run()
    assert not at.exception
    frame = serve.mnist_frame(serve.decode_upload(png.getvalue()))
    expected = direct_digit_probabilities(folders[0], frame[None])[0]
    np.testing.assert_allclose(shown_probabilities(at), expected, atol=1e-6)


def test_the_form_gets_the_pipelines_prediction(app_without_service, folders):
    pipeline = serve.load_models(folders[1]).tabular.pipeline
    frame, _ = build.breast_cancer_frame()
    at = app_without_service
    at.number_input(key="tumour_index").set_value(5).run()
    row = frame.iloc[[5]].copy()
    assert at.number_input(key="mean_radius-5").value == row["mean_radius"].iloc[0]
    row["mean_radius"] = 30.0  # a much larger tumour than sample 5
    at.number_input(key="mean_radius-5").set_value(30.0)
    at.button[0].click().run()
    assert not at.exception
    probabilities = pipeline.predict_proba(pd.DataFrame(row))[0]
    name = build.TABULAR_CLASSES[int(probabilities.argmax())]
    assert f"says **{name}** with probability {probabilities.max():.4f}" in sentence(
        at, "The pipeline says"
    )


def test_with_the_service_running_the_answers_come_over_http(
    service_url, folders, held_out, monkeypatch
):
    monkeypatch.setenv("JOURNEY_ARTEFACT_DIR", str(folders[1] / "absent"))  # must not be used
    monkeypatch.setenv("JOURNEY_SERVICE_URL", service_url)
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S).run()
    assert not at.exception
    assert f"the stage-16 service at {service_url}" in at.success[0].value
    at.number_input(key="digit_index").set_value(11).run()
    expected = direct_digit_probabilities(folders[0], held_out[0][11:12])[0]
    np.testing.assert_allclose(shown_probabilities(at), expected, atol=1e-6)
    frame, _ = build.breast_cancer_frame()
    probabilities = serve.load_models(folders[1]).tabular.predict_proba(frame.iloc[0].to_dict())
    assert f"probability {probabilities.max():.4f}" in sentence(at, "The pipeline says")

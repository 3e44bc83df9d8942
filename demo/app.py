"""The demo page: a digit for the stage-11 CNN, a tumour for the stage-16 breast-cancer pipeline.

    make demo     # = ml_journey/bin/python -m streamlit run demo/app.py, then open the address

Streamlit runs this script top to bottom on every click and draws what it writes. The first
line of the page says where the answers come from: the stage-16 service when ``make serve`` is
running, otherwise the same artefacts loaded here (``backend.py``).
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `demo` is a repository folder
from demo import backend  # noqa: E402

INPUT_MODES = ("Pick a test digit", "Upload a picture", "Draw")
STATISTICS = ("mean", "standard error", "worst")  # the 30 features: 10 measurements × 3


@st.cache_resource(show_spinner="Loading the artefacts (building them if there are none)…")
def local_backend(folder: str) -> backend.LocalBackend:
    return backend.LocalBackend(Path(folder))


@st.cache_data
def test_digits() -> tuple[np.ndarray, np.ndarray]:
    return backend.standin_test_digits()


@st.cache_data
def tumours() -> tuple[pd.DataFrame, np.ndarray]:
    return backend.build.breast_cancer_frame()


def choose_source():
    """The running service if /health says ok, else the artefacts loaded here; say which."""
    url = backend.service_url()
    versions = backend.service_health(url)
    if versions is not None:
        source = backend.ServiceBackend(url, versions)
        st.success(f"Answers come from {source.describe()}.")
    else:
        source = local_backend(str(backend.artefact_dir()))
        st.info(
            f"No service answers at {url}/health, so answers come from {source.describe()}. "
            "Start the service with `make serve` and reload the page to use it."
        )
    return source


def drawn_picture() -> bytes | None:
    """A 280×280 canvas: black ink on white paper, turned into a PNG when something is drawn."""
    from streamlit_drawable_canvas import st_canvas

    st.caption("Draw one digit with the mouse, large and centred.")
    canvas = st_canvas(
        stroke_width=18,
        stroke_color="#000000",
        background_color="#ffffff",
        width=280,
        height=280,
        return_image_data=True,
        key="canvas",
    )
    return canvas.image_bytes if (canvas.json_data or {}).get("objects") else None


def pick_example(description: str, count: int, key: str) -> int:
    """A number box choosing one of ``count`` examples by its index, 0 to ``count - 1``."""
    return st.number_input(
        f"{description} (0–{count - 1})", min_value=0, max_value=count - 1, value=0, key=key
    )


def digit_frame(mode: str) -> np.ndarray | None:
    """The 28×28 frame to classify: a held-out stand-in digit, an upload or a drawing."""
    if mode == INPUT_MODES[0]:
        images, labels = test_digits()
        index = pick_example("held-out digit of the bundled stand-in", len(images), "digit_index")
        st.caption(f"its true label: {labels[index]}")
        return images[index]
    if mode == INPUT_MODES[1]:
        upload = st.file_uploader("a PNG or JPEG of one digit", type=["png", "jpg", "jpeg"])
        picture = upload.getvalue() if upload is not None else None
    else:
        picture = drawn_picture()
    if picture is None:
        return None
    try:
        return backend.frame_from_picture(picture)
    except ValueError as exc:
        st.warning(str(exc))
        return None


def digit_section(source) -> None:
    mode = st.radio("input", INPUT_MODES, horizontal=True, key="digit_mode")
    frame = digit_frame(mode)
    if frame is None:
        st.write("Give the model a digit to see its probabilities.")
        return
    try:
        probabilities = source.digit_probabilities(frame)
    except backend.ServiceError as exc:
        st.error(str(exc))
        return
    table = pd.DataFrame({"digit": [str(d) for d in range(10)], "probability": probabilities})
    picture, chart = st.columns([1, 3])
    picture.image(frame, caption="what the model sees (28×28)", width=140, clamp=True)
    chart.bar_chart(table, x="digit", y="probability")
    best = int(np.argmax(probabilities))
    st.markdown(f"The CNN says **{best}** with probability {probabilities[best]:.4f}.")
    st.dataframe(table, hide_index=True)


def feature_inputs(row: pd.Series, sample: int) -> dict[str, float]:
    """30 number boxes in three columns (mean, standard error, worst), prefilled with ``row``."""
    columns = st.columns(len(STATISTICS))
    for column, statistic in zip(columns, STATISTICS, strict=True):
        column.markdown(f"**{statistic}**")
    features = {}
    for position, (name, value) in enumerate(row.items()):
        features[name] = columns[position // 10].number_input(
            name.replace("_", " "),
            min_value=0.0,
            value=float(value),
            step=10.0 ** (np.floor(np.log10(max(float(value), 1e-6))) - 1),
            format="%.4g",
            key=f"{name}-{sample}",  # another sample → fresh boxes with its values
        )
    return features


def tumour_section(source) -> None:
    frame, labels = tumours()
    sample = pick_example(
        "prefill with a tumour of scikit-learn's breast-cancer set", len(frame), "tumour_index"
    )
    st.caption(f"its recorded diagnosis: {backend.build.TABULAR_CLASSES[labels[sample]]}")
    with st.form("tumour"):
        features = feature_inputs(frame.iloc[sample], sample)
        st.form_submit_button("Predict")
    try:
        answer = source.tabular_answer(features)
    except backend.ServiceError as exc:
        st.error(str(exc))
        return
    st.markdown(
        f"The pipeline says **{answer.class_name}** with probability "
        f"{answer.probabilities.max():.4f}."
    )
    st.bar_chart(
        pd.DataFrame({"class": answer.classes, "probability": answer.probabilities}),
        x="class",
        y="probability",
        horizontal=True,
    )


def main() -> None:
    st.set_page_config(page_title="ML → DL Journey: demo", layout="wide")
    st.title("ML → DL Journey: the deployed models, by hand")
    source = choose_source()
    digit_tab, tumour_tab = st.tabs(["A digit → the stage-11 CNN", "A tumour → the pipeline"])
    with digit_tab:
        digit_section(source)
    with tumour_tab:
        tumour_section(source)


main()

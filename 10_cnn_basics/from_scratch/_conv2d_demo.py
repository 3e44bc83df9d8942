"""Digits to look at, hand-made kernels, the feature-map figure and the self-checks of
``conv2d_numpy.py``.

The images are read straight from the MNIST IDX files: real MNIST when it is on disk or can
be downloaded (torchvision fetches it into ``data/`` when you are online), otherwise the
offline stand-in (scikit-learn's bundled digits resized to 28×28) written in the same
format, so the same reader works for both.
"""

import numpy as np

import journey
from journey import parity
from journey.gradcheck import numerical_gradient

HANDMADE_KERNELS = {
    "vertical edges (Sobel x)": np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]),
    "horizontal edges (Sobel y)": np.array([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]),
    "outline (Laplacian)": np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]),
    "box blur 3×3": np.full((3, 3), 1.0 / 9.0),
    "Gaussian blur": np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]) / 16.0,
}


def handmade_conv():
    """A 1 → 5 channel convolution holding the hand-made kernels (padding 1, no bias)."""
    conv = journey.load_stage("10", "from_scratch/conv2d_numpy.py")
    layer = conv.Conv2d(1, len(HANDMADE_KERNELS), 3, padding=1, bias=False)
    layer.weight = np.stack(list(HANDMADE_KERNELS.values()))[:, None]
    return layer


def load_mnist_idx(
    data_dir=None, train: bool = False, standin: str = "fallback"
) -> tuple[np.ndarray, np.ndarray, str]:
    """MNIST images (N, 28, 28) uint8, their labels and the data source.

    ``journey.data.mnist_root`` finds the files: it downloads MNIST when it is missing and you
    are online (never in the tests), and otherwise warns, once per process, that the stand-in
    is used. ``standin``: "fallback", "always" or "never" (see ``mnist_root``).
    """
    from journey.data import MNIST_FILES, mnist_raw_dir, mnist_root, read_idx

    root, source = mnist_root(data_dir, standin=standin)
    images_file, labels_file = MNIST_FILES[train]
    raw = mnist_raw_dir(root)
    return read_idx(raw / images_file), read_idx(raw / labels_file), source


def load_digit(
    data_dir=None, index: int = 0, standin: str = "fallback"
) -> tuple[np.ndarray, int, str]:
    """One test digit (28×28, values 0..1), its label and the data source."""
    images, labels, source = load_mnist_idx(data_dir, False, standin)
    return images[index] / 255.0, int(labels[index]), source


def feature_maps_figure(
    image: np.ndarray,
    maps: np.ndarray,
    pooled: np.ndarray,
    titles: list[str],
    suptitle: str,
    pooled_label: str = "max-pooled",
):
    """The input digit, then one column per kernel: its feature map, and the map pooled."""
    plt = journey.plotting.pyplot()
    n = len(titles)
    fig, axes = plt.subplots(2, n + 1, figsize=(2.1 * (n + 1), 4.4))
    axes[0, 0].imshow(image, cmap="gray")
    axes[0, 0].set_title("input 28×28", fontsize=9)
    axes[1, 0].axis("off")
    for k in range(n):
        limit = np.abs(maps[k]).max() or 1.0
        axes[0, k + 1].imshow(maps[k], cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[0, k + 1].set_title(titles[k], fontsize=8)
        axes[1, k + 1].imshow(pooled[k], cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[1, k + 1].set_title(f"{pooled_label} {pooled.shape[1]}×{pooled.shape[2]}", fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def self_checks(seed: int = 0) -> list:
    """Loops vs vectorised (≤ 1e-12) and backward vs finite differences (≤ 1e-8), float64."""
    conv = journey.load_stage("10", "from_scratch/conv2d_numpy.py")
    rng = np.random.default_rng(seed)
    image, kernel = rng.standard_normal((9, 11)), rng.standard_normal((3, 4))
    loops, vectorised = (
        conv.correlate2d_loops(image, kernel),
        conv.conv2d_forward(image[None, None], kernel[None, None])[0, 0],
    )
    records = [parity.close("single kernel: loops vs vectorised", loops, vectorised, rtol=1e-12)]
    x, w, b = (
        rng.standard_normal((2, 3, 9, 8)),
        rng.standard_normal((4, 3, 3, 2)),
        rng.standard_normal(4),
    )
    records.append(
        parity.close(
            "layer (stride 2, padding 1): loops vs vectorised",
            conv.conv2d_loops(x, w, b, stride=2, padding=1),
            conv.conv2d_forward(x, w, b, stride=2, padding=1),
            rtol=1e-12,
        )
    )
    weights = rng.standard_normal(conv.conv2d_forward(x, w, b, 2, 1).shape)  # L = Σ weights · out
    analytic = dict(
        zip(("x", "weight", "bias"), conv.conv2d_backward(weights, x, w, 2, 1), strict=True)
    )
    for name, param in (("x", x), ("weight", w), ("bias", b)):
        numerical = numerical_gradient(
            lambda: np.sum(weights * conv.conv2d_forward(x, w, b, 2, 1)), param
        )
        records.append(
            parity.close(
                f"conv ∂L/∂{name}: analytic vs finite differences",
                analytic[name],
                numerical,
                rtol=1e-8,
            )
        )
    pool_x = rng.standard_normal((2, 3, 7, 9))
    pooled, indices = conv.maxpool2d_forward(pool_x, 3, stride=2, padding=1)
    pool_weights = rng.standard_normal(pooled.shape)
    numerical = numerical_gradient(
        lambda: np.sum(pool_weights * conv.maxpool2d_forward(pool_x, 3, 2, 1)[0]), pool_x
    )
    records.append(
        parity.close(
            "max-pool ∂L/∂x: analytic vs finite differences",
            conv.maxpool2d_backward(pool_weights, indices, pool_x.shape),
            numerical,
            rtol=1e-8,
        )
    )
    return records

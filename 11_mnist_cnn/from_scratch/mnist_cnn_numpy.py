"""The trained MNIST CNN's forward pass in NumPy, from the weights PyTorch saved.

Inference needs no autograd and no framework: the network is a fixed composition of
functions, and stage 10 already wrote the two that are specific to images. With the
weights PyTorch exported as ``mnist_cnn.npz`` (same keys as its ``state_dict``):

    h1     = maxpool₂(relu(conv2d(x, conv1.weight, conv1.bias)))        (N, 32, 13, 13)
    h2     = maxpool₂(relu(conv2d(h1, conv2.weight, conv2.bias)))       (N, 64, 5, 5)
    z      = relu(flatten(h2) · fc1.weightᵀ + fc1.bias) · fc2.weightᵀ + fc2.bias   (N, 10)
    p(k|x) = exp(z_k − max z) / Σ_j exp(z_j − max z)                   (softmax, stable form)

Dropout is the identity at inference (PyTorch's ``eval()`` mode), so it does not appear here.
``flatten`` must follow PyTorch's (C, H, W) order for fc1's columns to line up — a classic
porting bug this twin checks. Everything stays float32, like the PyTorch model, so the two
sets of logits differ only by the order of float32 roundings (≈1e-6).

Why this script cannot train the weights itself: it is NumPy-only (no torch import), and
the journey runner runs from_scratch/ scripts before library_impl/ ones. So ``main()`` uses
the artefacts if they exist and otherwise says which command builds them and exits cleanly;
the comparison notebook trains its own model in view, saves it and then compares the two
forward passes image by image.
"""

import argparse
import json
from pathlib import Path

import numpy as np

import journey
from journey import parity
from journey.cli import MNIST_DATA, deep_learning_flags
from journey.data import MNIST_MEAN, MNIST_STD
from journey.params import checked_state
from journey.validation import check_int

conv = journey.load_stage("10", "from_scratch/conv2d_numpy.py")
softmax = journey.load_stage("04", "from_scratch/mlp_two_layer_numpy.py").softmax

STAGE = "11_mnist_cnn"
ARTEFACT_DIR = journey.OUTPUTS_DIR / STAGE  # same folder as library_impl's ARTEFACT_DIR
QUICK_ARTEFACT_DIR = ARTEFACT_DIR / "quick"  # and its quick-run folder
ARRAYS_FILE, METADATA_FILE = "mnist_cnn.npz", "mnist_cnn.json"
BUILD_COMMAND = "ml_journey/bin/python 11_mnist_cnn/library_impl/mnist_cnn_pytorch.py"
PARAMETER_SHAPES = {  # MnistCNN's state_dict: names and shapes
    "conv1.weight": (32, 1, 3, 3),
    "conv1.bias": (32,),
    "conv2.weight": (64, 32, 3, 3),
    "conv2.bias": (64,),
    "fc1.weight": (128, 64 * 5 * 5),
    "fc1.bias": (128,),
    "fc2.weight": (10, 128),
    "fc2.bias": (10,),
}


def normalise(images) -> np.ndarray:
    """uint8 digits (N, 28, 28) or (N, 1, 28, 28) → float32 (N, 1, 28, 28): (x/255 − mean)/std."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[:, None]
    if images.ndim != 4 or images.shape[1:] != (1, 28, 28):
        raise ValueError(f"images must be (N, 28, 28) or (N, 1, 28, 28), got shape {images.shape}")
    # BEGIN SOLUTION 11.1
    # task: scale the pixels to [0, 1] and standardise them as torchvision's transform does
    # hint: x = images as float32 / 255 (ToTensor), then (x − MNIST_MEAN) / MNIST_STD, float32
    x = images.astype(np.float32) / np.float32(255)
    return (x - np.float32(MNIST_MEAN)) / np.float32(MNIST_STD)
    # END SOLUTION


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


class NumpyMnistCNN:
    """The forward pass of library_impl's ``MnistCNN`` with its weights, in NumPy.

    ``params`` maps PyTorch's state_dict names (``conv1.weight`` ...) to arrays or tensors;
    ``params_`` keeps them as ``dtype``: float32 like the PyTorch model, or float64 for an
    exact comparison. ``forward`` takes images already normalised (see ``normalise``).
    """

    def __init__(self, params: dict, batch_size: int = 500, dtype=np.float32):
        self.params_ = checked_state(
            params,
            PARAMETER_SHAPES,
            dtype=dtype,
            owner="MnistCNN",
            hint="export the weights from MnistCNN's state_dict",
        )
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        self.dtype = np.dtype(dtype)

    @classmethod
    def from_npz(cls, path=ARTEFACT_DIR, batch_size: int = 500) -> "NumpyMnistCNN":
        """Load ``mnist_cnn.npz`` (a file path, or the folder holding it)."""
        path = Path(path)
        if path.is_dir() or path.suffix != ".npz":
            path = path / ARRAYS_FILE
        if not path.exists():
            raise FileNotFoundError(
                f"{path} does not exist: train the model first with `{BUILD_COMMAND}` "
                "(it writes mnist_cnn.pt, mnist_cnn.npz and mnist_cnn.json)"
            )
        with np.load(path) as arrays:
            return cls({name: arrays[name] for name in arrays.files}, batch_size)

    def features(self, x: np.ndarray) -> np.ndarray:
        """The two convolution blocks: (N, 1, 28, 28) → (N, 32, 13, 13) → (N, 64, 5, 5)."""
        p = self.params_
        # BEGIN SOLUTION 11.2
        # task: conv → ReLU → 2×2 max-pool, twice, with the conv1 and conv2 weights
        # hint: relu(conv.conv2d_forward(h, W, b)), then conv.maxpool2d_forward(h, 2)[0]
        h = relu(conv.conv2d_forward(x, p["conv1.weight"], p["conv1.bias"]))
        h = conv.maxpool2d_forward(h, 2)[0]
        h = relu(conv.conv2d_forward(h, p["conv2.weight"], p["conv2.bias"]))
        return conv.maxpool2d_forward(h, 2)[0]
        # END SOLUTION

    def classify(self, h: np.ndarray) -> np.ndarray:
        """The dense head: feature maps (N, 64, 5, 5) → logits (N, 10)."""
        p = self.params_
        # BEGIN SOLUTION 11.3
        # task: flatten the maps as torch.flatten does, then fc1 → ReLU → fc2
        # hint: h.reshape(N, -1) keeps the (C, H, W) order; a linear layer is h @ W.T + b
        h = h.reshape(len(h), -1)  # (N, 64·5·5) in (C, H, W) order, like torch.flatten
        h = relu(h @ p["fc1.weight"].T + p["fc1.bias"])
        return h @ p["fc2.weight"].T + p["fc2.bias"]
        # END SOLUTION

    def forward(self, x) -> np.ndarray:
        """Logits (N, 10) for normalised images x (N, 1, 28, 28), in batches to bound memory."""
        x = conv.check_images(x)
        if x.shape[1:] != (1, 28, 28):
            raise ValueError(
                f"x must have shape (N, 1, 28, 28): one grey channel of 28×28 pixels, "
                f"got {x.shape}; turn raw digits into that with normalise(images)"
            )
        x = x.astype(self.dtype, copy=False)
        return np.concatenate(
            [
                self.classify(self.features(x[i : i + self.batch_size]))
                for i in range(0, len(x), self.batch_size)
            ]
        )

    __call__ = forward

    def predict_proba(self, x) -> np.ndarray:
        """Class probabilities (N, 10): the softmax of the logits."""
        return softmax(self.forward(x))

    def predict(self, x) -> np.ndarray:
        """The most likely digit for each image."""
        return np.argmax(self.forward(x), axis=1)


SOURCES = {"mnist": "mnist", "standin": "digits-standin"}  # --data → the source's name
DATA_HELP = (
    "auto: the test set the weights were evaluated on (recorded in mnist_cnn.json); "
    "mnist: MNIST's test set; standin: the bundled-digits stand-in's"
)


def load_test_set(source: str, data_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """The test images (uint8) and labels of ``source``: "mnist" or "digits-standin"."""
    images, labels, _ = conv.load_mnist_idx(
        data_dir, train=False, standin="never" if source == "mnist" else "always"
    )
    return images, labels.astype(np.int64)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        parents=[deep_learning_flags(data=MNIST_DATA, data_help=DATA_HELP, device=False)],
    )
    parser.add_argument(
        "--artefacts",
        type=Path,
        default=None,
        help=f"folder holding mnist_cnn.npz / .json (default {ARTEFACT_DIR}, "
        "in quick mode its quick/ subfolder, as the training script writes)",
    )
    args = parser.parse_args()
    artefacts = args.artefacts or (QUICK_ARTEFACT_DIR if journey.is_quick() else ARTEFACT_DIR)

    if not (artefacts / ARRAYS_FILE).exists() or not (artefacts / METADATA_FILE).exists():
        print(
            f"No trained weights in {artefacts} yet, so there is nothing to run. Build them with\n"
            f"    {BUILD_COMMAND}\n(the journey runner runs it right after this script), "
            "then run this script again."
        )
        return
    model = NumpyMnistCNN.from_npz(artefacts)
    metadata = json.loads((artefacts / METADATA_FILE).read_text(encoding="utf-8"))
    source = metadata["data_source"] if args.data == "auto" else SOURCES[args.data]
    images, labels = load_test_set(source, args.data_dir)
    accuracy = float(np.mean(model.predict(normalise(images)) == labels))
    print(f"NumPy forward pass: test accuracy {accuracy:.2%} on {len(labels)} {source} images")
    if source == metadata["data_source"]:
        # PyTorch measured its accuracy on the training device (a GPU may use TF32
        # convolutions), so allow 0.1 percentage point; on a CPU the two agree exactly.
        parity.close(
            "test accuracy: NumPy forward vs PyTorch (recorded at training)",
            accuracy,
            metadata["test_accuracy"],
            atol=1e-3,
        )


if __name__ == "__main__":
    main()

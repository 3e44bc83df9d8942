"""PyTorch's nn.Conv2d and nn.MaxPool2d, given the same weights as the from-scratch layers.

What a professional writes is two lines — ``nn.Conv2d(C_in, C_out, k, stride, padding)`` and
``nn.MaxPool2d(k)`` — and autograd supplies the backward pass. This script copies the
from-scratch layers' weights into those modules (float64) and checks, for several shapes,
strides and paddings (odd sizes included):

- forward outputs agree within 1e-10 relative, max-pool indices are identical;
- the hand-written gradients (input, weight, bias) agree with autograd within 1e-8;
- true convolution (flipped kernel) agrees with ``scipy.signal.convolve2d``.

It then trains a tiny CNN (one conv layer, 8 kernels of 5×5) on the digits for a few
epochs and draws what its *learned* kernels see in a digit, computing the feature maps with
both implementations, and times the two forward passes at a realistic size
(batch 64, 1 → 32 channels, 28×28, 3×3).
"""

import argparse

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

import journey
from journey import parity
from journey.cli import MNIST_DATA, deep_learning_flags
from journey.data import MNIST_MEAN, MNIST_STD
from journey.timing import median_time

scratch = journey.load_stage("10", "from_scratch/conv2d_numpy.py")
demo = journey.load_stage("10", "from_scratch/_conv2d_demo.py")
STAGE = scratch.STAGE

# (batch, C_in, H, W, C_out, kernel (kh, kw), stride, padding)
CONV_CONFIGS = [
    (2, 1, 8, 8, 3, (3, 3), 1, 0),
    (3, 3, 11, 9, 4, (3, 3), 2, 1),
    (2, 2, 13, 13, 5, (5, 5), 3, 2),
    (1, 4, 7, 10, 2, (2, 3), (2, 1), (0, 1)),
    (4, 3, 28, 28, 8, (3, 3), 1, 1),
]
# (batch, C, H, W, kernel, stride, padding)
POOL_CONFIGS = [
    (2, 3, 8, 8, 2, None, 0),
    (2, 2, 9, 11, 3, 2, 1),
    (1, 4, 7, 7, (2, 3), (1, 2), 0),
]


def torch_conv_like(layer) -> nn.Conv2d:
    """An ``nn.Conv2d`` (float64) holding a copy of the from-scratch layer's weight and bias."""
    out_channels, in_channels, kh, kw = layer.weight.shape
    conv = nn.Conv2d(
        in_channels,
        out_channels,
        (kh, kw),
        stride=layer.stride,
        padding=layer.padding,
        bias=layer.bias is not None,
        dtype=torch.float64,
    )
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(layer.weight))
        if layer.bias is not None:
            conv.bias.copy_(torch.from_numpy(layer.bias))
    return conv


def compare_conv(config, seed: int = 0) -> list:
    """Forward (≤ 1e-10) and backward (≤ 1e-8) of one configuration, scratch vs nn.Conv2d."""
    n, c_in, h, w, c_out, kernel, stride, padding = config
    rng = np.random.default_rng(seed)
    layer = scratch.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, seed=seed)
    conv = torch_conv_like(layer)
    x = rng.standard_normal((n, c_in, h, w))
    out = layer(x)
    x_t = torch.tensor(x, requires_grad=True)
    out_t = conv(x_t)
    grad_out = rng.standard_normal(out.shape)  # ∂L/∂out for L = Σ grad_out · out
    out_t.backward(torch.from_numpy(grad_out))
    grad_x = layer.backward(grad_out)
    tag = f"conv N{n} C{c_in}→{c_out} {h}×{w} k{kernel} s{stride} p{padding}"
    return [
        parity.close(f"{tag}: forward", out, out_t.detach().numpy(), rtol=1e-10),
        parity.close(f"{tag}: ∂L/∂x", grad_x, x_t.grad.numpy(), rtol=1e-8),
        parity.close(f"{tag}: ∂L/∂weight", layer.grad_weight, conv.weight.grad.numpy(), rtol=1e-8),
        parity.close(f"{tag}: ∂L/∂bias", layer.grad_bias, conv.bias.grad.numpy(), rtol=1e-8),
    ]


def compare_pool(config, seed: int = 0) -> list:
    """Max-pool forward (≤ 1e-10), argmax indices (identical), backward (≤ 1e-8) vs nn.MaxPool2d."""
    n, c, h, w, kernel, stride, padding = config
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w))
    layer = scratch.MaxPool2d(kernel, stride=stride, padding=padding)
    pool = nn.MaxPool2d(kernel, stride=stride, padding=padding, return_indices=True)
    out = layer(x)
    x_t = torch.tensor(x, requires_grad=True)
    out_t, indices_t = pool(x_t)
    grad_out = rng.standard_normal(out.shape)
    out_t.backward(torch.from_numpy(grad_out))
    tag = f"max-pool N{n} C{c} {h}×{w} k{kernel} s{kernel if stride is None else stride} p{padding}"
    return [
        parity.close(f"{tag}: forward", out, out_t.detach().numpy(), rtol=1e-10),
        parity.equal(f"{tag}: argmax indices", layer.indices, indices_t.numpy()),
        parity.close(f"{tag}: ∂L/∂x", layer.backward(grad_out), x_t.grad.numpy(), rtol=1e-8),
    ]


def compare_true_convolution(seed: int = 0):
    """The flipped-kernel loops against SciPy's convolve2d (a true convolution)."""
    from scipy.signal import convolve2d

    rng = np.random.default_rng(seed)
    image, kernel = rng.standard_normal((10, 7)), rng.standard_normal((3, 4))
    return parity.close(
        "true convolution: loops vs scipy.signal.convolve2d",
        scratch.convolve2d_loops(image, kernel),
        convolve2d(image, kernel, mode="valid"),
        rtol=1e-12,
    )


class TinyCNN(nn.Module):
    """One convolution (8 kernels of 5×5, padding 2) → ReLU → 2×2 max-pool → linear classifier."""

    def __init__(self, n_kernels: int = 8):
        super().__init__()
        self.conv = nn.Conv2d(1, n_kernels, 5, padding=2)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(n_kernels * 14 * 14, 10)

    def forward(self, x):
        return self.fc(self.pool(F.relu(self.conv(x))).flatten(1))


def digit_tensors(data_dir=None, train: bool = True, standin: str = "fallback"):
    """MNIST (or the stand-in) as one normalised float tensor (N, 1, 28, 28) and its labels."""
    images, labels, source = demo.load_mnist_idx(data_dir, train, standin)
    x = (torch.from_numpy(images.copy()).float().div(255).unsqueeze(1) - MNIST_MEAN) / MNIST_STD
    return x, torch.from_numpy(labels.astype(np.int64)), source


def train_tiny_cnn(
    data_dir=None,
    epochs: int = 3,
    seed: int = 0,
    device=None,
    standin: str = "fallback",
    max_samples: int = 12000,
    model: TinyCNN | None = None,
) -> tuple[TinyCNN, float, str]:
    """A few epochs of Adam on (at most ``max_samples`` of) the training digits.

    Trains ``model`` (a fresh ``TinyCNN`` when None) and returns it (CPU, eval mode), its
    test accuracy and the data source.
    """
    journey.seed_everything(seed)
    device = journey.device(device)
    x, y, source = digit_tensors(data_dir, True, standin)
    x, y = x[:max_samples].to(device), y[:max_samples].to(device)
    model = (TinyCNN() if model is None else model).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(seed)
    for _ in journey.progress(range(epochs), desc="tiny CNN epochs"):
        for batch in torch.randperm(len(x), generator=generator).split(64):
            optimiser.zero_grad()
            F.cross_entropy(model(x[batch.to(device)]), y[batch.to(device)]).backward()
            optimiser.step()
    x_test, y_test, _ = digit_tensors(data_dir, False, standin)
    with torch.no_grad():
        accuracy = (model(x_test.to(device)).argmax(1).cpu() == y_test).float().mean().item()
    return model.cpu().eval(), accuracy, source


def learned_kernels_figure(weight: np.ndarray, initial: np.ndarray | None = None):
    """The learned 5×5 kernels, one small image each (red positive, blue negative); with
    ``initial``, the same kernels at their random initialisation in a first row."""
    plt = journey.plotting.pyplot()
    rows = [("learned", weight)] if initial is None else [("initial", initial), ("learned", weight)]
    fig, axes = plt.subplots(
        len(rows), len(weight), figsize=(1.4 * len(weight), 1.8 * len(rows)), squeeze=False
    )
    for row, (name, kernels) in zip(axes, rows, strict=True):
        for k, ax in enumerate(row):
            limit = np.abs(kernels[k, 0]).max()
            ax.imshow(kernels[k, 0], cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(f"{name} {k}", fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle("5×5 kernels of the tiny CNN")
    fig.tight_layout()
    return fig


def time_forward(
    *, batch=64, c_in=1, c_out=32, size=28, kernel=3, repeats=20, dtype=np.float32
) -> dict:
    """Median seconds of one forward pass, scratch vs ``F.conv2d`` (CPU), on the same data:
    ``batch`` square ``size``×``size`` images of ``c_in`` channels, ``c_out`` square kernels."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, c_in, size, size)).astype(dtype)
    w = rng.standard_normal((c_out, c_in, kernel, kernel)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype)
    x_t, w_t, b_t = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
    with torch.no_grad():
        t_scratch, _ = median_time(lambda: scratch.conv2d_forward(x, w, b), repeats)
        t_torch, _ = median_time(lambda: F.conv2d(x_t, w_t, b_t), repeats)
    return {
        "scratch_s": t_scratch,
        "torch_s": t_torch,
        "ratio": t_scratch / t_torch,
        "shape": f"{batch}×{c_in}×{size}×{size} → {c_out} ch, {kernel}×{kernel}, "
        f"{np.dtype(dtype).name}",
    }


def learned_feature_maps(model, image: np.ndarray, accuracy: float, source: str, label: int):
    """The trained conv layer applied to one digit by both implementations (checked ≤ 1e-10),
    and the figure of its feature maps after ReLU + max-pool."""
    x = (image[None, None] - MNIST_MEAN) / MNIST_STD  # the network saw normalised digits
    weight = model.conv.weight.detach().double().numpy()
    bias = model.conv.bias.detach().double().numpy()
    maps = scratch.conv2d_forward(x, weight, bias, padding=2)
    with torch.no_grad():
        maps_t = F.conv2d(*(torch.from_numpy(a) for a in (x, weight, bias)), padding=2)
    record = parity.close(
        "learned kernels on a digit: feature maps", maps, maps_t.numpy(), rtol=1e-10
    )
    pooled = scratch.maxpool2d_forward(np.maximum(maps, 0.0), 2)[0]
    fig = demo.feature_maps_figure(
        image,
        maps[0],
        pooled[0],
        [f"kernel {k}" for k in range(len(weight))],
        f"learned kernels on a '{label}' (tiny CNN, test accuracy {accuracy:.1%} on {source})",
        pooled_label="ReLU + max-pool",
    )
    return record, fig


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        parents=[deep_learning_flags(epochs=3, data=MNIST_DATA)],
    )
    args = parser.parse_args()
    quick = journey.is_quick()

    records = [r for config in CONV_CONFIGS for r in compare_conv(config, args.seed)]
    records += [r for config in POOL_CONFIGS for r in compare_pool(config, args.seed)]
    records.append(compare_true_convolution(args.seed))

    standin = "always" if quick else MNIST_DATA[args.data]
    epochs, max_samples = (1, 2000) if quick else (args.epochs, 12000)
    model, accuracy, source = train_tiny_cnn(
        args.data_dir, epochs, args.seed, args.device, standin, max_samples=max_samples
    )
    journey.save_figure(
        learned_kernels_figure(model.conv.weight.detach().double().numpy()),
        STAGE,
        "learned_kernels",
    )
    image, label, _ = demo.load_digit(args.data_dir, 0, standin)
    record, fig = learned_feature_maps(model, image, accuracy, source, label)
    records.append(record)
    journey.save_figure(fig, STAGE, "learned_feature_maps")

    timing = time_forward(repeats=5 if quick else 30)
    print(
        f"forward {timing['shape']}: scratch {timing['scratch_s'] * 1e3:.2f} ms, "
        f"torch {timing['torch_s'] * 1e3:.2f} ms, ratio {timing['ratio']:.2f}× (CPU, median)"
    )
    failed = [r for r in records if not r.passed]
    print(f"{len(records) - len(failed)}/{len(records)} scratch-vs-PyTorch checks passed")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

"""2-D convolution and max-pooling from scratch in NumPy: forward and backward passes.

A dense layer connects every input pixel to every unit. A convolutional layer makes two
assumptions that suit images:

- local connectivity: an output unit looks at a small window (kh × kw) of the input;
- weight sharing: the same window weights (the *kernel*) slide over every position.

For an input x of shape (N, C_in, H, W), weights w of shape (C_out, C_in, kh, kw), bias b,
stride s and zero padding p, the layer computes (this is what PyTorch's ``nn.Conv2d`` does)

    out[n, o, i, j] = b[o] + Σ_c Σ_a Σ_b w[o, c, a, b] · xpad[n, c, i·s + a, j·s + b]

with output size H_out = ⌊(H + 2p − kh) / s⌋ + 1 (the same for the width). Strictly this is
a *cross-correlation*: a true convolution flips the kernel, w[o, c, kh−1−a, kw−1−b]. Deep-
learning frameworks skip the flip because the kernel is learned anyway — a learned flipped
kernel is just another kernel. ``convolve2d_loops`` shows the flip explicitly.

The file builds the layer in three steps a learner can compare:

1. ``correlate2d_loops``: one image, one kernel, four plain Python loops;
2. ``conv2d_loops``: the general layer (batch, channels, stride, padding) with loops over
   samples, output channels and output positions — slow, but easy to check by eye;
3. ``conv2d_forward``: the same layer vectorised with *im2col*: ``sliding_window_view``
   exposes every kh × kw window without copying, one reshape lays the windows out as the
   columns of a matrix, and a single batched matrix product does all the multiply-adds.

Backward pass (G = ∂L/∂out, the gradient flowing back from the layer above):

    ∂L/∂b[o]          = Σ_n Σ_i Σ_j G[n, o, i, j]
    ∂L/∂w[o, c, a, b] = Σ_n Σ_i Σ_j G[n, o, i, j] · xpad[n, c, i·s + a, j·s + b]
    ∂L/∂xpad[n, c, y, x] = Σ_o Σ_(i,j,a,b with i·s+a=y, j·s+b=x) G[n, o, i, j] · w[o, c, a, b]

In im2col form: ∂L/∂W = G · colsᵀ, ∂L/∂cols = Wᵀ · G, and *col2im* adds every column back
onto the window it came from (windows overlap, so contributions add up); the padding border
is then cut off.

Max-pooling keeps the largest value of each window. Its gradient goes entirely to the
position that won (the *argmax*, kept from the forward pass); every other input gets zero.
The indices follow PyTorch's ``return_indices=True`` convention: the flat position
row·W + col in the (unpadded) input plane, the first maximum winning a tie.

Run ``python conv2d_numpy.py`` to check the three versions against each other and the
backward passes against finite differences, and to draw the feature maps of hand-made
kernels (edges, blur) on a digit.
"""

import argparse

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import journey
from journey import parity
from journey.gradcheck import numerical_gradient

STAGE = "10_cnn_basics"

# ------------------------------------------------------------------------ input checks


def _pair(value, name: str, minimum: int) -> tuple[int, int]:
    """Turn ``3`` or ``(3, 3)`` into a pair of ints ≥ ``minimum``, as PyTorch accepts both."""
    pair = (value, value) if np.isscalar(value) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{name} must be ≥ {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def check_images(x, name: str = "x") -> np.ndarray:
    """Return ``x`` as a finite float array of shape (N, C, H, W).

    float32 stays float32 (a trained network's weights are float32); anything else becomes
    float64, the precision the parity checks use.
    """
    x = np.asarray(x)
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float64)
    if x.ndim == 3:
        raise ValueError(
            f"{name} must be 4-D (N, C, H, W), got shape {x.shape}; "
            f"add the batch axis for a single image with {name}[None]"
        )
    if x.ndim != 4:
        raise ValueError(f"{name} must be 4-D (N, C, H, W), got {x.ndim}-D with shape {x.shape}")
    if x.size == 0:
        raise ValueError(
            f"{name} is empty (shape {x.shape}); at least one image of at least one pixel is needed"
        )
    if not np.all(np.isfinite(x)):
        bad = int(x.size - np.count_nonzero(np.isfinite(x)))
        raise ValueError(
            f"{name} contains {bad} NaN or infinite value(s); clean the data before the layer"
        )
    return x


def check_conv_weight(weight, bias, in_channels: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Check the weight is (C_out, C_in, kh, kw) with C_in matching the input, and the bias (C_out,)."""
    weight = np.asarray(weight)
    if weight.ndim != 4:
        raise ValueError(
            f"weight must be 4-D (C_out, C_in, kh, kw), got shape {weight.shape}; "
            "a single 2-D kernel k becomes k[None, None]"
        )
    weight = check_images(weight, name="weight")
    if weight.shape[1] != in_channels:
        raise ValueError(
            f"the input has {in_channels} channel(s) but the weight {weight.shape} expects "
            f"{weight.shape[1]}; weight must be (C_out, C_in, kh, kw) with C_in = x.shape[1]"
        )
    if bias is not None:
        bias = np.asarray(bias, dtype=weight.dtype)
        if bias.shape != (weight.shape[0],):
            raise ValueError(
                f"bias must have shape ({weight.shape[0]},), one value per output channel, "
                f"got {bias.shape}"
            )
        if not np.all(np.isfinite(bias)):
            raise ValueError("bias contains NaN or infinite values")
    return weight, bias


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """⌊(size + 2·padding − kernel) / stride⌋ + 1, with a clear error when the kernel does not fit."""
    if kernel > size + 2 * padding:
        raise ValueError(
            f"kernel size {kernel} is larger than the padded input ({size} + 2·{padding}); "
            "use a smaller kernel, more padding or a larger image"
        )
    return (size + 2 * padding - kernel) // stride + 1


# ------------------------------------------------------------ the teaching versions (loops)


def correlate2d_loops(image, kernel) -> np.ndarray:
    """Cross-correlate one 2-D image with one 2-D kernel ('valid': no padding), with plain loops.

    out[i, j] = Σ_a Σ_b kernel[a, b] · image[i + a, j + b]
    """
    image, kernel = np.asarray(image, dtype=np.float64), np.asarray(kernel, dtype=np.float64)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError(
            f"image and kernel must be 2-D, got shapes {image.shape} and {kernel.shape}"
        )
    kh, kw = kernel.shape
    out_h, out_w = output_size(image.shape[0], kh, 1, 0), output_size(image.shape[1], kw, 1, 0)
    out = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            total = 0.0
            for a in range(kh):
                for b in range(kw):
                    total += kernel[a, b] * image[i + a, j + b]
            out[i, j] = total
    return out


def convolve2d_loops(image, kernel) -> np.ndarray:
    """True 2-D convolution ('valid'): cross-correlation with the kernel flipped in both axes.

    (image ∗ kernel)[i, j] = Σ_a Σ_b kernel[kh−1−a, kw−1−b] · image[i + a, j + b]
    This is what ``scipy.signal.convolve2d`` computes; ``nn.Conv2d`` computes the correlation.
    """
    return correlate2d_loops(image, np.asarray(kernel)[::-1, ::-1])


def pad_images(x: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """Zero-pad the two spatial axes of (N, C, H, W) by ``padding`` = (ph, pw) on each side."""
    ph, pw = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def conv2d_loops(x, weight, bias=None, stride=1, padding=0) -> np.ndarray:
    """The general convolution layer, looping over samples, output channels and positions.

    Each output value is one dot product between a kernel (C_in, kh, kw) and the window of
    the padded input under it. Slow (four Python loops) but a direct transcription of the formula.
    """
    x = check_images(x)
    weight, bias = check_conv_weight(weight, bias, x.shape[1])
    (sh, sw), (ph, pw) = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    n_out, _, kh, kw = weight.shape
    out_h, out_w = output_size(x.shape[2], kh, sh, ph), output_size(x.shape[3], kw, sw, pw)
    xp = pad_images(x, (ph, pw))
    out = np.zeros((x.shape[0], n_out, out_h, out_w), dtype=np.result_type(x, weight))
    for n in range(x.shape[0]):
        for o in range(n_out):
            for i in range(out_h):
                for j in range(out_w):
                    window = xp[n, :, i * sh : i * sh + kh, j * sw : j * sw + kw]
                    out[n, o, i, j] = np.sum(window * weight[o]) + (
                        0.0 if bias is None else bias[o]
                    )
    return out


# ------------------------------------------------------------------ the vectorised layer


def im2col(xp: np.ndarray, kernel_size: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """Lay every kh × kw window of the padded input out as a column: (N, C·kh·kw, H_out·W_out).

    ``sliding_window_view`` returns a *view* of shape (N, C, H−kh+1, W−kw+1, kh, kw) (no copy);
    slicing it with the stride keeps the windows the layer visits; the reshape then copies
    them once into the column matrix. Row index of a column = c·kh·kw + a·kw + b, the same
    order as ``weight.reshape(C_out, -1)``.
    """
    kh, kw = kernel_size
    sh, sw = stride
    windows = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    n, c, out_h, out_w = windows.shape[:4]
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, out_h * out_w)


def col2im(
    cols: np.ndarray,
    padded_shape: tuple[int, ...],
    kernel_size: tuple[int, int],
    stride: tuple[int, int],
    out_hw: tuple[int, int],
) -> np.ndarray:
    """The adjoint of ``im2col``: add each column back onto the window it was taken from.

    Windows overlap when the stride is smaller than the kernel, so one input pixel receives
    the sum of several contributions. One loop over the kh·kw kernel offsets (9 for 3×3),
    each step vectorised over samples, channels and output positions.
    """
    n, c = padded_shape[:2]
    kh, kw = kernel_size
    sh, sw = stride
    out_h, out_w = out_hw
    cols = cols.reshape(n, c, kh, kw, out_h, out_w)
    xp = np.zeros(padded_shape, dtype=cols.dtype)
    for a in range(kh):
        for b in range(kw):
            xp[:, :, a : a + sh * out_h : sh, b : b + sw * out_w : sw] += cols[:, :, a, b]
    return xp


def conv2d_forward(x, weight, bias=None, stride=1, padding=0) -> np.ndarray:
    """The convolution layer, vectorised: out = W · im2col(xpad) + b.

    x (N, C_in, H, W), weight (C_out, C_in, kh, kw), bias (C_out,) or None → (N, C_out, H_out, W_out).
    """
    x = check_images(x)
    weight, bias = check_conv_weight(weight, bias, x.shape[1])
    (sh, sw), (ph, pw) = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    n_out, _, kh, kw = weight.shape
    out_h, out_w = output_size(x.shape[2], kh, sh, ph), output_size(x.shape[3], kw, sw, pw)
    cols = im2col(pad_images(x, (ph, pw)), (kh, kw), (sh, sw))
    out = weight.reshape(n_out, -1) @ cols  # (C_out, K) @ (N, K, P) -> (N, C_out, P)
    if bias is not None:
        out += bias[:, None]
    return out.reshape(x.shape[0], n_out, out_h, out_w)


def conv2d_backward(
    grad_out, x, weight, stride=1, padding=0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the loss w.r.t. the input, the weight and the bias of ``conv2d_forward``.

    grad_out = ∂L/∂out (N, C_out, H_out, W_out). Returns (∂L/∂x, ∂L/∂w, ∂L/∂b).
    """
    x = check_images(x)
    weight, _ = check_conv_weight(weight, None, x.shape[1])
    (sh, sw), (ph, pw) = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    n_out, _, kh, kw = weight.shape
    out_h, out_w = output_size(x.shape[2], kh, sh, ph), output_size(x.shape[3], kw, sw, pw)
    grad_out = np.asarray(grad_out, dtype=np.result_type(x, weight))
    if grad_out.shape != (x.shape[0], n_out, out_h, out_w):
        expected = (x.shape[0], n_out, out_h, out_w)
        raise ValueError(
            f"grad_out must have the forward output's shape {expected}, got {grad_out.shape}"
        )
    xp = pad_images(x, (ph, pw))
    cols = im2col(xp, (kh, kw), (sh, sw))  # (N, K, P)
    g = grad_out.reshape(x.shape[0], n_out, out_h * out_w)  # (N, C_out, P)
    grad_bias = g.sum(axis=(0, 2))
    grad_weight = np.tensordot(g, cols, axes=([0, 2], [0, 2])).reshape(weight.shape)
    grad_cols = weight.reshape(n_out, -1).T @ g  # (K, C_out) @ (N, C_out, P) -> (N, K, P)
    grad_xp = col2im(grad_cols, xp.shape, (kh, kw), (sh, sw), (out_h, out_w))
    grad_x = grad_xp[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]
    return np.ascontiguousarray(grad_x), grad_weight, grad_bias


def maxpool2d_forward(x, kernel_size, stride=None, padding=0) -> tuple[np.ndarray, np.ndarray]:
    """Max over each window; returns the pooled maps and the argmax indices (PyTorch's convention).

    The padding border is −∞, so it never wins (PyTorch allows padding ≤ kernel_size / 2).
    indices[n, c, i, j] = row · W + col of the winning input pixel in the unpadded plane.
    """
    x = check_images(x)
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    sh, sw = (kh, kw) if stride is None else _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(
            f"padding {padding!r} must be at most half the kernel size {kernel_size!r}"
        )
    height, width = x.shape[2:]
    out_h, out_w = output_size(height, kh, sh, ph), output_size(width, kw, sw, pw)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    windows = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    windows = windows.reshape(*windows.shape[:4], kh * kw)  # (N, C, H_out, W_out, kh·kw)
    winner = np.argmax(windows, axis=-1)  # first maximum wins a tie
    out = np.take_along_axis(windows, winner[..., None], axis=-1)[..., 0]
    a, b = np.divmod(winner, kw)
    rows = np.arange(out_h)[:, None] * sh + a - ph
    cols = np.arange(out_w)[None, :] * sw + b - pw
    return out, rows * width + cols


def maxpool2d_backward(grad_out, indices, input_shape) -> np.ndarray:
    """Route each output gradient to the input pixel that won its window; the rest get zero.

    Overlapping windows (stride < kernel) can pick the same pixel twice: ``np.bincount``
    adds those contributions, which a plain fancy-index assignment would silently drop.
    """
    grad_out, indices = np.asarray(grad_out), np.asarray(indices)
    if grad_out.shape != indices.shape:
        raise ValueError(
            f"grad_out {grad_out.shape} and indices {indices.shape} must have the same shape"
        )
    n, c, height, width = input_shape
    plane = np.arange(n * c).reshape(n, c, 1, 1) * (height * width)
    flat = np.bincount(
        (plane + indices).ravel(), weights=grad_out.ravel(), minlength=n * c * height * width
    )
    return flat.reshape(input_shape).astype(grad_out.dtype, copy=False)


# ------------------------------------------------------------------------------ layers


class Conv2d:
    """A convolution layer with PyTorch's parameter names and shapes, so weights copy across.

    ``weight`` (C_out, C_in, kh, kw) and ``bias`` (C_out,) start as PyTorch's default:
    U(−1/√fan_in, 1/√fan_in) with fan_in = C_in·kh·kw. ``backward`` fills ``grad_weight``
    and ``grad_bias`` and returns ∂L/∂x.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        bias: bool = True,
        seed: int = 0,
    ):
        if not all(
            isinstance(n, (int, np.integer)) and n >= 1 for n in (in_channels, out_channels)
        ):
            raise ValueError(
                f"in_channels and out_channels must be integers ≥ 1, "
                f"got {in_channels!r} and {out_channels!r}"
            )
        kh, kw = _pair(kernel_size, "kernel_size", 1)
        self.stride, self.padding = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
        rng = np.random.default_rng(seed)
        bound = 1.0 / np.sqrt(in_channels * kh * kw)
        self.weight = rng.uniform(-bound, bound, size=(out_channels, in_channels, kh, kw))
        self.bias = rng.uniform(-bound, bound, size=out_channels) if bias else None
        self.grad_weight = self.grad_bias = self._x = None

    def forward(self, x) -> np.ndarray:
        self._x = check_images(x)
        return conv2d_forward(self._x, self.weight, self.bias, self.stride, self.padding)

    __call__ = forward

    def backward(self, grad_out) -> np.ndarray:
        if self._x is None:
            raise RuntimeError("call forward(x) before backward(grad_out)")
        grad_x, self.grad_weight, grad_bias = conv2d_backward(
            grad_out, self._x, self.weight, self.stride, self.padding
        )
        self.grad_bias = None if self.bias is None else grad_bias
        return grad_x


class MaxPool2d:
    """Max-pooling that keeps the argmax of each window for the backward pass."""

    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel_size = _pair(kernel_size, "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else _pair(stride, "stride", 1)
        self.padding = _pair(padding, "padding", 0)
        self.indices = self._input_shape = None

    def forward(self, x) -> np.ndarray:
        x = check_images(x)
        out, self.indices = maxpool2d_forward(x, self.kernel_size, self.stride, self.padding)
        self._input_shape = x.shape
        return out

    __call__ = forward

    def backward(self, grad_out) -> np.ndarray:
        if self.indices is None:
            raise RuntimeError("call forward(x) before backward(grad_out)")
        return maxpool2d_backward(grad_out, self.indices, self._input_shape)


# ------------------------------------------------------------------ hand-made kernels

HANDMADE_KERNELS = {
    "vertical edges (Sobel x)": np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]),
    "horizontal edges (Sobel y)": np.array([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]),
    "outline (Laplacian)": np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]),
    "box blur 3×3": np.full((3, 3), 1.0 / 9.0),
    "Gaussian blur": np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]) / 16.0,
}


def handmade_conv() -> Conv2d:
    """A 1 → 5 channel convolution whose kernels are the hand-made ones above (padding 1, no bias)."""
    layer = Conv2d(1, len(HANDMADE_KERNELS), 3, padding=1, bias=False)
    layer.weight = np.stack(list(HANDMADE_KERNELS.values()))[:, None]
    return layer


def load_mnist_idx(
    data_dir=None, train: bool = False, standin: str = "fallback"
) -> tuple[np.ndarray, np.ndarray, str]:
    """MNIST images (N, 28, 28) uint8 and labels read straight from the IDX files, and the source.

    Real MNIST when it is on disk (stage 11 downloads it), otherwise the bundled-digits
    stand-in written in the same format (``standin`` as in ``journey.data.mnist_root``).
    """
    from journey.data import MNIST_FILES, mnist_raw_dir, mnist_root, read_idx

    root, source = mnist_root(data_dir, download=False, standin=standin)
    images_file, labels_file = MNIST_FILES[train]
    return (
        read_idx(mnist_raw_dir(root) / images_file),
        read_idx(mnist_raw_dir(root) / labels_file),
        source,
    )


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
    """The input digit, then one column per kernel: its feature map and the map after 2×2 max-pooling."""
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
    rng = np.random.default_rng(seed)
    records = []
    image, kernel = rng.standard_normal((9, 11)), rng.standard_normal((3, 4))
    records.append(
        parity.close(
            "single kernel: loops vs vectorised",
            correlate2d_loops(image, kernel),
            conv2d_forward(image[None, None], kernel[None, None])[0, 0],
            rtol=1e-12,
        )
    )
    x, w, b = (
        rng.standard_normal((2, 3, 9, 8)),
        rng.standard_normal((4, 3, 3, 2)),
        rng.standard_normal(4),
    )
    records.append(
        parity.close(
            "layer (stride 2, padding 1): loops vs vectorised",
            conv2d_loops(x, w, b, stride=2, padding=1),
            conv2d_forward(x, w, b, stride=2, padding=1),
            rtol=1e-12,
        )
    )
    weights = rng.standard_normal(conv2d_forward(x, w, b, 2, 1).shape)  # L = Σ weights · out
    grad_x, grad_w, grad_b = conv2d_backward(weights, x, w, stride=2, padding=1)

    def conv_loss():
        return float(np.sum(weights * conv2d_forward(x, w, b, 2, 1)))

    for name, param, analytic in (("x", x, grad_x), ("weight", w, grad_w), ("bias", b, grad_b)):
        numerical = numerical_gradient(conv_loss, param)
        records.append(
            parity.close(
                f"conv ∂L/∂{name}: analytic vs finite differences", analytic, numerical, rtol=1e-8
            )
        )
    pool_x = rng.standard_normal((2, 3, 7, 9))
    pooled, indices = maxpool2d_forward(pool_x, 3, stride=2, padding=1)
    pool_weights = rng.standard_normal(pooled.shape)

    def pool_loss():
        return float(np.sum(pool_weights * maxpool2d_forward(pool_x, 3, 2, 1)[0]))

    analytic = maxpool2d_backward(pool_weights, indices, pool_x.shape)
    records.append(
        parity.close(
            "max-pool ∂L/∂x: analytic vs finite differences",
            analytic,
            numerical_gradient(pool_loss, pool_x),
            rtol=1e-8,
        )
    )
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir", default=None, help="dataset folder (default: $DATA_DIR or data/)"
    )
    parser.add_argument("--index", type=int, default=0, help="which test digit to draw")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    failed = [r for r in self_checks(args.seed) if not r.passed]
    standin = "always" if journey.is_quick() else "fallback"
    image, label, source = load_digit(args.data_dir, args.index, standin)
    conv, pool = handmade_conv(), MaxPool2d(2)
    maps = conv(image[None, None])
    pooled = pool(maps)
    fig = feature_maps_figure(
        image,
        maps[0],
        pooled[0],
        list(HANDMADE_KERNELS),
        f"hand-made kernels on a '{label}' ({source})",
    )
    journey.save_figure(fig, STAGE, "handmade_feature_maps")
    print(
        f"feature maps {maps.shape} -> pooled {pooled.shape}; "
        f"{'all self-checks passed' if not failed else f'{len(failed)} self-check(s) FAILED'}"
    )
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

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

Input checks live in ``_conv2d_validation.py``; the digits, the hand-made kernels (edges,
blur), the figure and the self-checks in ``_conv2d_demo.py``. Run ``python conv2d_numpy.py``
to check the three versions against each other and the backward passes against finite
differences, and to draw the feature maps of the hand-made kernels on a digit.
"""

import argparse

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import journey
from journey.cli import MNIST_DATA, deep_learning_flags

STAGE = "10_cnn_basics"
validation = journey.load_stage("10", "from_scratch/_conv2d_validation.py")
demo = journey.load_stage("10", "from_scratch/_conv2d_demo.py")
check_images, output_size, pair = validation.check_images, validation.output_size, validation.pair
load_mnist_idx, load_digit = demo.load_mnist_idx, demo.load_digit  # as stage 11 reads them

# ----------------------------------------------------------------- one image, one kernel


def correlate2d_loops(image, kernel) -> np.ndarray:
    """Cross-correlate one 2-D image with one 2-D kernel ('valid': no padding), with plain loops.

    out[i, j] = Σ_a Σ_b kernel[a, b] · image[i + a, j + b]
    """
    image, kernel = np.asarray(image, dtype=np.float64), np.asarray(kernel, dtype=np.float64)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"image and kernel must be 2-D, got {image.shape} and {kernel.shape}")
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


# --------------------------------------------------------------- the layer, with loops


def pad_images(x: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """Zero-pad the two spatial axes of (N, C, H, W) by ``padding`` = (ph, pw) on each side."""
    ph, pw = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def conv2d_loops(x, weight, bias=None, stride=1, padding=0) -> np.ndarray:
    """The general convolution layer, looping over samples, output channels and positions.

    Each output value is one dot product between a kernel (C_in, kh, kw) and the window of
    the padded input under it: a direct transcription of the formula.
    """
    x, weight, bias, (sh, sw), padding, (out_h, out_w) = validation.check_conv_inputs(
        x, weight, bias, stride, padding
    )
    n_out, _, kh, kw = weight.shape
    xp = pad_images(x, padding)
    out = np.zeros((x.shape[0], n_out, out_h, out_w), dtype=np.result_type(x, weight))
    for n in range(x.shape[0]):
        for o in range(n_out):
            for i in range(out_h):
                for j in range(out_w):
                    window = xp[n, :, i * sh : i * sh + kh, j * sw : j * sw + kw]
                    out[n, o, i, j] = np.sum(window * weight[o])
    return out if bias is None else out + bias[:, None, None]


# ------------------------------------------------------------- the layer, vectorised


def im2col(xp: np.ndarray, kernel_size: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """Lay every kh × kw window of the padded input out as a column: (N, C·kh·kw, H_out·W_out).

    ``sliding_window_view`` returns a *view* of shape (N, C, H−kh+1, W−kw+1, kh, kw) (no copy);
    slicing it with the stride keeps the windows the layer visits; the reshape then copies
    them once into the column matrix. Row index of a column = c·kh·kw + a·kw + b, the same
    order as ``weight.reshape(C_out, -1)``.
    """
    (kh, kw), (sh, sw) = kernel_size, stride
    windows = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    n, c, out_h, out_w = windows.shape[:4]
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, out_h * out_w)


def col2im(cols: np.ndarray, padded_shape, kernel_size, stride, out_hw) -> np.ndarray:
    """The adjoint of ``im2col``: add each column back onto the window it was taken from.

    Windows overlap when the stride is smaller than the kernel, so one input pixel receives
    the sum of several contributions. One loop over the kh·kw kernel offsets (9 for 3×3),
    each step vectorised over samples, channels and output positions.
    """
    n, c = padded_shape[:2]
    (kh, kw), (sh, sw), (out_h, out_w) = kernel_size, stride, out_hw
    cols = cols.reshape(n, c, kh, kw, out_h, out_w)
    xp = np.zeros(padded_shape, dtype=cols.dtype)
    for a in range(kh):
        for b in range(kw):
            xp[:, :, a : a + sh * out_h : sh, b : b + sw * out_w : sw] += cols[:, :, a, b]
    return xp


def conv2d_forward(x, weight, bias=None, stride=1, padding=0) -> np.ndarray:
    """The convolution layer, vectorised: out = W · im2col(xpad) + b.

    x (N, C_in, H, W), weight (C_out, C_in, kh, kw), bias (C_out,) or None
    → out (N, C_out, H_out, W_out).
    """
    x, weight, bias, stride, padding, out_hw = validation.check_conv_inputs(
        x, weight, bias, stride, padding
    )
    # BEGIN SOLUTION 10.1
    # task: the layer as one matrix product: weights (C_out, C_in·kh·kw) times the im2col columns
    # hint: cols = im2col(pad_images(x, padding), (kh, kw), stride); W.reshape(C_out, -1) @ cols + b
    n_out = weight.shape[0]
    cols = im2col(pad_images(x, padding), weight.shape[2:], stride)
    out = weight.reshape(n_out, -1) @ cols  # (C_out, K) @ (N, K, P) -> (N, C_out, P)
    if bias is not None:
        out += bias[:, None]
    return out.reshape(x.shape[0], n_out, *out_hw)
    # END SOLUTION


def conv2d_backward(grad_out, x, weight, stride=1, padding=0):
    """Gradients of the loss w.r.t. the input, the weight and the bias of ``conv2d_forward``.

    grad_out = ∂L/∂out (N, C_out, H_out, W_out). Returns (∂L/∂x, ∂L/∂w, ∂L/∂b).
    """
    x, weight, _, stride, (ph, pw), out_hw = validation.check_conv_inputs(
        x, weight, None, stride, padding
    )
    n, n_out = x.shape[0], weight.shape[0]
    dtype = np.result_type(x, weight)
    grad_out = validation.check_grad_out(grad_out, (n, n_out, *out_hw), dtype)
    # BEGIN SOLUTION 10.2
    # task: ∂L/∂b, ∂L/∂w and ∂L/∂x from G = grad_out, with im2col and its adjoint col2im
    # hint: ∂b = Σ G; ∂W = G·colsᵀ summed over the batch; ∂cols = Wᵀ·G, col2im, cut the padding off
    xp = pad_images(x, (ph, pw))
    cols = im2col(xp, weight.shape[2:], stride)  # (N, K, P)
    g = grad_out.reshape(n, n_out, -1)  # (N, C_out, P)
    grad_bias = g.sum(axis=(0, 2))
    grad_weight = np.tensordot(g, cols, axes=([0, 2], [0, 2])).reshape(weight.shape)
    grad_cols = weight.reshape(n_out, -1).T @ g  # (K, C_out) @ (N, C_out, P) -> (N, K, P)
    grad_xp = col2im(grad_cols, xp.shape, weight.shape[2:], stride, out_hw)
    grad_x = grad_xp[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]
    return np.ascontiguousarray(grad_x), grad_weight, grad_bias
    # END SOLUTION


# ------------------------------------------------------------------------- max-pooling


def maxpool2d_forward(x, kernel_size, stride=None, padding=0) -> tuple[np.ndarray, np.ndarray]:
    """Max over each window; returns the pooled maps and the argmax indices (PyTorch's convention).

    The padding border is −∞, so it never wins. indices[n, c, i, j] = row · W + col of the
    winning input pixel in the unpadded plane.
    """
    x, (kh, kw), (sh, sw), (ph, pw), (out_h, out_w) = validation.check_pool_inputs(
        x, kernel_size, stride, padding
    )
    # BEGIN SOLUTION 10.3
    # task: the max of every window and the flat index row·W + col of its first maximum
    # hint: pad with −inf, sliding_window_view, np.argmax over kh·kw; divmod(winner, kw) → (a, b)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    windows = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    windows = windows.reshape(*windows.shape[:4], kh * kw)  # (N, C, H_out, W_out, kh·kw)
    winner = np.argmax(windows, axis=-1)  # first maximum wins a tie
    out = np.take_along_axis(windows, winner[..., None], axis=-1)[..., 0]
    a, b = np.divmod(winner, kw)
    rows = np.arange(out_h)[:, None] * sh + a - ph
    cols = np.arange(out_w)[None, :] * sw + b - pw
    return out, rows * x.shape[3] + cols
    # END SOLUTION


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
    # BEGIN SOLUTION 10.4
    # task: send each output gradient to the input pixel that won its window, adding repeats
    # hint: offset each (n, c) plane by its start, then np.bincount(flat index, weights=grad_out)
    n, c, height, width = input_shape
    plane = np.arange(n * c).reshape(n, c, 1, 1) * (height * width)
    flat = np.bincount(
        (plane + indices).ravel(), weights=grad_out.ravel(), minlength=n * c * height * width
    )
    return flat.reshape(input_shape).astype(grad_out.dtype, copy=False)
    # END SOLUTION


# ------------------------------------------------------------------------------ layers


class Conv2d:
    """A convolution layer with PyTorch's parameter names and shapes, so weights copy across.

    ``weight`` (C_out, C_in, kh, kw) and ``bias`` (C_out,) start as PyTorch's default:
    U(−1/√fan_in, 1/√fan_in) with fan_in = C_in·kh·kw, the number of inputs one output unit
    sees. ``backward`` fills ``grad_weight`` and ``grad_bias`` and returns ∂L/∂x.
    """

    def __init__(
        self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, seed=0
    ):
        validation.check_channels(in_channels, out_channels)
        kh, kw = pair(kernel_size, "kernel_size", 1)
        self.stride = pair(stride, "stride", 1)
        self.padding = pair(padding, "padding", 0)
        rng = np.random.default_rng(seed)
        # BEGIN SOLUTION 10.5
        # task: PyTorch's default start: weight and bias drawn from U(−1/√fan_in, 1/√fan_in)
        # hint: fan_in = C_in·kh·kw (the inputs one output unit sees); rng.uniform(−b, b, size)
        bound = 1.0 / np.sqrt(in_channels * kh * kw)
        self.weight = rng.uniform(-bound, bound, size=(out_channels, in_channels, kh, kw))
        self.bias = rng.uniform(-bound, bound, size=out_channels) if bias else None
        # END SOLUTION
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
        self.kernel_size = pair(kernel_size, "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else pair(stride, "stride", 1)
        self.padding = pair(padding, "padding", 0)
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


# ------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        parents=[deep_learning_flags(device=False, data=MNIST_DATA)],
    )
    parser.add_argument("--index", type=int, default=0, help="which test digit to draw")
    args = parser.parse_args()

    failed = [r for r in demo.self_checks(args.seed) if not r.passed]
    standin = "always" if journey.is_quick() else MNIST_DATA[args.data]
    image, label, source = load_digit(args.data_dir, args.index, standin)
    maps = demo.handmade_conv()(image[None, None])
    pooled = MaxPool2d(2)(maps)
    title = f"hand-made kernels on a '{label}' ({source})"
    fig = demo.feature_maps_figure(image, maps[0], pooled[0], list(demo.HANDMADE_KERNELS), title)
    journey.save_figure(fig, STAGE, "handmade_feature_maps")
    verdict = "all self-checks passed" if not failed else f"{len(failed)} self-check(s) FAILED"
    print(f"feature maps {maps.shape} -> pooled {pooled.shape}; {verdict}")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

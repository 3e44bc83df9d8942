"""Input checks for the from-scratch convolution and pooling layers (NumPy only).

PyTorch accepts ``3`` or ``(3, 3)`` for sizes, expects images as (N, C, H, W) and a weight
as (C_out, C_in, kh, kw); these checks turn anything else into an error that says what to
change, before a shape mismatch travels silently into the maths.
"""

import numpy as np


def pair(value, name: str, minimum: int) -> tuple[int, int]:
    """Turn ``3`` or ``(3, 3)`` into a pair of ints ≥ ``minimum``, as PyTorch accepts both."""
    values = (value, value) if np.isscalar(value) else tuple(value)
    if len(values) != 2 or not all(isinstance(v, (int, np.integer)) for v in values):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(values) < minimum:
        raise ValueError(f"{name} must be ≥ {minimum}, got {value!r}")
    return int(values[0]), int(values[1])


def check_channels(in_channels, out_channels) -> None:
    """Channel counts are whole numbers ≥ 1, as ``nn.Conv2d`` requires."""
    if not all(isinstance(n, (int, np.integer)) and n >= 1 for n in (in_channels, out_channels)):
        raise ValueError(
            "in_channels and out_channels must be integers ≥ 1, "
            f"got {in_channels!r} and {out_channels!r}"
        )


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
    """The weight must be (C_out, C_in, kh, kw) with C_in matching the input; the bias (C_out,)."""
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
    """⌊(size + 2·padding − kernel) / stride⌋ + 1; a clear error when the kernel does not fit."""
    if kernel > size + 2 * padding:
        raise ValueError(
            f"kernel size {kernel} is larger than the padded input ({size} + 2·{padding}); "
            "use a smaller kernel, more padding or a larger image"
        )
    return (size + 2 * padding - kernel) // stride + 1


def check_conv_inputs(x, weight, bias, stride, padding):
    """Everything a convolution needs, checked: ``(x, weight, bias, stride, padding, out_hw)``.

    ``stride`` and ``padding`` come back as pairs, ``out_hw`` = (H_out, W_out).
    """
    x = check_images(x)
    weight, bias = check_conv_weight(weight, bias, x.shape[1])
    stride, padding = pair(stride, "stride", 1), pair(padding, "padding", 0)
    kh, kw = weight.shape[2:]
    out_hw = (
        output_size(x.shape[2], kh, stride[0], padding[0]),
        output_size(x.shape[3], kw, stride[1], padding[1]),
    )
    return x, weight, bias, stride, padding, out_hw


def check_pool_inputs(x, kernel_size, stride, padding):
    """``(x, kernel, stride, padding, out_hw)`` for max-pooling; stride defaults to the kernel.

    PyTorch allows a padding of at most half the kernel, so a window is never all padding.
    """
    x = check_images(x)
    kernel = pair(kernel_size, "kernel_size", 1)
    stride = kernel if stride is None else pair(stride, "stride", 1)
    pad = pair(padding, "padding", 0)
    if pad[0] > kernel[0] // 2 or pad[1] > kernel[1] // 2:
        raise ValueError(
            f"padding {padding!r} must be at most half the kernel size {kernel_size!r}"
        )
    out_hw = (
        output_size(x.shape[2], kernel[0], stride[0], pad[0]),
        output_size(x.shape[3], kernel[1], stride[1], pad[1]),
    )
    return x, kernel, stride, pad, out_hw


def check_grad_out(grad_out, expected_shape: tuple, dtype) -> np.ndarray:
    """The upstream gradient must have the forward output's shape."""
    grad_out = np.asarray(grad_out, dtype=dtype)
    if grad_out.shape != tuple(expected_shape):
        raise ValueError(
            f"grad_out must have the forward output's shape {tuple(expected_shape)}, "
            f"got {grad_out.shape}"
        )
    return grad_out

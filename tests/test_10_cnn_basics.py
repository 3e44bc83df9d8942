"""Stage 10: convolution and max-pooling from scratch vs PyTorch (float64), and their gradients."""

import warnings

import numpy as np
import pytest
import torch
from torch.nn import functional as F

import journey
from journey.data import StandInWarning
from journey.gradcheck import numerical_gradient, relative_error

conv = journey.load_stage("10", "from_scratch/conv2d_numpy.py")
demo = journey.load_stage("10", "from_scratch/_conv2d_demo.py")
lib = journey.load_stage("10", "library_impl/conv2d_pytorch.py")

# (batch, C_in, H, W, C_out, kernel, stride, padding): odd sizes, rectangular kernels, odd strides
CONV_CASES = [
    (2, 1, 8, 8, 3, 3, 1, 0),
    (3, 3, 11, 9, 4, 3, 2, 1),
    (2, 2, 13, 13, 5, 5, 3, 2),
    (1, 4, 7, 10, 2, (2, 3), (2, 1), (0, 1)),
    (2, 3, 6, 5, 2, (1, 1), 1, 0),
    (1, 2, 9, 9, 3, (4, 2), (3, 2), (2, 1)),
]
POOL_CASES = [
    (2, 3, 8, 8, 2, None, 0),
    (2, 2, 9, 11, 3, 2, 1),
    (1, 4, 7, 7, (2, 3), (1, 2), 0),
    (3, 1, 5, 6, 2, 1, 1),
]


def assert_close(ours, reference, bar, what):
    """``relative_error(ours, reference) <= bar``, failing with one line a learner can read."""
    error = relative_error(ours, reference)
    worst = np.max(np.abs(np.asarray(ours) - np.asarray(reference)))
    assert error <= bar, f"{what}: relative error {error:.3g} > {bar:g} (max abs error {worst:.3g})"


def _random_case(case, seed=0):
    n, c_in, h, w, c_out, kernel, _, _ = case
    kh, kw = conv.pair(kernel, "kernel", 1)
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((n, c_in, h, w)), rng.standard_normal((c_out, c_in, kh, kw))
    return x, w, rng.standard_normal(c_out)


@pytest.mark.exercise("10.1")
def test_single_kernel_loops_match_vectorised_on_odd_sizes():
    rng = np.random.default_rng(1)
    image, kernel = rng.standard_normal((9, 13)), rng.standard_normal((3, 4))
    loops = conv.correlate2d_loops(image, kernel)
    vectorised = conv.conv2d_forward(image[None, None], kernel[None, None])[0, 0]
    assert vectorised.shape == (7, 10)
    assert_close(vectorised, loops, 1e-12, "conv2d_forward vs correlate2d_loops")


def test_true_convolution_flips_the_kernel():
    from scipy.signal import convolve2d, correlate2d

    rng = np.random.default_rng(2)
    image, kernel = rng.standard_normal((8, 7)), rng.standard_normal((3, 2))
    convolved, correlated = (
        conv.convolve2d_loops(image, kernel),
        conv.correlate2d_loops(image, kernel),
    )
    assert relative_error(convolved, convolve2d(image, kernel, mode="valid")) <= 1e-12
    assert relative_error(correlated, correlate2d(image, kernel, mode="valid")) <= 1e-12
    assert relative_error(convolved, correlated) > 1e-3


@pytest.mark.exercise("10.1")
@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv_loops_vectorised_and_torch_agree(case):
    x, w, b = _random_case(case)
    stride, padding = case[6], case[7]
    vectorised = conv.conv2d_forward(x, w, b, stride, padding)
    loops = conv.conv2d_loops(x, w, b, stride, padding)
    x_t, w_t, b_t = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
    torch_out = F.conv2d(x_t, w_t, b_t, stride, padding).numpy()
    assert vectorised.shape == torch_out.shape
    assert_close(vectorised, torch_out, 1e-10, "conv2d_forward vs F.conv2d")
    assert_close(vectorised, loops, 1e-12, "conv2d_forward vs conv2d_loops")


@pytest.mark.exercise("10.2")
@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv_backward_matches_autograd(case):
    x, w, b = _random_case(case, seed=3)
    stride, padding = case[6], case[7]
    x_t, w_t, b_t = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out_t = F.conv2d(x_t, w_t, b_t, stride, padding)
    grad_out = np.random.default_rng(4).standard_normal(tuple(out_t.shape))
    out_t.backward(torch.from_numpy(grad_out))
    grad_x, grad_w, grad_b = conv.conv2d_backward(grad_out, x, w, stride, padding)
    assert_close(grad_b, b_t.grad.numpy(), 1e-8, "∂L/∂b vs autograd")
    assert_close(grad_w, w_t.grad.numpy(), 1e-8, "∂L/∂w vs autograd")
    assert_close(grad_x, x_t.grad.numpy(), 1e-8, "∂L/∂x vs autograd")


@pytest.mark.exercise("10.2")
def test_conv_backward_matches_finite_differences():
    """L = Σ weights · out, differentiated numerically through the loop version of the layer."""
    x, w, b = _random_case((2, 2, 6, 7, 3, 3, 2, 1), seed=5)
    weights = np.random.default_rng(6).standard_normal(conv.conv2d_loops(x, w, b, 2, 1).shape)
    grad_x, grad_w, grad_b = conv.conv2d_backward(weights, x, w, 2, 1)

    def loss():
        return float(np.sum(weights * conv.conv2d_loops(x, w, b, 2, 1)))

    for name, param, analytic in (("x", x, grad_x), ("w", w, grad_w), ("b", b, grad_b)):
        numerical = numerical_gradient(loss, param)
        assert_close(analytic, numerical, 1e-8, f"∂L/∂{name} vs finite differences")


def _torch_pool(x, kernel, stride, padding, grad_out=None):
    """PyTorch's pooled maps, argmax indices and (given ∂L/∂out) ∂L/∂x."""
    x_t = torch.tensor(x, requires_grad=True)
    out_t, indices_t = F.max_pool2d(x_t, kernel, stride, padding, return_indices=True)
    grad_out = np.ones(tuple(out_t.shape)) if grad_out is None else grad_out
    out_t.backward(torch.from_numpy(grad_out))
    return out_t.detach().numpy(), indices_t.numpy(), x_t.grad.numpy()


@pytest.mark.exercise("10.3")
@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_maxpool_forward_and_indices_match_torch(case):
    n, c, h, w, kernel, stride, padding = case
    x = np.random.default_rng(7).standard_normal((n, c, h, w))
    out, indices = conv.maxpool2d_forward(x, kernel, stride, padding)
    out_t, indices_t, _ = _torch_pool(x, kernel, stride, padding)
    assert_close(out, out_t, 1e-10, "pooled maps vs F.max_pool2d")
    np.testing.assert_array_equal(indices, indices_t, err_msg="argmax indices vs PyTorch's")


@pytest.mark.exercise("10.4")
@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_maxpool_backward_matches_autograd_from_torchs_indices(case):
    n, c, h, w, kernel, stride, padding = case
    rng = np.random.default_rng(7)
    x = rng.standard_normal((n, c, h, w))
    out_shape = tuple(F.max_pool2d(torch.from_numpy(x), kernel, stride, padding).shape)
    grad_out = rng.standard_normal(out_shape)
    _, indices_t, grad_x_t = _torch_pool(x, kernel, stride, padding, grad_out)
    grad_x = conv.maxpool2d_backward(grad_out, indices_t, x.shape)
    assert_close(grad_x, grad_x_t, 1e-8, "max-pool ∂L/∂x vs autograd")


def _relu_with_ties():
    """ReLU outputs are full of zero ties; one plane is all zeros."""
    x = np.maximum(np.random.default_rng(8).standard_normal((2, 2, 7, 7)), 0.0)
    x[0, 0] = 0.0
    return x


@pytest.mark.exercise("10.3")
def test_maxpool_ties_go_to_the_first_maximum_like_torch():
    x = _relu_with_ties()
    _, indices = conv.maxpool2d_forward(x, 3, stride=1)
    np.testing.assert_array_equal(indices, _torch_pool(x, 3, 1, 0)[1], err_msg="tied windows")


@pytest.mark.exercise("10.4")
def test_maxpool_overlapping_windows_add_up_their_gradients_like_torch():
    """With stride 1 < kernel 3 one pixel can win several windows: its gradients add up."""
    x = _relu_with_ties()
    _, indices_t, grad_x_t = _torch_pool(x, 3, 1, 0)
    grad_x = conv.maxpool2d_backward(np.ones(indices_t.shape), indices_t, x.shape)
    assert grad_x_t.max() > 1.0  # some pixel did win more than one window
    assert_close(grad_x, grad_x_t, 1e-12, "max-pool ∂L/∂x with overlapping windows vs autograd")


def test_layers_copy_weights_to_torch_modules():
    records = lib.compare_conv((2, 3, 10, 9, 4, (3, 3), 2, 1), seed=9)
    records += lib.compare_pool((2, 3, 9, 9, 3, 2, 1))
    assert all(r.passed for r in records), [r.line() for r in records if not r.passed]


@pytest.mark.exercise("10.5")
@pytest.mark.parametrize("c_in, c_out, kernel", [(1, 32, 3), (3, 64, (5, 3)), (16, 8, (2, 4))])
def test_conv2d_starts_like_nn_conv2d_with_fan_in_c_in_kh_kw(c_in, c_out, kernel):
    """Both draw U(−b, b) with b = 1/√(C_in·kh·kw): same bound, same spread (std = b/√3)."""
    kh, kw = conv.pair(kernel, "kernel_size", 1)
    bound = 1.0 / np.sqrt(c_in * kh * kw)
    ours = conv.Conv2d(c_in, c_out, kernel, seed=0)
    torch.manual_seed(0)
    theirs = torch.nn.Conv2d(c_in, c_out, kernel)
    for mine, reference in ((ours.weight, theirs.weight), (ours.bias, theirs.bias)):
        reference = reference.detach().numpy()
        assert mine.shape == reference.shape
        assert np.abs(mine).max() <= bound and np.abs(reference).max() <= bound
    weight, reference = ours.weight, theirs.weight.detach().numpy()
    assert np.abs(weight).max() > 0.9 * bound  # not a smaller bound (fan-in counted too large)
    assert np.std(weight) == pytest.approx(np.std(reference), rel=0.15)
    assert np.std(weight) == pytest.approx(bound / np.sqrt(3), rel=0.15)


@pytest.mark.exercise("10.1")
def test_float32_stays_float32_for_trained_networks():
    x, w, b = (a.astype(np.float32) for a in _random_case((2, 3, 9, 9, 4, 3, 1, 1)))
    out = conv.conv2d_forward(x, w, b, 1, 1)
    assert out.dtype == np.float32
    reference = F.conv2d(
        torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), 1, 1
    ).numpy()
    assert np.max(np.abs(out - reference)) <= 1e-5


def test_learned_feature_maps_are_the_same_in_both(data_dir):
    model, accuracy, source = lib.train_tiny_cnn(
        data_dir, epochs=1, standin="always", device="cpu", max_samples=640
    )
    assert source == "digits-standin"
    assert accuracy > 0.3  # ten classes: a broken training loop stays near 0.1
    image, _, _ = conv.load_digit(data_dir, 0, "always")
    weight, bias = (
        model.conv.weight.detach().double().numpy(),
        model.conv.bias.detach().double().numpy(),
    )
    with torch.no_grad():
        reference = model.conv.double()(torch.from_numpy(image[None, None])).numpy()
    maps = conv.conv2d_forward(image[None, None], weight, bias, padding=2)
    assert relative_error(maps, reference) <= 1e-10


def test_tiny_cnn_trains_the_model_it_is_given(data_dir):
    journey.seed_everything(0)
    tiny = lib.TinyCNN()
    initial = tiny.conv.weight.detach().clone()
    model, _, _ = lib.train_tiny_cnn(
        data_dir, epochs=1, standin="always", device="cpu", max_samples=320, model=tiny
    )
    assert model is tiny
    change = torch.linalg.norm(model.conv.weight.detach() - initial) / torch.linalg.norm(initial)
    assert 0.0 < change < 5.0
    fig = lib.learned_kernels_figure(model.conv.weight.detach().numpy(), initial.numpy())
    assert len(fig.axes) == 2 * len(initial)


def test_offline_standin_warning_is_shown_once_per_process(tmp_path):
    """Three reads of the digits (one image, the training set, the test set): one warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        conv.load_digit(tmp_path, 0, "fallback")
        lib.digit_tensors(tmp_path, True, "fallback")
        lib.digit_tensors(tmp_path, False, "fallback")
    shown = [w for w in caught if issubclass(w.category, StandInWarning)]
    assert len(shown) == 1
    # the stage asks for a download (refused only because the tests run offline), so the
    # advice to run again online is true of it
    assert "offline mode" in str(shown[0].message)


def test_handmade_kernels_find_edges_and_blur():
    image = np.zeros((1, 1, 8, 8))
    image[..., :, 4:] = 1.0  # a vertical edge between columns 3 and 4
    maps = demo.handmade_conv()(image)[0]
    sobel_x, sobel_y, blur = maps[0], maps[1], maps[3]
    assert np.all(sobel_x[1:-1, 3:5] > 0) and np.allclose(sobel_x[1:-1, :2], 0)
    assert np.allclose(sobel_y[1:-1], 0)
    assert np.allclose(blur[2:-2, 6:-1], 1.0) and np.allclose(blur[2:-2, 1:2], 0.0)


# ------------------------------------------------------------------------------ bad input


def test_wrong_channel_count_is_a_clear_error():
    x, w, b = _random_case((1, 3, 8, 8, 2, 3, 1, 0))
    with pytest.raises(ValueError, match="3 channel.*expects 2"):
        conv.conv2d_forward(x, w[:, :2], b)


@pytest.mark.parametrize(
    "weight_shape, match",
    [((2, 3, 3), "weight must be 4-D"), ((2, 1, 9, 3), "larger than the padded input")],
)
def test_wrong_kernel_shape_is_a_clear_error(weight_shape, match):
    with pytest.raises(ValueError, match=match):
        conv.conv2d_forward(np.zeros((1, 1, 5, 5)), np.ones(weight_shape))


def test_nan_and_shape_errors():
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 2, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        conv.conv2d_forward(x, np.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="NaN"):
        conv.maxpool2d_forward(x, 2)
    with pytest.raises(ValueError, match=r"add the batch axis"):
        conv.conv2d_forward(np.zeros((1, 5, 5)), np.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="bias must have shape"):
        conv.conv2d_forward(np.zeros((1, 1, 5, 5)), np.ones((2, 1, 3, 3)), np.ones(3))
    with pytest.raises(ValueError, match="stride must be ≥ 1"):
        conv.conv2d_forward(np.zeros((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), stride=0)
    with pytest.raises(ValueError, match="padding .* at most half"):
        conv.maxpool2d_forward(np.zeros((1, 1, 5, 5)), 2, padding=2)
    with pytest.raises(ValueError, match="grad_out must have"):
        conv.conv2d_backward(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 5, 5)), np.ones((1, 1, 3, 3)))
    with pytest.raises(RuntimeError, match="forward"):
        conv.Conv2d(1, 1, 3).backward(np.zeros((1, 1, 3, 3)))
    with pytest.raises(RuntimeError, match="forward"):
        conv.MaxPool2d(2).backward(np.zeros((1, 1, 2, 2)))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: conv.Conv2d(0, 4, 3), "in_channels and out_channels must be integers ≥ 1"),
        (lambda: conv.Conv2d(1, 2.5, 3), "in_channels and out_channels must be integers ≥ 1"),
        (lambda: conv.Conv2d(1, 4, 0), "kernel_size must be ≥ 1"),
        (lambda: conv.Conv2d(1, 4, (3, 3, 3)), "kernel_size must be an int or a pair"),
        (lambda: conv.Conv2d(1, 4, 3, padding=-1), "padding must be ≥ 0"),
        (lambda: conv.MaxPool2d(2, stride=0), "stride must be ≥ 1"),
    ],
)
def test_bad_layer_hyper_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()

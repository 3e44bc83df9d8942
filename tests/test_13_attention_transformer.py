"""Stage 13: NumPy attention vs F.scaled_dot_product_attention / nn.MultiheadAttention (float64),
the NumPy Transformer block vs PyTorch's, the attention backward pass, and two learners that must
reverse digits."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import journey
from journey.gradcheck import check_gradient, relative_error

scratch = journey.load_stage("13", "from_scratch/attention_numpy.py")
reversal = journey.load_stage("13", "from_scratch/reversal_attention_numpy.py")
sequences = journey.load_stage("13", "from_scratch/_sequences.py")
library = journey.load_stage("13", "library_impl/transformer_torch.py")

B, HEADS, L, S, D = 2, 3, 5, 6, 4
E = 8  # embed_dim of the multi-head tests (2 heads of 4)


def _randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _numpy(kwargs):
    return {k: (v.numpy() if torch.is_tensor(v) else v) for k, v in kwargs.items()}


def _torch_weights(q, k, **kwargs):
    """F.scaled_dot_product_attention returns no weights; with V = I the output IS the weights."""
    eye = torch.eye(k.shape[-2], dtype=torch.float64).expand(*k.shape[:-1], k.shape[-2])
    return F.scaled_dot_product_attention(q, k, eye, **kwargs)


def _partly_blocked():
    allowed = torch.rand(L, S, generator=torch.Generator().manual_seed(7)) > 0.4
    allowed[:, 0] = True
    return allowed


def _one_row_fully_blocked():
    allowed = torch.ones(L, S, dtype=torch.bool)
    allowed[2] = False
    return allowed


SDPA_CASES = {
    "no mask": {},
    "causal": {"is_causal": True},
    "boolean mask": {"attn_mask": _partly_blocked()},
    "float mask per batch": {"attn_mask": _randn(B, 1, L, S, seed=3)},
    "fully masked row": {"attn_mask": _one_row_fully_blocked()},
    "custom scale": {"scale": 0.3},
}


@pytest.mark.exercise("13.1")
@pytest.mark.parametrize("case", SDPA_CASES, ids=list(SDPA_CASES))
def test_sdpa_matches_torch(case):
    kwargs = SDPA_CASES[case]
    q, k, v = (
        _randn(B, HEADS, L, D, seed=1),
        _randn(B, HEADS, S, D, seed=2),
        _randn(B, HEADS, S, 7, seed=4),
    )
    out, weights = scratch.scaled_dot_product_attention(
        q.numpy(), k.numpy(), v.numpy(), **_numpy(kwargs)
    )
    assert relative_error(out, F.scaled_dot_product_attention(q, k, v, **kwargs)) <= 1e-10
    assert relative_error(weights, _torch_weights(q, k, **kwargs)) <= 1e-10


@pytest.mark.exercise("13.1")
def test_fully_masked_rows_get_zero_weights_and_zero_output():
    q, k, v = (
        x.numpy()
        for x in (_randn(1, L, D, seed=1), _randn(1, S, D, seed=2), _randn(1, S, D, seed=4))
    )
    out, weights = scratch.scaled_dot_product_attention(
        q, k, v, attn_mask=_one_row_fully_blocked().numpy()
    )
    assert np.all(weights[:, 2] == 0) and np.all(out[:, 2] == 0)
    assert np.allclose(np.delete(weights, 2, axis=1).sum(axis=-1), 1.0)
    float_mask = np.where(_one_row_fully_blocked().numpy(), 0.0, -np.inf)
    out_float, _ = scratch.scaled_dot_product_attention(q, k, v, attn_mask=float_mask)
    assert np.all(np.isfinite(out_float)) and relative_error(out_float, out) <= 1e-12


def test_softmax_is_stable_for_huge_scores():
    scores = np.array([[1000.0, 1001.0, -1000.0], [5.0, 5.0, 5.0]])
    weights = scratch.masked_softmax(scores)
    assert np.all(np.isfinite(weights))
    assert relative_error(weights, torch.softmax(torch.tensor(scores), dim=-1)) <= 1e-12


@pytest.mark.exercise("13.3")
def test_split_heads_gives_each_head_its_own_slice_of_features():
    mha = scratch.MultiheadAttention(12, 3)
    x = np.arange(2 * 5 * 12, dtype=np.float64).reshape(2, 5, 12)
    heads = mha.split_heads(x)
    assert heads.shape == (2, 3, 5, 4)
    for j in range(3):
        np.testing.assert_array_equal(heads[:, j], x[..., 4 * j : 4 * (j + 1)])


@pytest.mark.exercise("13.4")
def test_merge_heads_puts_the_heads_side_by_side():
    mha = scratch.MultiheadAttention(12, 3)
    heads = np.arange(2 * 3 * 5 * 4, dtype=np.float64).reshape(2, 3, 5, 4)
    merged = mha.merge_heads(heads)
    assert merged.shape == (2, 5, 12)
    for j in range(3):
        np.testing.assert_array_equal(merged[..., 4 * j : 4 * (j + 1)], heads[:, j])


def _mha(seed=0, num_heads=2):
    torch.manual_seed(seed)
    ref = torch.nn.MultiheadAttention(E, num_heads, batch_first=True, dtype=torch.float64)
    with torch.no_grad():  # PyTorch starts the biases at 0; random ones test the bias paths too
        ref.in_proj_bias.copy_(_randn(3 * E, seed=seed + 10))
        ref.out_proj.bias.copy_(_randn(E, seed=seed + 11))
    return ref, scratch.MultiheadAttention(E, num_heads, seed=99).load_state_dict(ref.state_dict())


def _padding():
    pad = torch.zeros(B, S, dtype=torch.bool)
    pad[1, 4:] = True
    return pad


MHA_CASES = {
    "plain": {},
    "key padding": {"key_padding_mask": _padding()},
    "boolean causal-style mask": {"attn_mask": torch.triu(torch.ones(L, S, dtype=torch.bool), 1)},
    "masks combined, per-head weights": {
        "attn_mask": torch.triu(torch.ones(L, S, dtype=torch.bool), 1),
        "key_padding_mask": _padding(),
        "average_attn_weights": False,
    },
    "float per-head mask": {"attn_mask": _randn(B * 2, L, S, seed=5)},
    "float key padding": {"key_padding_mask": torch.where(_padding(), -torch.inf, 0.0).double()},
}


@pytest.mark.exercise("13.1", "13.3", "13.4")
@pytest.mark.parametrize("case", MHA_CASES, ids=list(MHA_CASES))
def test_multihead_attention_matches_torch(case):
    kwargs = MHA_CASES[case]
    ref, mine = _mha()
    x, memory = _randn(B, L, E, seed=1), _randn(B, S, E, seed=2)
    with torch.no_grad():
        out, weights = ref(x, memory, memory, **kwargs)
    my_out, my_weights = mine(x.numpy(), memory.numpy(), memory.numpy(), **_numpy(kwargs))
    assert my_weights.shape == tuple(weights.shape)
    assert relative_error(my_out, out) <= 1e-10
    assert relative_error(my_weights, weights) <= 1e-10


@pytest.mark.exercise("13.1", "13.3", "13.4")
def test_causal_self_attention_with_pytorchs_float_mask():
    ref, mine = _mha(seed=1)
    x = _randn(B, L, E, seed=6)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
    with torch.no_grad():
        out, _ = ref(x, x, x, attn_mask=mask, need_weights=False)
    my_out, my_weights = mine(
        x.numpy(), x.numpy(), x.numpy(), attn_mask=mask.numpy(), need_weights=False
    )
    assert my_weights is None
    assert relative_error(my_out, out) <= 1e-10


def test_fully_padded_sequence_gives_the_output_bias_not_nan():
    """PyTorch's MHA returns NaN here; our rule gives zero weights, so the output is the bias."""
    _, mine = _mha()
    pad = np.zeros((B, S), dtype=bool)
    pad[0] = True
    x = _randn(B, L, E, seed=1).numpy()
    out, weights = mine(
        x, x[:, :1].repeat(S, axis=1), x[:, :1].repeat(S, axis=1), key_padding_mask=pad
    )
    assert np.all(weights[0] == 0)
    assert np.allclose(out[0], mine.state_dict()["out_proj.bias"])
    assert np.all(np.isfinite(out))


def test_parameter_layout_is_pytorchs_and_copies_both_ways():
    ref = torch.nn.MultiheadAttention(E, 2, batch_first=True, dtype=torch.float64)
    mine = scratch.MultiheadAttention(E, 2, seed=5)
    assert {k: v.shape for k, v in mine.state_dict().items()} == {
        k: tuple(v.shape) for k, v in ref.state_dict().items()
    }
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in mine.state_dict().items()})
    x = _randn(B, L, E, seed=8)
    with torch.no_grad():
        out, _ = ref(x, x, x)
    assert relative_error(mine(x.numpy(), x.numpy(), x.numpy())[0], out) <= 1e-10


@pytest.mark.exercise("13.3", "13.4")
@pytest.mark.parametrize("masks", ["none", "causal", "padding"])
def test_transformer_block_matches_torch_block_and_encoder_layer(masks):
    torch.manual_seed(3)
    ref = library.TransformerBlock(E, 2, 16).double()
    with torch.no_grad():
        # move LayerNorm's 1s and 0s and the zero biases off their defaults
        for p in ref.parameters():
            p.add_(0.1 * _randn(*p.shape, seed=p.numel()))
    mine = scratch.TransformerBlock(E, 2, 16).load_state_dict(ref.state_dict())
    encoder_layer = torch.nn.TransformerEncoderLayer(
        E, 2, 16, dropout=0.0, batch_first=True, norm_first=True, dtype=torch.float64
    ).eval()
    encoder_layer.load_state_dict(ref.state_dict())
    x = _randn(B, L, E, seed=9)
    pad = torch.zeros(B, L, dtype=torch.bool)
    pad[1, 3:] = True
    attn_mask = torch.triu(torch.ones(L, L, dtype=torch.bool), 1) if masks == "causal" else None
    key_padding_mask = pad if masks == "padding" else None
    with torch.no_grad():
        out, weights = ref(
            x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=True
        )
        out_layer = encoder_layer(x, src_mask=attn_mask, src_key_padding_mask=key_padding_mask)
    my_out, my_weights = mine(
        x.numpy(),
        **_numpy({"attn_mask": attn_mask, "key_padding_mask": key_padding_mask}),
        need_weights=True,
    )
    assert relative_error(my_out, out) <= 1e-10
    assert relative_error(my_weights, weights) <= 1e-10
    assert relative_error(my_out, out_layer) <= 1e-10


@pytest.mark.exercise("13.2")
@pytest.mark.parametrize("mask", ["causal", "boolean mask"])
def test_attention_backward_matches_autograd(mask):
    kwargs = SDPA_CASES[mask]
    q, k, v = (
        t.requires_grad_()
        for t in (
            _randn(B, HEADS, L, D, seed=1),
            _randn(B, HEADS, S, D, seed=2),
            _randn(B, HEADS, S, 3, seed=4),
        )
    )
    out = F.scaled_dot_product_attention(q, k, v, **kwargs)
    d_out = _randn(*out.shape, seed=12)
    (out * d_out).sum().backward()
    qn, kn, vn = (t.detach().numpy() for t in (q, k, v))
    _, weights = scratch.scaled_dot_product_attention(qn, kn, vn, **_numpy(kwargs))
    grads = scratch.scaled_dot_product_attention_backward(d_out.numpy(), qn, kn, vn, weights)
    for mine, ref in zip(grads, (q.grad, k.grad, v.grad), strict=True):
        assert relative_error(mine, ref) <= 1e-8


@pytest.mark.exercise("13.2")
def test_attention_backward_matches_finite_differences():
    rng = np.random.default_rng(0)
    q, k, v, d_out = (
        rng.standard_normal((2, 4, 3)),
        rng.standard_normal((2, 5, 3)),
        rng.standard_normal((2, 5, 2)),
        rng.standard_normal((2, 4, 2)),
    )
    mask = rng.random((4, 5)) > 0.3
    mask[:, 0] = True

    def loss():
        return float(
            np.sum(scratch.scaled_dot_product_attention(q, k, v, attn_mask=mask)[0] * d_out)
        )

    _, weights = scratch.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    grads = scratch.scaled_dot_product_attention_backward(d_out, q, k, v, weights)
    for array, grad in zip((q, k, v), grads, strict=True):
        assert check_gradient(loss, array, grad) <= 1e-8


@pytest.mark.exercise("13.5")
def test_reversal_gradients_match_finite_differences():
    X, y = sequences.reversal_task(16, 4, seed=2)
    model = reversal.ReversalAttention(4, sequences.VOCAB, d_k=3, seed=1)
    _, d_w_q, d_w_k = model.loss_and_gradients(X, y)
    for weights, grad in ((model.w_q, d_w_q), (model.w_k, d_w_k)):
        assert check_gradient(lambda: model.loss_and_gradients(X, y)[0], weights, grad) <= 1e-8


@pytest.mark.exercise("13.5")
def test_numpy_attention_learns_to_reverse():
    X, y = sequences.reversal_task(256, 6, seed=0)
    X_test, y_test = sequences.reversal_task(200, 6, seed=1)
    model = reversal.ReversalAttention(6, sequences.VOCAB, seed=0).fit(X, y, steps=100)
    assert model.loss_curve_[-1] < 0.5 * model.loss_curve_[0]
    assert sequences.token_accuracy(model.predict(X_test), y_test) >= 0.95
    assert np.all(model.attention().argmax(axis=1) == np.arange(6)[::-1])  # the anti-diagonal


def test_torch_transformer_learns_to_reverse_short_sequences():
    X, y = sequences.reversal_task(2000, 6, seed=0)
    X_test, y_test = sequences.reversal_task(500, 6, seed=1)
    torch.manual_seed(0)
    model = library.ReversalTransformer(6, d_model=32, num_heads=2, dim_feedforward=64)
    history = library.train_reversal(
        model, X, y, X_test, y_test, epochs=4, device="cpu", log=lambda _: None
    )
    assert history["loss"][-1] < 0.2 * history["loss"][0]
    assert sequences.token_accuracy(library.predict(model, X_test), y_test) >= 0.95


@pytest.mark.slow
def test_torch_transformer_learns_full_size_task():
    X, y = sequences.reversal_task(5000, 12, seed=0)
    X_test, y_test = sequences.reversal_task(1000, 12, seed=1)
    torch.manual_seed(0)
    model = library.ReversalTransformer(12)
    library.train_reversal(model, X, y, X_test, y_test, epochs=6, device="cpu", log=lambda _: None)
    assert sequences.token_accuracy(library.predict(model, X_test), y_test) >= 0.95


def test_reversal_task_is_seeded_and_reversed():
    X, y = sequences.reversal_task(5, 4, seed=3)
    assert np.array_equal(X, sequences.reversal_task(5, 4, seed=3)[0])
    assert np.array_equal(y[:, 0], X[:, -1]) and np.array_equal(y[:, -1], X[:, 0])


# ---- bad input -------------------------------------------------------------------------------


def test_sdpa_bad_input_raises_clear_errors():
    q, k, v = np.zeros((2, L, D)), np.zeros((2, S, D)), np.zeros((2, S, D))
    with pytest.raises(ValueError, match="sequence length 0"):
        scratch.scaled_dot_product_attention(np.zeros((2, 0, D)), k, v)
    with pytest.raises(ValueError, match="same feature size"):
        scratch.scaled_dot_product_attention(q, np.zeros((2, S, D + 1)), v)
    with pytest.raises(ValueError, match="same sequence length"):
        scratch.scaled_dot_product_attention(q, k, np.zeros((2, S + 1, D)))
    with pytest.raises(ValueError, match="does not broadcast"):
        scratch.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((S, L), dtype=bool))
    with pytest.raises(ValueError, match="NaN"):
        scratch.scaled_dot_product_attention(np.full((2, L, D), np.nan), k, v)
    with pytest.raises(ValueError, match="NaN or \\+inf"):
        scratch.scaled_dot_product_attention(q, k, v, attn_mask=np.full((L, S), np.nan))
    with pytest.raises(ValueError, match="not both"):
        scratch.scaled_dot_product_attention(
            q, k, v, attn_mask=np.ones((L, S), dtype=bool), is_causal=True
        )


@pytest.mark.parametrize(
    "d_output_shape, weights_shape, name",
    [
        ((2, L, D + 1), (2, L, S), "d_output"),
        ((2, L, D), (2, L, S + 1), "weights"),
        ((2, L, D), (L, S), "weights"),
        ((1, L, D), (2, L, S), "d_output"),
    ],
)
def test_attention_backward_refuses_mismatched_shapes(d_output_shape, weights_shape, name):
    """A wrong-shaped gradient or weights would fail deep in a matmul or broadcast silently."""
    q, k, v = np.zeros((2, L, D)), np.zeros((2, S, D)), np.zeros((2, S, D))
    with pytest.raises(ValueError, match=f"{name} must have the shape"):
        scratch.scaled_dot_product_attention_backward(
            np.zeros(d_output_shape), q, k, v, np.zeros(weights_shape)
        )


INTEGER_MASKS = [np.int64, np.int32, np.uint8]


@pytest.mark.parametrize("dtype", INTEGER_MASKS, ids=lambda d: np.dtype(d).name)
def test_integer_sdpa_mask_is_refused_like_pytorch(dtype):
    """A 0/1 integer mask would be added to the scores as +1/0: PyTorch refuses it, so do we."""
    q = _randn(1, L, D, seed=1)
    mask = np.tril(np.ones((L, L), dtype=dtype))
    with pytest.raises(RuntimeError, match="attn_mask dtype"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=torch.from_numpy(mask))
    with pytest.raises(ValueError, match="boolean or float") as info:
        scratch.scaled_dot_product_attention(q.numpy(), q.numpy(), q.numpy(), attn_mask=mask)
    assert "astype(bool)" in str(info.value) and "True = may attend" in str(info.value)


@pytest.mark.parametrize("dtype", INTEGER_MASKS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("which", ["attn_mask", "key_padding_mask"])
def test_integer_multihead_masks_are_refused_like_pytorch(which, dtype):
    ref, mine = _mha()
    x = _randn(B, L, E, seed=1)
    shape = (L, L) if which == "attn_mask" else (B, L)
    mask = np.zeros(shape, dtype=dtype)
    with pytest.raises(AssertionError, match=f"only bool and floating types of {which}"):
        ref(x, x, x, **{which: torch.from_numpy(mask)})
    with pytest.raises(ValueError, match=f"{which} has dtype") as info:
        mine(x.numpy(), x.numpy(), x.numpy(), **{which: mask})
    assert "True = may not attend" in str(info.value)


def test_integer_mask_cast_to_bool_gives_the_boolean_result():
    q, k, v = (_randn(1, L, D, seed=s).numpy() for s in (1, 2, 3))
    causal = np.tril(np.ones((L, L), dtype=np.int64))
    out, _ = scratch.scaled_dot_product_attention(q, k, v, attn_mask=causal.astype(bool))
    np.testing.assert_array_equal(
        out, scratch.scaled_dot_product_attention(q, k, v, is_causal=True)[0]
    )


def test_mha_and_block_bad_input_raise_clear_errors():
    mha = scratch.MultiheadAttention(E, 2)
    x = np.zeros((B, L, E))
    with pytest.raises(ValueError, match="sequence length 0"):
        mha(np.zeros((B, 0, E)), x, x)
    with pytest.raises(ValueError, match="embed_dim=8"):
        mha(np.zeros((B, L, E + 1)), x, x)
    with pytest.raises(ValueError, match="key_padding_mask must have shape"):
        mha(x, x, x, key_padding_mask=np.zeros((B, L + 1), dtype=bool))
    with pytest.raises(ValueError, match="attn_mask"):
        mha(x, x, x, attn_mask=np.zeros((L + 1, L), dtype=bool))
    with pytest.raises(ValueError, match="attn_mask must be"):
        mha(x, x, x, attn_mask=np.zeros((3, L, L), dtype=bool))
    with pytest.raises(ValueError, match="NaN"):
        mha(np.full((B, L, E), np.nan), x, x)
    with pytest.raises(ValueError, match="divisor"):
        scratch.MultiheadAttention(E, 3)
    with pytest.raises(ValueError, match="missing"):
        mha.load_state_dict({"in_proj_weight": np.zeros((3 * E, E))})
    with pytest.raises(ValueError, match="in_proj_weight has shape"):
        mha.load_state_dict({**mha.state_dict(), "in_proj_weight": np.zeros((E, E))})
    with pytest.raises(ValueError, match="unexpected"):
        mha.load_state_dict({**mha.state_dict(), "extra.weight": np.zeros(E)})
    with pytest.raises(ValueError, match="sequence length 0"):
        scratch.TransformerBlock(E, 2, 16)(np.zeros((B, 0, E)))
    with pytest.raises(ValueError, match="tokens must be integers"):
        reversal.ReversalAttention(4, 10).predict(np.full((1, 4), 10))
    with pytest.raises(ValueError, match="targets must have"):
        reversal.ReversalAttention(4, 10).fit(np.zeros((2, 4), int), np.zeros((2, 3), int))
    with pytest.raises(ValueError, match="targets must be integers"):
        reversal.ReversalAttention(4, 10).fit(np.zeros((2, 4), int), np.full((2, 4), 10))
    with pytest.raises(ValueError, match="steps"):
        reversal.ReversalAttention(4, 10).fit(np.zeros((2, 4), int), np.zeros((2, 4), int), steps=0)
    with pytest.raises(ValueError, match="differs"):
        sequences.token_accuracy(np.zeros((2, 3)), np.zeros((2, 4)))


LAYERS = {
    "in_proj_weight": lambda: scratch.MultiheadAttention(E, 2),
    "out_proj.bias": lambda: scratch.MultiheadAttention(E, 2),
    "self_attn.in_proj_bias": lambda: scratch.TransformerBlock(E, 2, 16),
    "norm2.weight": lambda: scratch.TransformerBlock(E, 2, 16),
}


@pytest.mark.parametrize("bad", [np.nan, np.inf], ids=["nan", "inf"])
@pytest.mark.parametrize("name", LAYERS)
def test_load_state_dict_refuses_non_finite_weights(name, bad):
    layer = LAYERS[name]()
    before = layer.state_dict()
    state = layer.state_dict()
    state[name].flat[0] = bad
    with pytest.raises(ValueError, match=f"{name} contains NaN or infinite"):
        layer.load_state_dict(state)
    for key, value in layer.state_dict().items():  # nothing was half loaded
        np.testing.assert_array_equal(value, before[key])


def test_float32_inputs_stay_float32_and_agree_with_torch_to_single_precision():
    ref = torch.nn.MultiheadAttention(E, 2, batch_first=True)
    mine = scratch.MultiheadAttention(E, 2, dtype=np.float32).load_state_dict(ref.state_dict())
    x = _randn(B, L, E, seed=13).float()
    with torch.no_grad():
        out, _ = ref(x, x, x)
    my_out, my_weights = mine(x.numpy(), x.numpy(), x.numpy())
    assert my_out.dtype == np.float32 and my_weights.dtype == np.float32
    assert relative_error(my_out, out) <= 1e-5
    q = x.numpy()
    assert scratch.scaled_dot_product_attention(q, q, q)[0].dtype == np.float32

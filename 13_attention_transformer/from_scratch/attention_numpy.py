"""Scaled dot-product attention, multi-head attention and a Transformer block in NumPy.

Attention is a soft dictionary look-up. Every query q_i is compared with every key k_j; the
similarities become weights that sum to 1, and the output is the weighted average of the values:

    scores = Q Kᵀ / √d_k            (L queries × S keys)
    P      = softmax(scores)        row by row, over the keys
    output = P V

Dividing by √d_k keeps the scores' variance near 1 when d_k grows, so the softmax does not
saturate into a one-hot vector with vanishing gradients.

Masks decide which keys a query may look at. A *causal* mask lets position i see only
positions j ≤ i (a language model must not read the future); a *padding* mask hides the
filler tokens of shorter sequences. A masked score is treated as -∞, so its weight is 0.
Rule for a row whose keys are ALL masked: its weights are all 0 and its attention output is 0
("nothing to attend to"), never NaN. ``F.scaled_dot_product_attention`` follows the same
rule; ``nn.MultiheadAttention`` returns NaN there.

Multi-head attention runs h attentions side by side on d_k = E / h slices of learned
projections, then mixes the heads with an output projection. Parameters use PyTorch's layout:
``in_proj_weight`` (3E, E) stacks W_q, W_k, W_v; ``in_proj_bias`` (3E,); ``out_proj.weight``
(E, E); ``out_proj.bias`` (E,). Everything is batch-first and vectorised over batch and heads
with batched matmuls: no Python loop over heads or samples.

Mask conventions follow each PyTorch twin (they differ, so read twice): for
``scaled_dot_product_attention`` a boolean mask is True where a query MAY attend; for
``MultiheadAttention`` it is True where it may NOT. Float masks are added to the scores; integer
masks are refused, as in PyTorch. ``_masks.py`` holds these conventions and the input checks.
"""

import argparse

import numpy as np

import journey
from journey import parity
from journey.gradcheck import check_gradient

_masks = journey.load_stage("13", "from_scratch/_masks.py")
Module = journey.load_stage("13", "from_scratch/_module.py").Module

# ---- scaled dot-product attention ---------------------------------------------------------------


def masked_softmax(scores: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    """Softmax over the last axis, restricted to the ``allowed`` entries.

    Stable: the row maximum (over allowed entries) is subtracted before exp, so exp never
    overflows; softmax(s) = softmax(s - c) for any constant c. Disallowed entries (and scores
    of -inf) get weight 0; a row with no allowed entry gets all-zero weights (the explicit
    fully-masked rule).
    """
    scores = np.asarray(scores)
    return _softmax_in_place(scores.astype(_masks.float_dtype(scores), copy=True), allowed)


def _softmax_in_place(scores: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
    """``masked_softmax`` that overwrites ``scores`` with the weights.

    At realistic sizes the (..., L, S) array is megabytes and the cost is memory traffic, so
    it is updated in place: mask, subtract the row max, exp, divide by the row sum.
    """
    if allowed is not None:
        np.copyto(scores, -np.inf, where=~np.asarray(allowed))
    row_max = scores.max(axis=-1, keepdims=True)
    row_max[~np.isfinite(row_max)] = 0.0  # fully masked rows: any shift works
    scores -= row_max
    np.exp(scores, out=scores)  # exp(-inf) = 0 for masked entries
    total = np.einsum("...s->...", scores)[..., None]  # row sums (einsum: ~3× faster than .sum)
    total[total == 0] = 1.0  # fully masked rows stay all zero
    scores /= total
    return scores


def attend(q, k, v, scale=None, allowed=None, bias=None) -> tuple[np.ndarray, np.ndarray]:
    """``(softmax(Q Kᵀ · scale + bias, over allowed keys) V, weights)``, batched over all leading
    axes; ``scale`` defaults to 1/√d_k (d_k = q.shape[-1]). Scaling Q (L × d numbers) instead of
    the scores (L × S) saves a pass over the big array."""
    # BEGIN SOLUTION 13.1
    # task: scores = Q Kᵀ · scale (1/√d_k unless given) + bias, their masked softmax P, and P V
    # hint: Kᵀ of a batch is np.swapaxes(k, -1, -2); P = _softmax_in_place(scores, allowed)
    if scale is None:
        scale = 1.0 / np.sqrt(q.shape[-1])
    scores = (q * q.dtype.type(scale)) @ np.swapaxes(k, -1, -2)
    if bias is not None:
        scores += bias
    weights = _softmax_in_place(scores, allowed)  # scores is our own fresh array
    return weights @ v, weights
    # END SOLUTION


def causal_mask(n_queries: int, n_keys: int | None = None) -> np.ndarray:
    """Boolean (L, S) mask, True where key j ≤ query i: the lower triangle (``is_causal=True``)."""
    n_keys = n_queries if n_keys is None else n_keys
    return np.tril(np.ones((n_queries, n_keys), dtype=bool))


def scaled_dot_product_attention(
    query, key, value, attn_mask=None, is_causal: bool = False, scale: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Twin of ``F.scaled_dot_product_attention``; returns ``(output, weights)``.

    Shapes: query (..., L, E), key (..., S, E), value (..., S, Ev) → output (..., L, Ev),
    weights (..., L, S). ``attn_mask``: boolean (True = may attend) or float (added to the
    scores), broadcastable to (..., L, S). ``is_causal`` applies ``causal_mask(L, S)``.
    ``scale`` defaults to 1/√E.
    """
    q, k, v = _masks.check_qkv(query, key, value)
    scale = None if scale is None else float(scale)
    if is_causal and attn_mask is not None:
        raise ValueError("give either attn_mask or is_causal=True, not both (as in PyTorch)")
    if is_causal:
        return attend(q, k, v, scale, allowed=causal_mask(q.shape[-2], k.shape[-2]))
    scores_shape = q.shape[:-1] + (k.shape[-2],)
    allowed, bias = _masks.mask_terms(attn_mask, scores_shape, "attn_mask", _masks.ATTEND)
    return attend(q, k, v, scale, allowed, bias)


def scaled_dot_product_attention_backward(
    d_output, query, key, value, weights, scale: float | None = None
):
    """Gradients of a loss L through ``output = P V`` with ``P = softmax(Q Kᵀ · scale)``.

        ∂L/∂V = Pᵀ dO
        ∂L/∂P = dO Vᵀ
        ∂L/∂S = P ⊙ (∂L/∂P - rowsum(∂L/∂P ⊙ P))       (softmax's Jacobian, applied row by row)
        ∂L/∂Q = ∂L/∂S K · scale,    ∂L/∂K = (∂L/∂S)ᵀ Q · scale

    Masks need no special care: a masked weight is 0, so P ⊙ (…) is 0 there too.
    Returns ``(dQ, dK, dV)``.
    """
    q, k, v = _masks.check_qkv(query, key, value)
    d_output, weights = _masks.check_backward(d_output, weights, q, k, v)
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else float(scale)
    # BEGIN SOLUTION 13.2
    # task: ∂L/∂Q, ∂L/∂K, ∂L/∂V from dO and the weights P, following the docstring's chain rule
    # hint: transpose the last two axes with np.swapaxes(·, -1, -2); rowsum = sum(axis=-1, keepdims)
    d_value = np.swapaxes(weights, -1, -2) @ d_output
    d_weights = d_output @ np.swapaxes(v, -1, -2)
    d_scores = weights * (d_weights - np.sum(d_weights * weights, axis=-1, keepdims=True))
    return d_scores @ k * scale, np.swapaxes(d_scores, -1, -2) @ q * scale, d_value
    # END SOLUTION


# ---- layers with PyTorch's parameter layout ------------------------------------------------


class Linear(Module):
    """y = x Wᵀ + b, with ``weight`` (out, in) and ``bias`` (out,) like ``nn.Linear``."""

    def __init__(
        self, in_features: int, out_features: int, rng: np.random.Generator, dtype=np.float64
    ):
        bound = 1.0 / np.sqrt(in_features)
        self.dtype = np.dtype(dtype)
        self.params = {
            "weight": rng.uniform(-bound, bound, (out_features, in_features)).astype(dtype),
            "bias": rng.uniform(-bound, bound, out_features).astype(dtype),
        }

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return x @ self.params["weight"].T + self.params["bias"]


class LayerNorm(Module):
    """(x - mean) / √(var + eps) · weight + bias over the last axis, like ``nn.LayerNorm``.

    The variance is the biased one (divided by n), as in PyTorch.
    """

    def __init__(self, dim: int, eps: float = 1e-5):
        self.eps = eps
        self.params = {"weight": np.ones(dim), "bias": np.zeros(dim)}

    def __call__(self, x: np.ndarray) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        var = x.var(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.params["weight"] + self.params["bias"]


class MultiheadAttention(Module):
    """Twin of ``nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)`` (no dropout).

    ``dtype=np.float32`` computes in single precision (PyTorch's default; for speed),
    float64 is for the parity checks.
    """

    def __init__(self, embed_dim: int, num_heads: int, *, seed: int = 0, dtype=np.float64):
        _masks.check_heads(embed_dim, num_heads)
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dtype = np.dtype(dtype)
        rng = np.random.default_rng(seed)
        bound = np.sqrt(6.0 / (embed_dim + 3 * embed_dim))  # PyTorch's xavier_uniform_ on (3E, E)
        self.params = {
            "in_proj_weight": rng.uniform(-bound, bound, (3 * embed_dim, embed_dim)).astype(dtype),
            "in_proj_bias": np.zeros(3 * embed_dim, dtype=dtype),
        }
        self.children = {"out_proj": Linear(embed_dim, embed_dim, rng, dtype)}
        self.children["out_proj"].params["bias"][:] = 0.0

    def split_heads(self, x: np.ndarray) -> np.ndarray:
        """(B, T, E) → (B, h, T, d_k): each head gets its own slice of the features."""
        # BEGIN SOLUTION 13.3
        # task: (B, T, E) → (B, h, T, d_k): head j gets features j·d_k … (j+1)·d_k − 1
        # hint: reshape to (B, T, h, d_k), then swap the T and h axes with .transpose(0, 2, 1, 3)
        batch, steps, _ = x.shape
        return x.reshape(batch, steps, self.num_heads, self.head_dim).transpose(0, 2, 1, 3)
        # END SOLUTION

    def merge_heads(self, x: np.ndarray) -> np.ndarray:
        """(B, h, T, d_k) → (B, T, E): the heads' outputs side by side (concatenated)."""
        # BEGIN SOLUTION 13.4
        # task: (B, h, T, d_k) → (B, T, E): the heads' outputs side by side, head 0 first
        # hint: split_heads backwards: put T before h with .transpose(0, 2, 1, 3), then reshape
        batch, _, steps, _ = x.shape
        return x.transpose(0, 2, 1, 3).reshape(batch, steps, self.embed_dim)
        # END SOLUTION

    def project(self, query, key, value, self_attention: bool):
        """Q, K, V = x W_qᵀ + b_q, …, split into heads (B, h, T, d_k)."""
        w, b, E = self.params["in_proj_weight"], self.params["in_proj_bias"], self.embed_dim
        if self_attention:  # one matmul gives Q, K and V side by side
            return [self.split_heads(part) for part in np.split(query @ w.T + b, 3, axis=-1)]
        # rows [0:E) of in_proj are W_q, [E:2E) W_k, [2E:3E) W_v
        return [
            self.split_heads(x @ w[i * E : (i + 1) * E].T + b[i * E : (i + 1) * E])
            for i, x in enumerate((query, key, value))
        ]

    def forward(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights: bool = True,
        attn_mask=None,
        average_attn_weights: bool = True,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Return ``(output (B, L, E), weights)`` like ``nn.MultiheadAttention``.

        ``weights`` is (B, L, S) averaged over heads, (B, h, L, S) with
        ``average_attn_weights=False``, or None with ``need_weights=False``.
        ``attn_mask``: (L, S) or (B·h, L, S); ``key_padding_mask``: (B, S). Boolean masks are
        True where attention is NOT allowed; float masks are added to the scores.
        """
        self_attention = query is key and key is value
        query, key, value = _masks.check_multihead_inputs(
            query, key, value, self.embed_dim, self.dtype
        )
        q, k, v = self.project(query, key, value, self_attention)
        scores_shape = q.shape[:-1] + (k.shape[-2],)  # (B, h, L, S)
        allowed, bias = _masks.multihead_mask_terms(attn_mask, key_padding_mask, scores_shape)
        heads, weights = attend(q, k, v, allowed=allowed, bias=bias)  # scale 1/√d_k, per head
        output = self.children["out_proj"](self.merge_heads(heads))
        if not need_weights:
            return output, None
        return output, (weights.mean(axis=1) if average_attn_weights else weights)

    __call__ = forward


class TransformerBlock(Module):
    """A pre-norm Transformer block: ``nn.TransformerEncoderLayer(norm_first=True, dropout=0)``.

        x = x + MHA(LN1(x))                      every position gathers information from the others
        x = x + W2 · relu(W1 · LN2(x) + b1) + b2  then each position is transformed on its own

    The residual additions let the signal (and the gradient) skip each sub-layer; LayerNorm
    keeps each position's features at zero mean and unit variance before the sub-layers.
    Parameter names match ``nn.TransformerEncoderLayer``: ``self_attn.*``, ``linear1.*``,
    ``linear2.*``, ``norm1.*``, ``norm2.*``.
    """

    def __init__(self, d_model: int, num_heads: int, dim_feedforward: int, *, seed: int = 0):
        _masks.check_positive_int(dim_feedforward, "dim_feedforward")
        rng = np.random.default_rng(seed + 1)
        self.params = {}
        self.children = {
            "self_attn": MultiheadAttention(d_model, num_heads, seed=seed),
            "linear1": Linear(d_model, dim_feedforward, rng),
            "linear2": Linear(dim_feedforward, d_model, rng),
            "norm1": LayerNorm(d_model),
            "norm2": LayerNorm(d_model),
        }

    def forward(self, x, attn_mask=None, key_padding_mask=None, need_weights: bool = False):
        """x (B, T, d_model) → (B, T, d_model); masks as in ``MultiheadAttention``.

        With ``need_weights=True`` also returns the per-head attention weights (B, h, T, T).
        """
        c = self.children
        x = _masks.check_embedded(x, "x", c["self_attn"].embed_dim, np.float64)
        h = c["norm1"](x)
        attended, weights = c["self_attn"](
            h,
            h,
            h,
            key_padding_mask=key_padding_mask,
            attn_mask=attn_mask,
            need_weights=need_weights,
            average_attn_weights=False,
        )
        x = x + attended
        x = x + c["linear2"](np.maximum(c["linear1"](c["norm2"](x)), 0.0))
        return (x, weights) if need_weights else x

    __call__ = forward


def check_masks_and_gradients(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Masks zero the right weights; the backward pass matches finite differences."""
    q, k, v, d_out = (rng.standard_normal((2, 5, 4)) for _ in range(4))
    _, causal_weights = scaled_dot_product_attention(q, k, v, is_causal=True)
    padding = np.ones((2, 1, 5), dtype=bool)
    padding[1, :, 3:] = False  # the second sequence has only 3 real tokens
    _, pad_weights = scaled_dot_product_attention(q, k, v, attn_mask=padding)
    future = np.abs(np.triu(causal_weights, k=1)).max()
    parity.at_most("causal mask: weight on future keys", future, 0.0)
    parity.at_most("padding mask: weight on padded keys", pad_weights[1, :, 3:].max(), 0.0)
    parity.close("every unmasked row sums to 1", pad_weights.sum(-1), np.ones((2, 5)), atol=1e-12)

    def loss() -> float:
        return float(np.sum(scaled_dot_product_attention(q, k, v, is_causal=True)[0] * d_out))

    grads = scaled_dot_product_attention_backward(d_out, q, k, v, causal_weights)
    for name, array, grad in zip("QKV", (q, k, v), grads, strict=True):
        error = check_gradient(loss, array, grad)
        parity.at_most(
            f"attention backward ∂L/∂{name}: rel. error vs finite differences", error, 1e-8
        )
    return {"causal mask": causal_weights[0], "padding mask (3 real keys)": pad_weights[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the random Q, K, V")
    args = parser.parse_args()
    maps = check_masks_and_gradients(np.random.default_rng(args.seed))
    fig, axes = journey.plotting.pyplot().subplots(1, 2, figsize=(9, 4))
    for ax, (title, weights) in zip(axes, maps.items(), strict=True):
        ax.imshow(weights, cmap="viridis", vmin=0, vmax=1)
        ax.set(title=f"random Q, K: {title}", xlabel="key position", ylabel="query position")
    journey.save_figure(fig, "13_attention_transformer", "numpy_masked_attention")


if __name__ == "__main__":
    main()

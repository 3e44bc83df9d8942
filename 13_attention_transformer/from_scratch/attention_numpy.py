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

Mask conventions follow each PyTorch twin (they differ, so read twice):
- ``scaled_dot_product_attention`` (like ``F.scaled_dot_product_attention``): a boolean
  ``attn_mask`` is True where a query MAY attend; a float mask is added to the scores.
- ``MultiheadAttention`` (like ``nn.MultiheadAttention``): a boolean ``attn_mask`` or
  ``key_padding_mask`` is True where attention is NOT allowed (padding); float masks are added.
"""

import argparse

import numpy as np

import journey
from journey import parity
from journey.gradcheck import check_gradient

# ---- scaled dot-product attention ---------------------------------------------------------------


def masked_softmax(scores: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    """Softmax over the last axis, restricted to the ``allowed`` entries.

    Stable: the row maximum (over allowed entries) is subtracted before exp, so exp never
    overflows; softmax(s) = softmax(s - c) for any constant c. Disallowed entries (and scores
    of -inf) get weight 0; a row with no allowed entry gets all-zero weights (the explicit
    fully-masked rule).
    """
    scores = np.asarray(scores)
    return _softmax_in_place(scores.astype(_float_dtype(scores), copy=True), allowed)


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


def causal_mask(n_queries: int, n_keys: int | None = None) -> np.ndarray:
    """Boolean (L, S) mask, True where key j ≤ query i: the lower triangle (``is_causal=True``)."""
    n_keys = n_queries if n_keys is None else n_keys
    return np.tril(np.ones((n_queries, n_keys), dtype=bool))


def _float_dtype(*arrays) -> np.dtype:
    """float32 when every input is float32 (fast, PyTorch's usual precision), float64 otherwise."""
    return np.dtype(
        np.float32 if all(np.asarray(a).dtype == np.float32 for a in arrays) else np.float64
    )


def _check_qkv(query, key, value) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    arrays, dtype = [], _float_dtype(query, key, value)
    for name, x in (("query", query), ("key", key), ("value", value)):
        x = np.asarray(x, dtype=dtype)
        if x.ndim < 2:
            raise ValueError(
                f"{name} must have at least 2 dimensions (..., seq_len, features), got {x.shape}"
            )
        if x.shape[-2] == 0:
            raise ValueError(f"{name} has sequence length 0: attention needs at least one position")
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{name} contains NaN or infinite values; clean the inputs first")
        arrays.append(x)
    q, k, v = arrays
    if q.shape[:-2] != k.shape[:-2] or k.shape[:-2] != v.shape[:-2]:
        raise ValueError(
            f"query, key and value must share their leading (batch, head) dimensions, "
            f"got {q.shape}, {k.shape}, {v.shape}"
        )
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            "query and key must have the same feature size d_k, "
            f"got {q.shape[-1]} and {k.shape[-1]}"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"key and value must have the same sequence length, got {k.shape[-2]} and {v.shape[-2]}"
        )
    return q, k, v


def _mask_terms(mask, scores_shape: tuple[int, ...], name: str, bool_means_allowed: bool):
    """Turn a boolean or float mask into (allowed, additive bias), broadcastable to the scores."""
    mask = np.asarray(mask)
    try:
        fits = np.broadcast_shapes(mask.shape, scores_shape) == tuple(scores_shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{name} has shape {mask.shape}, which does not broadcast to the attention "
            f"scores' shape (..., L, S) = {tuple(scores_shape)}"
        )
    if mask.dtype == bool:
        return (mask if bool_means_allowed else ~mask), None
    mask = mask.astype(np.float64)
    if np.any(np.isnan(mask)) or np.any(mask == np.inf):
        raise ValueError(
            f"{name} contains NaN or +inf; a float mask holds 0 (keep) or -inf (block)"
        )
    return np.isfinite(mask), np.where(np.isfinite(mask), mask, 0.0)


def _combine(first, second):
    """Combine two (allowed, bias) pairs; None means "no restriction" / "nothing to add"."""
    (allowed_a, bias_a), (allowed_b, bias_b) = first, second
    allowed = (
        allowed_a
        if allowed_b is None
        else allowed_b
        if allowed_a is None
        else allowed_a & allowed_b
    )
    bias = bias_a if bias_b is None else bias_b if bias_a is None else bias_a + bias_b
    return allowed, bias


def _attend(q, k, v, scale, allowed=None, bias=None) -> tuple[np.ndarray, np.ndarray]:
    """softmax(Q Kᵀ · scale + bias, over allowed keys) V, batched over all leading axes.

    Scaling Q (L × d numbers) instead of the scores (L × S) saves a pass over the big array.
    """
    scores = (q * q.dtype.type(scale)) @ np.swapaxes(k, -1, -2)
    if bias is not None:
        scores += bias
    weights = _softmax_in_place(scores, allowed)  # scores is our own fresh array
    return weights @ v, weights


def scaled_dot_product_attention(
    query, key, value, attn_mask=None, is_causal: bool = False, scale: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Twin of ``F.scaled_dot_product_attention``; returns ``(output, weights)``.

    Shapes: query (..., L, E), key (..., S, E), value (..., S, Ev) → output (..., L, Ev),
    weights (..., L, S). ``attn_mask``: boolean (True = may attend) or float (added to the
    scores), broadcastable to (..., L, S). ``is_causal`` applies ``causal_mask(L, S)``.
    ``scale`` defaults to 1/√E.
    """
    q, k, v = _check_qkv(query, key, value)
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else float(scale)
    scores_shape = q.shape[:-1] + (k.shape[-2],)
    allowed, bias = None, None
    if attn_mask is not None:
        if is_causal:
            raise ValueError("give either attn_mask or is_causal=True, not both (as in PyTorch)")
        allowed, bias = _mask_terms(attn_mask, scores_shape, "attn_mask", bool_means_allowed=True)
    elif is_causal:
        allowed = causal_mask(q.shape[-2], k.shape[-2])
    return _attend(q, k, v, scale, allowed, bias)


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
    q, k, v = _check_qkv(query, key, value)
    d_output, weights = (
        np.asarray(d_output, dtype=np.float64),
        np.asarray(weights, dtype=np.float64),
    )
    if d_output.shape != q.shape[:-1] + v.shape[-1:]:
        raise ValueError(
            f"d_output must have the output's shape {q.shape[:-1] + v.shape[-1:]}, "
            f"got {d_output.shape}"
        )
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else float(scale)
    d_value = np.swapaxes(weights, -1, -2) @ d_output
    d_weights = d_output @ np.swapaxes(v, -1, -2)
    d_scores = weights * (d_weights - np.sum(d_weights * weights, axis=-1, keepdims=True))
    return d_scores @ k * scale, np.swapaxes(d_scores, -1, -2) @ q * scale, d_value


# ---- layers with PyTorch's parameter layout ------------------------------------------------


def _to_numpy(value, dtype=np.float64) -> np.ndarray:
    """A NumPy copy of an array or a torch tensor (duck-typed: no torch import here)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.array(value, dtype=dtype)


class _Module:
    """Parameters in a dict under PyTorch's names, with ``state_dict`` / ``load_state_dict``."""

    params: dict[str, np.ndarray]
    children: dict[str, "_Module"] = {}
    dtype = np.dtype(np.float64)

    def state_dict(self) -> dict[str, np.ndarray]:
        state = {name: value.copy() for name, value in self.params.items()}
        for prefix, child in self.children.items():
            state.update({f"{prefix}.{k}": v for k, v in child.state_dict().items()})
        return state

    def load_state_dict(self, state: dict):
        """Copy in arrays or torch tensors; names and shapes must match exactly."""
        expected = {k: v.shape for k, v in self.state_dict().items()}
        missing, unexpected = set(expected) - set(state), set(state) - set(expected)
        if missing or unexpected:
            raise ValueError(
                f"state dict does not match {type(self).__name__}: missing {sorted(missing)}, "
                f"unexpected {sorted(unexpected)}"
            )
        for name, shape in expected.items():
            value = _to_numpy(state[name])
            if value.shape != shape:
                raise ValueError(f"{name} has shape {value.shape}, expected {shape}")
        self._assign(state)
        return self

    def _assign(self, state: dict) -> None:
        for name in self.params:
            self.params[name] = _to_numpy(state[name], self.dtype)
        for prefix, child in self.children.items():
            child._assign(
                {k[len(prefix) + 1 :]: v for k, v in state.items() if k.startswith(prefix + ".")}
            )


class Linear(_Module):
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


class LayerNorm(_Module):
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


class MultiheadAttention(_Module):
    """Twin of ``nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)`` (no dropout).

    ``dtype=np.float32`` computes in single precision (PyTorch's default; for speed),
    float64 is for the parity checks.
    """

    def __init__(self, embed_dim: int, num_heads: int, *, seed: int = 0, dtype=np.float64):
        if not isinstance(embed_dim, (int, np.integer)) or embed_dim < 1:
            raise ValueError(f"embed_dim must be a positive integer, got {embed_dim!r}")
        if not isinstance(num_heads, (int, np.integer)) or num_heads < 1 or embed_dim % num_heads:
            raise ValueError(
                f"num_heads must be a positive divisor of embed_dim={embed_dim}, got {num_heads!r}"
            )
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

    def _split_heads(self, x: np.ndarray) -> np.ndarray:
        """(B, T, E) → (B, h, T, d_k): each head gets its own slice of the features."""
        batch, steps, _ = x.shape
        return x.reshape(batch, steps, self.num_heads, self.head_dim).transpose(0, 2, 1, 3)

    def _check_input(self, x, name: str) -> np.ndarray:
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 3:
            raise ValueError(f"{name} must be 3-D (batch, seq_len, embed_dim), got shape {x.shape}")
        if x.shape[1] == 0:
            raise ValueError(f"{name} has sequence length 0: attention needs at least one position")
        if x.shape[2] != self.embed_dim:
            raise ValueError(f"{name} has {x.shape[2]} features, but embed_dim={self.embed_dim}")
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{name} contains NaN or infinite values; clean the inputs first")
        return x

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
        query, key, value = (
            self._check_input(x, n) for x, n in ((query, "query"), (key, "key"), (value, "value"))
        )
        batch, n_queries, E = query.shape
        n_keys = key.shape[1]
        if key.shape[0] != batch or value.shape[:2] != key.shape[:2]:
            raise ValueError(
                f"query, key and value must share the batch size and key/value the length, "
                f"got {query.shape}, {key.shape}, {value.shape}"
            )
        w, b = self.params["in_proj_weight"], self.params["in_proj_bias"]
        if self_attention:  # one matmul gives Q, K and V side by side
            q, k, v = (self._split_heads(part) for part in np.split(query @ w.T + b, 3, axis=-1))
        else:  # rows [0:E) of in_proj are W_q, [E:2E) W_k, [2E:3E) W_v
            q = self._split_heads(query @ w[:E].T + b[:E])
            k = self._split_heads(key @ w[E : 2 * E].T + b[E : 2 * E])
            v = self._split_heads(value @ w[2 * E :].T + b[2 * E :])
        scores_shape = (batch, self.num_heads, n_queries, n_keys)
        masks = (None, None)
        if attn_mask is not None:
            attn_mask = np.asarray(attn_mask)
            if attn_mask.ndim == 3 and attn_mask.shape[0] == batch * self.num_heads:
                attn_mask = attn_mask.reshape(scores_shape)
            elif attn_mask.ndim != 2:
                raise ValueError(
                    f"attn_mask must be (L, S) = {(n_queries, n_keys)} or "
                    "(batch·num_heads, L, S) = "
                    f"{(batch * self.num_heads, n_queries, n_keys)}, got {attn_mask.shape}"
                )
            masks = _mask_terms(attn_mask, scores_shape, "attn_mask", bool_means_allowed=False)
        if key_padding_mask is not None:
            key_padding_mask = np.asarray(key_padding_mask)
            if key_padding_mask.shape != (batch, n_keys):
                raise ValueError(
                    f"key_padding_mask must have shape (batch, S) = {(batch, n_keys)}, "
                    f"got {key_padding_mask.shape}"
                )
            padding = key_padding_mask[:, None, None, :]  # (B, 1, 1, S): same for every head, query
            padding_terms = _mask_terms(padding, scores_shape, "key_padding_mask", False)
            masks = _combine(masks, padding_terms)
        heads, weights = _attend(q, k, v, 1.0 / np.sqrt(self.head_dim), *masks)
        merged = heads.transpose(0, 2, 1, 3).reshape(batch, n_queries, E)  # concatenate the heads
        output = self.children["out_proj"](merged)
        if not need_weights:
            return output, None
        return output, (weights.mean(axis=1) if average_attn_weights else weights)

    __call__ = forward


class TransformerBlock(_Module):
    """A pre-norm Transformer block: ``nn.TransformerEncoderLayer(norm_first=True, dropout=0)``.

        x = x + MHA(LN1(x))                      every position gathers information from the others
        x = x + W2 · relu(W1 · LN2(x) + b1) + b2  then each position is transformed on its own

    The residual additions let the signal (and the gradient) skip each sub-layer; LayerNorm
    keeps each position's features at zero mean and unit variance before the sub-layers.
    Parameter names match ``nn.TransformerEncoderLayer``: ``self_attn.*``, ``linear1.*``,
    ``linear2.*``, ``norm1.*``, ``norm2.*``.
    """

    def __init__(self, d_model: int, num_heads: int, dim_feedforward: int, *, seed: int = 0):
        if not isinstance(dim_feedforward, (int, np.integer)) or dim_feedforward < 1:
            raise ValueError(f"dim_feedforward must be a positive integer, got {dim_feedforward!r}")
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
        x = c["self_attn"]._check_input(x, "x")
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


# ---- a from-scratch demo: attention learns to reverse a sequence -----------------------------


class ReversalAttention:
    """The smallest model that needs attention: one head whose output IS a distribution over tokens.

    Queries and keys depend only on the position (one-hot p_i, learned W_q, W_k); values are
    the one-hot tokens. Position i must copy the token at position L-1-i, so the model has to
    learn *where* to look:

        P = softmax((P_pos W_q)(P_pos W_k)ᵀ / √d),   ŷ_i = Σ_j P_ij onehot(x_j)
        L = -mean_i log ŷ_i[y_i]

    ŷ_i is a convex combination of one-hot vectors, hence already a probability vector.
    Trained with plain gradient descent through ``scaled_dot_product_attention_backward``.
    """

    def __init__(self, length: int, vocab: int, d_k: int = 8, *, seed: int = 0):
        if length < 1 or vocab < 2 or d_k < 1:
            raise ValueError(f"need length ≥ 1, vocab ≥ 2, d_k ≥ 1; got {length}, {vocab}, {d_k}")
        rng = np.random.default_rng(seed)
        self.length, self.vocab = length, vocab
        self.w_q = rng.normal(0, 0.5, (length, d_k))
        self.w_k = rng.normal(0, 0.5, (length, d_k))
        self.loss_curve_ = []

    def _qkv(self, tokens: np.ndarray):
        tokens = np.asarray(tokens)
        if tokens.ndim != 2 or tokens.shape[1] != self.length:
            raise ValueError(f"tokens must have shape (n, {self.length}), got {tokens.shape}")
        if tokens.size and (tokens.min() < 0 or tokens.max() >= self.vocab):
            raise ValueError(f"tokens must be integers in 0..{self.vocab - 1}")
        positions = np.eye(self.length)
        q = np.broadcast_to(positions @ self.w_q, (len(tokens), self.length, self.w_q.shape[1]))
        k = np.broadcast_to(positions @ self.w_k, q.shape)
        return q, k, np.eye(self.vocab)[tokens]

    def loss_and_gradients(self, tokens, targets) -> tuple[float, np.ndarray, np.ndarray]:
        """Mean negative log-likelihood and its gradients for W_q and W_k."""
        q, k, v = self._qkv(tokens)
        targets = np.asarray(targets)
        if targets.shape != q.shape[:2]:
            raise ValueError(
                f"targets must have the tokens' shape {q.shape[:2]}, got {targets.shape}"
            )
        if targets.size and (targets.min() < 0 or targets.max() >= self.vocab):
            raise ValueError(f"targets must be integers in 0..{self.vocab - 1}")
        probs, weights = scaled_dot_product_attention(q, k, v)
        picked = np.take_along_axis(probs, targets[..., None], axis=-1)[..., 0]
        d_probs = np.zeros_like(probs)
        np.put_along_axis(
            d_probs,
            targets[..., None],
            (-1.0 / picked.size / picked)[..., None],
            axis=-1,
        )
        d_q, d_k, _ = scaled_dot_product_attention_backward(d_probs, q, k, v, weights)
        positions = np.eye(self.length)
        return (
            float(-np.mean(np.log(picked))),
            positions.T @ d_q.sum(axis=0),
            positions.T @ d_k.sum(axis=0),
        )

    def fit(self, tokens, targets, *, steps: int = 200, lr: float = 2.0) -> "ReversalAttention":
        if steps < 1 or not lr > 0:
            raise ValueError(f"need steps ≥ 1 and lr > 0, got steps={steps}, lr={lr}")
        for _ in journey.progress(range(steps), desc="attention GD"):
            loss, d_w_q, d_w_k = self.loss_and_gradients(tokens, targets)
            self.w_q -= lr * d_w_q
            self.w_k -= lr * d_w_k
            self.loss_curve_.append(loss)
        return self

    def attention(self) -> np.ndarray:
        """The learned (L, L) attention map (the same for every input: position only)."""
        q, k, v = self._qkv(np.zeros((1, self.length), dtype=int))
        return scaled_dot_product_attention(q, k, v)[1][0]

    def predict(self, tokens) -> np.ndarray:
        q, k, v = self._qkv(tokens)
        return scaled_dot_product_attention(q, k, v)[0].argmax(axis=-1)


def main() -> None:
    from journey.plotting import pyplot

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps",
        type=int,
        default=100 if journey.is_quick() else 300,
        help="gradient-descent steps for the reversal demo",
    )
    parser.add_argument("--length", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sequences = journey.load_stage("13", "from_scratch/_sequences.py")
    rng = np.random.default_rng(args.seed)

    # 1. Masks: causal rows only see the past; padded keys get no weight.
    q, k, v = (rng.standard_normal((2, 5, 4)) for _ in range(3))
    _, causal_weights = scaled_dot_product_attention(q, k, v, is_causal=True)
    padding = np.ones((2, 1, 5), dtype=bool)
    padding[1, :, 3:] = False  # the second sequence has only 3 real tokens
    _, pad_weights = scaled_dot_product_attention(q, k, v, attn_mask=padding)
    parity.at_most(
        "causal mask: weight on future keys", np.abs(np.triu(causal_weights, k=1)).max(), 0.0
    )
    parity.at_most("padding mask: weight on padded keys", pad_weights[1, :, 3:].max(), 0.0)
    parity.close(
        "every unmasked row sums to 1", pad_weights.sum(axis=-1), np.ones((2, 5)), atol=1e-12
    )

    # 2. The hand-written backward pass against central finite differences.
    d_out = rng.standard_normal((2, 5, 4))
    output, weights = scaled_dot_product_attention(q, k, v, is_causal=True)
    grads = scaled_dot_product_attention_backward(d_out, q, k, v, weights)
    for name, array, grad in zip("QKV", (q, k, v), grads, strict=True):
        error = check_gradient(
            lambda: float(np.sum(scaled_dot_product_attention(q, k, v, is_causal=True)[0] * d_out)),
            array,
            grad,
        )
        parity.at_most(
            f"attention backward ∂L/∂{name}: rel. error vs finite differences", error, 1e-8
        )

    # 3. Learn to reverse: the attention map must become the anti-diagonal.
    X_train, y_train = sequences.reversal_task(512, args.length, seed=args.seed)
    X_test, y_test = sequences.reversal_task(256, args.length, seed=args.seed + 1)
    model = ReversalAttention(args.length, sequences.VOCAB, seed=args.seed).fit(
        X_train, y_train, steps=args.steps
    )
    accuracy = sequences.token_accuracy(model.predict(X_test), y_test)
    print(
        f"reversal: loss {model.loss_curve_[0]:.3f} → {model.loss_curve_[-1]:.3f}, "
        f"held-out token accuracy {accuracy:.3f}"
    )
    parity.at_least("NumPy attention learns reversal: held-out token accuracy", accuracy, 0.95)

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    axes[0].imshow(model.attention(), cmap="viridis", vmin=0, vmax=1)
    axes[0].set(
        title="learned attention (reversal)", xlabel="key position", ylabel="query position"
    )
    axes[1].imshow(causal_weights[0], cmap="viridis", vmin=0, vmax=1)
    axes[1].set(
        title="random Q, K with a causal mask", xlabel="key position", ylabel="query position"
    )
    journey.save_figure(fig, "13_attention_transformer", "numpy_attention_maps")


if __name__ == "__main__":
    main()

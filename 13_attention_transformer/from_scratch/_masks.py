"""Mask conventions and input checks for ``attention_numpy.py`` (NumPy only).

The lesson file computes attention; this module turns the masks PyTorch accepts into the two
things the softmax needs, and refuses inputs that would otherwise fail deep inside a matmul.

A mask becomes a pair ``(allowed, bias)``, each broadcastable to the scores (..., L, S):
``allowed`` is a boolean array (False = weight 0) or None; ``bias`` is a float array added to
the scores or None. The two PyTorch twins read a *boolean* mask in opposite ways:

- ``F.scaled_dot_product_attention``: True where a query MAY attend;
- ``nn.MultiheadAttention`` (``attn_mask`` and ``key_padding_mask``): True where it may NOT.

A float mask is added to the scores in both (0 keeps, -inf blocks). Integer masks are refused,
as PyTorch refuses them: a 0/1 integer mask would otherwise be added as a bias of +1.
"""

import numpy as np

ATTEND, BLOCK = "attend", "block"  # what True means in a boolean mask


def float_dtype(*arrays) -> np.dtype:
    """float32 when every input is float32 (fast, PyTorch's usual precision), float64 otherwise."""
    return np.dtype(
        np.float32 if all(np.asarray(a).dtype == np.float32 for a in arrays) else np.float64
    )


def mask_terms(mask, scores_shape: tuple[int, ...], name: str, true_means: str):
    """A boolean or float mask as ``(allowed, bias)``; ``(None, None)`` when there is no mask."""
    if mask is None:
        return None, None
    mask = np.asarray(mask)
    _check_broadcasts(mask, scores_shape, name)
    if mask.dtype == bool:
        return (mask if true_means == ATTEND else ~mask), None
    if mask.dtype.kind != "f":
        meaning = "may attend" if true_means == ATTEND else "may not attend"
        raise ValueError(
            f"{name} has dtype {mask.dtype}; only boolean or float masks are supported (as in "
            f"PyTorch): use {name}.astype(bool) (True = {meaning}) or a float mask (0 keeps, "
            "-inf blocks)"
        )
    mask = mask.astype(np.float64)
    if np.any(np.isnan(mask)) or np.any(mask == np.inf):
        raise ValueError(
            f"{name} contains NaN or +inf; a float mask holds 0 (keep) or -inf (block)"
        )
    return np.isfinite(mask), np.where(np.isfinite(mask), mask, 0.0)


def _check_broadcasts(mask: np.ndarray, scores_shape: tuple[int, ...], name: str) -> None:
    try:
        fits = np.broadcast_shapes(mask.shape, scores_shape) == tuple(scores_shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{name} has shape {mask.shape}, which does not broadcast to the attention "
            f"scores' shape (..., L, S) = {tuple(scores_shape)}"
        )


def combine(first, second):
    """Two ``(allowed, bias)`` pairs as one: allowed by both, biases added (None = nothing)."""
    (allowed_a, bias_a), (allowed_b, bias_b) = first, second
    if allowed_a is None or allowed_b is None:
        allowed = allowed_b if allowed_a is None else allowed_a
    else:
        allowed = allowed_a & allowed_b
    if bias_a is None or bias_b is None:
        bias = bias_b if bias_a is None else bias_a
    else:
        bias = bias_a + bias_b
    return allowed, bias


def multihead_mask_terms(attn_mask, key_padding_mask, scores_shape: tuple[int, int, int, int]):
    """``nn.MultiheadAttention``'s two masks (True = blocked) as one ``(allowed, bias)`` pair.

    ``attn_mask`` is (L, S), shared by every sample and head, or (B·h, L, S), one per sample
    and head; ``key_padding_mask`` is (B, S), the same for every head and query.
    """
    batch, heads, n_queries, n_keys = scores_shape
    terms = (None, None)
    if attn_mask is not None:
        attn_mask = np.asarray(attn_mask)
        if attn_mask.ndim == 3 and attn_mask.shape[0] == batch * heads:
            attn_mask = attn_mask.reshape(scores_shape)
        elif attn_mask.ndim != 2:
            raise ValueError(
                f"attn_mask must be (L, S) = {(n_queries, n_keys)} or (batch·num_heads, L, S) = "
                f"{(batch * heads, n_queries, n_keys)}, got {attn_mask.shape}"
            )
        terms = mask_terms(attn_mask, scores_shape, "attn_mask", BLOCK)
    if key_padding_mask is not None:
        key_padding_mask = np.asarray(key_padding_mask)
        if key_padding_mask.shape != (batch, n_keys):
            raise ValueError(
                f"key_padding_mask must have shape (batch, S) = {(batch, n_keys)}, "
                f"got {key_padding_mask.shape}"
            )
        padding = key_padding_mask[:, None, None, :]  # (B, 1, 1, S)
        terms = combine(terms, mask_terms(padding, scores_shape, "key_padding_mask", BLOCK))
    return terms


# ---- input checks ----------------------------------------------------------------------------


def _check_sequence(x: np.ndarray, name: str) -> None:
    if x.shape[-2] == 0:
        raise ValueError(f"{name} has sequence length 0: attention needs at least one position")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values; clean the inputs first")


def check_qkv(query, key, value) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """query (..., L, E), key (..., S, E), value (..., S, Ev) as arrays of one float dtype."""
    dtype = float_dtype(query, key, value)
    arrays = []
    for name, x in (("query", query), ("key", key), ("value", value)):
        x = np.asarray(x, dtype=dtype)
        if x.ndim < 2:
            raise ValueError(
                f"{name} must have at least 2 dimensions (..., seq_len, features), got {x.shape}"
            )
        _check_sequence(x, name)
        arrays.append(x)
    q, k, v = arrays
    if q.shape[:-2] != k.shape[:-2] or k.shape[:-2] != v.shape[:-2]:
        raise ValueError(
            "query, key and value must share their leading (batch, head) dimensions, "
            f"got {q.shape}, {k.shape}, {v.shape}"
        )
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"query and key must have the same feature size d_k, got {q.shape[-1]} and "
            f"{k.shape[-1]}"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"key and value must have the same sequence length, got {k.shape[-2]} and {v.shape[-2]}"
        )
    return q, k, v


def check_backward(d_output, weights, q, k, v) -> tuple[np.ndarray, np.ndarray]:
    """``d_output`` shaped like the output (..., L, Ev), ``weights`` like the scores (..., L, S)."""
    d_output = np.asarray(d_output, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    expected = {"d_output": q.shape[:-1] + v.shape[-1:], "weights": q.shape[:-1] + k.shape[-2:-1]}
    for name, array in (("d_output", d_output), ("weights", weights)):
        if array.shape != expected[name]:
            raise ValueError(
                f"{name} must have the shape {expected[name]} that query {q.shape}, key "
                f"{k.shape} and value {v.shape} give, got {array.shape}; pass the weights the "
                "forward pass returned and a gradient shaped like its output"
            )
    return d_output, weights


def check_multihead_inputs(query, key, value, embed_dim: int, dtype) -> list[np.ndarray]:
    """(B, L, E) queries and (B, S, E) keys and values, checked against ``embed_dim``."""
    arrays = [
        check_embedded(x, name, embed_dim, dtype)
        for x, name in ((query, "query"), (key, "key"), (value, "value"))
    ]
    query, key, value = arrays
    if key.shape[0] != query.shape[0] or value.shape[:2] != key.shape[:2]:
        raise ValueError(
            "query, key and value must share the batch size and key/value the length, "
            f"got {query.shape}, {key.shape}, {value.shape}"
        )
    return arrays


def check_embedded(x, name: str, embed_dim: int, dtype) -> np.ndarray:
    """A (batch, seq_len, embed_dim) array of finite numbers in ``dtype``."""
    x = np.asarray(x, dtype=dtype)
    if x.ndim != 3:
        raise ValueError(f"{name} must be 3-D (batch, seq_len, embed_dim), got shape {x.shape}")
    if x.shape[2] != embed_dim:
        raise ValueError(f"{name} has {x.shape[2]} features, but embed_dim={embed_dim}")
    _check_sequence(x, name)
    return x


def check_heads(embed_dim, num_heads) -> None:
    """``embed_dim`` a positive integer that ``num_heads`` divides (d_k = E / h)."""
    check_positive_int(embed_dim, "embed_dim")
    if not isinstance(num_heads, (int, np.integer)) or num_heads < 1 or embed_dim % num_heads:
        raise ValueError(
            f"num_heads must be a positive divisor of embed_dim={embed_dim}, got {num_heads!r}"
        )


def check_positive_int(value, name: str) -> None:
    if not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")

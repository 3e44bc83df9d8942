"""The stage's toy sequence task: reverse a short sequence of digits (NumPy only).

Input ``3 1 4 1 5`` → target ``5 1 4 1 3``. Every output position must copy the token from
the mirrored input position, so a model can only solve it by learning *where* to look: the
attention map of a trained model becomes the anti-diagonal. Both the NumPy demo and the
PyTorch Transformer read their data from here.
"""

import numpy as np

VOCAB = 10  # the digits 0..9


def reversal_task(n_sequences: int, length: int, *, vocab: int = VOCAB, seed: int = 0):
    """``n_sequences`` seeded random digit sequences (n, length) int64 and their reversals."""
    if n_sequences < 1 or length < 1:
        raise ValueError(f"n_sequences and length must be ≥ 1, got {n_sequences} and {length}")
    if vocab < 2:
        raise ValueError(f"vocab must be ≥ 2, got {vocab}")
    X = np.random.default_rng(seed).integers(0, vocab, size=(n_sequences, length))
    return X, X[:, ::-1].copy()


def check_tokens(tokens, shape: tuple, vocab: int, name: str = "tokens") -> np.ndarray:
    """Integer tokens in 0..vocab-1 of the given ``shape`` (None matches any length)."""
    tokens = np.asarray(tokens)
    if tokens.ndim != len(shape) or any(
        want is not None and got != want for got, want in zip(tokens.shape, shape, strict=True)
    ):
        wanted = ", ".join("n" if want is None else str(want) for want in shape)
        raise ValueError(f"{name} must have shape ({wanted}), got {tokens.shape}")
    if tokens.size and (tokens.min() < 0 or tokens.max() >= vocab):
        raise ValueError(f"{name} must be integers in 0..{vocab - 1}")
    return tokens


def token_accuracy(predicted, target) -> float:
    """The fraction of positions where the predicted token equals the target token."""
    predicted, target = np.asarray(predicted), np.asarray(target)
    if predicted.shape != target.shape:
        raise ValueError(
            f"predicted shape {predicted.shape} differs from target shape {target.shape}"
        )
    return float(np.mean(predicted == target))

"""NumPy parameter dicts named like PyTorch's ``state_dict`` (``fc1.weight``, ``weight_ih_l0``).

The from-scratch networks keep their weights in a plain ``dict`` of arrays under PyTorch's
names, so weights copy across in both directions. ``checked_state`` is the one gate every
``load_state_dict`` goes through: exactly the expected keys, the expected shapes, finite
values — a NaN weight would otherwise poison every prediction without a word.
"""

import numpy as np


def to_numpy(value, dtype=np.float64) -> np.ndarray:
    """An array from a NumPy array, a list or a torch tensor (without importing torch)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.array(value, dtype=dtype)


def copy_params(params: dict) -> dict[str, np.ndarray]:
    """Copies of every array, so that a saved state does not change with the model."""
    return {name: np.array(value, copy=True) for name, value in params.items()}


def checked_state(
    state: dict, expected_shapes: dict, *, dtype=np.float64, owner: str = "model", hint: str = ""
) -> dict[str, np.ndarray]:
    """Arrays from ``state`` with exactly the keys and shapes of ``expected_shapes``, all finite."""
    if not isinstance(state, dict):
        raise TypeError(f"a state dict must be a dict of arrays, got {type(state).__name__}")
    missing = sorted(set(expected_shapes) - set(state))
    unexpected = sorted(set(state) - set(expected_shapes))
    if missing or unexpected:
        raise ValueError(
            f"state dict does not match {owner}: missing {missing}, unexpected {unexpected}"
            + (f"; {hint}" if hint else "")
        )
    arrays = {}
    for name, shape in expected_shapes.items():
        value = to_numpy(state[name], dtype)
        if value.shape != tuple(shape):
            raise ValueError(f"{name} has shape {value.shape}, expected {tuple(shape)}")
        if not np.all(np.isfinite(value)):
            raise ValueError(
                f"{name} contains NaN or infinite values; the weights are corrupt "
                "(retrain, or load an earlier checkpoint)"
            )
        arrays[name] = value
    return arrays

"""The parameter dict behind every NumPy layer of ``attention_numpy.py`` (NumPy only).

Each layer keeps its arrays in ``params`` under PyTorch's names (``weight``, ``in_proj_bias``)
and its sub-layers in ``children`` (``out_proj``, ``linear1``), so ``state_dict`` gives the
same keys as the PyTorch twin (``out_proj.weight``) and weights copy across both ways.
"""

import numpy as np

from journey.params import checked_state, copy_params


class Module:
    """``state_dict`` / ``load_state_dict`` over ``params`` and the children's, prefixed."""

    params: dict[str, np.ndarray]
    children: dict[str, "Module"] = {}
    dtype = np.dtype(np.float64)

    def state_dict(self) -> dict[str, np.ndarray]:
        state = copy_params(self.params)
        for prefix, child in self.children.items():
            state.update({f"{prefix}.{k}": v for k, v in child.state_dict().items()})
        return state

    def load_state_dict(self, state: dict):
        """Copy in arrays or torch tensors: the same names, shapes and finite values only."""
        expected = {name: value.shape for name, value in self.state_dict().items()}
        self._assign(checked_state(state, expected, owner=type(self).__name__))
        return self

    def _assign(self, state: dict[str, np.ndarray]) -> None:
        for name in self.params:
            self.params[name] = state[name].astype(self.dtype)
        for prefix, child in self.children.items():
            child._assign(
                {k[len(prefix) + 1 :]: v for k, v in state.items() if k.startswith(prefix + ".")}
            )

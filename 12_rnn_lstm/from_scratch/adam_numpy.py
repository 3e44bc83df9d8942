"""Adam from scratch: the optimizer that trains this stage's NumPy LSTM, step for step as PyTorch's.

Adam (Kingma & Ba, 2015) keeps two exponential moving averages per parameter, of the gradient g
and of its square:

    m ← β1 m + (1 − β1) g          the direction (momentum)
    v ← β2 v + (1 − β2) g²         the scale (a running mean of g²)

Both start at 0, so after t steps only a fraction (1 − β^t) of their weight sits on real
gradients: they are biased towards 0. Dividing by that fraction removes the bias,

    m̂ = m / (1 − β1^t),   v̂ = v / (1 − β2^t),   p ← p − lr · m̂ / (√v̂ + ε)

so the very first step is lr · g / |g| = lr · sign(g) in every coordinate, whatever the scale
of g. Without the correction it would be (1 − β1) / √(1 − β2) ≈ 3.16 times that with PyTorch's
defaults (β1 = 0.9, β2 = 0.999), and the early steps would follow the ratio of two different
biases instead of the gradient.

Each coordinate gets its own step size lr / √v̂: a steep direction and a flat one move at a
similar pace. Plain gradient descent needs a learning rate below 2 / (largest curvature), so on
a badly scaled problem its flat directions crawl; ``main()`` shows both on such a quadratic.
"""

import argparse

import numpy as np


class Adam:
    """Adam with PyTorch's defaults, updating a dict of arrays in place.

    m ← β1 m + (1-β1) g,   v ← β2 v + (1-β2) g²,   p ← p - lr · m̂ / (√v̂ + ε)
    with the bias corrections m̂ = m / (1-β1^t), v̂ = v / (1-β2^t).
    """

    def __init__(self, params: dict, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8):
        self.params, self.lr, self.betas, self.eps, self.t = params, lr, betas, eps, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, grads: dict[str, np.ndarray]) -> None:
        b1, b2 = self.betas
        self.t += 1
        for name, p in self.params.items():
            # BEGIN SOLUTION 12.1
            # task: Adam on one parameter: both moving averages, their bias corrections, the step
            # hint: m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t); update p in place: p -= lr·m̂/(√v̂ + ε)
            g = grads[name]
            self.m[name] = b1 * self.m[name] + (1 - b1) * g
            self.v[name] = b2 * self.v[name] + (1 - b2) * g * g
            m_hat = self.m[name] / (1 - b1**self.t)
            v_hat = self.v[name] / (1 - b2**self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
            # END SOLUTION


def quadratic(w: np.ndarray, curvatures: np.ndarray) -> tuple[float, np.ndarray]:
    """f(w) = ½ Σ cᵢ wᵢ² and its gradient (cᵢ wᵢ): a bowl, steep along large cᵢ."""
    return float(0.5 * np.sum(curvatures * w * w)), curvatures * w


def descend(curvatures: np.ndarray, steps: int, lr: float, adam: bool) -> list[float]:
    """f after each of ``steps`` steps from w = (1, …, 1), by Adam or by plain gradient descent."""
    w = np.ones_like(curvatures)
    optimizer = Adam({"w": w}, lr=lr) if adam else None
    history = []
    for _ in range(steps):
        _, grad = quadratic(w, curvatures)
        if adam:
            optimizer.step({"w": grad})
        else:
            w -= lr * grad
        history.append(quadratic(w, curvatures)[0])
    return history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500, help="steps of each optimizer")
    parser.add_argument("--lr", type=float, default=0.05, help="Adam's learning rate")
    parser.add_argument("--condition", type=float, default=1000.0, help="largest / smallest c")
    args = parser.parse_args()
    curvatures = np.array([1.0, args.condition])
    gd_lr = 1.9 / curvatures.max()  # just below plain gradient descent's stability bound
    adam = descend(curvatures, args.steps, args.lr, adam=True)
    plain = descend(curvatures, args.steps, gd_lr, adam=False)
    print(
        f"f(w) = ½(w₀² + {args.condition:g}·w₁²) from w = (1, 1), f = {0.5 + args.condition / 2:g}"
    )
    for t in sorted({1, 10, 100, args.steps}):
        if t <= args.steps:
            print(
                f"step {t:5d}: Adam (lr {args.lr:g}) f = {adam[t - 1]:.3e}   "
                f"gradient descent (lr {gd_lr:.2e}) f = {plain[t - 1]:.3e}"
            )
    w = np.ones(2)
    Adam({"w": w}, lr=args.lr).step({"w": quadratic(w, curvatures)[1]})
    print(f"Adam's first step moves each coordinate by {np.round(1 - w, 6)} = lr·sign(g)")


if __name__ == "__main__":
    main()

"""Attention learns to reverse a sequence: one NumPy head trained by gradient descent.

Input ``3 1 4 1 5`` → target ``5 1 4 1 3``: position i must copy the token at position L-1-i,
so a model can only solve the task by learning *where* to look. The smallest model that has to
learn it is one attention head whose queries and keys depend on the position only and whose
values are the one-hot tokens; its gradients come from the hand-written backward pass of
``attention_numpy.py``. After training, its attention map is the anti-diagonal.
"""

import argparse

import numpy as np

import journey
from journey import parity

attention = journey.load_stage("13", "from_scratch/attention_numpy.py")
sequences = journey.load_stage("13", "from_scratch/_sequences.py")


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

    def _qkv(self, tokens):
        tokens = sequences.check_tokens(tokens, (None, self.length), self.vocab)
        positions = np.eye(self.length)
        q = np.broadcast_to(positions @ self.w_q, (len(tokens), self.length, self.w_q.shape[1]))
        return q, np.broadcast_to(positions @ self.w_k, q.shape), np.eye(self.vocab)[tokens]

    def loss_and_gradients(self, tokens, targets) -> tuple[float, np.ndarray, np.ndarray]:
        """Mean negative log-likelihood and its gradients for W_q and W_k.

        ∂L/∂ŷ_i[y_i] = -1 / (N ŷ_i[y_i]) over the N predicted tokens; then back through
        attention, and Q = P_pos W_q gives ∂L/∂W_q = P_posᵀ ∂L/∂Q (summed over sequences).
        """
        q, k, v = self._qkv(tokens)
        targets = sequences.check_tokens(targets, q.shape[:2], self.vocab, "targets")
        probs, weights = attention.scaled_dot_product_attention(q, k, v)
        # BEGIN SOLUTION 13.5
        # task: the mean NLL of the target tokens and its gradients for W_q and W_k (see docstring)
        # hint: ŷ_i[y_i] by np.take_along_axis; ∂L/∂ŷ by np.put_along_axis; then attention backward
        picked = np.take_along_axis(probs, targets[..., None], axis=-1)[..., 0]
        d_probs = np.zeros_like(probs)
        d_picked = (-1.0 / picked.size / picked)[..., None]
        np.put_along_axis(d_probs, targets[..., None], d_picked, axis=-1)
        d_q, d_k, _ = attention.scaled_dot_product_attention_backward(d_probs, q, k, v, weights)
        positions = np.eye(self.length)
        loss = float(-np.mean(np.log(picked)))
        return loss, positions.T @ d_q.sum(axis=0), positions.T @ d_k.sum(axis=0)
        # END SOLUTION

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
        return attention.scaled_dot_product_attention(q, k, v)[1][0]

    def predict(self, tokens) -> np.ndarray:
        q, k, v = self._qkv(tokens)
        return attention.scaled_dot_product_attention(q, k, v)[0].argmax(axis=-1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    steps = 100 if journey.is_quick() else 300
    parser.add_argument("--steps", type=int, default=steps, help="gradient-descent steps")
    parser.add_argument("--length", type=int, default=8, help="digits per sequence")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    X_train, y_train = sequences.reversal_task(512, args.length, seed=args.seed)
    X_test, y_test = sequences.reversal_task(256, args.length, seed=args.seed + 1)
    model = ReversalAttention(args.length, sequences.VOCAB, seed=args.seed)
    model.fit(X_train, y_train, steps=args.steps)
    accuracy = sequences.token_accuracy(model.predict(X_test), y_test)
    curve = model.loss_curve_
    print(
        f"reversal: loss {curve[0]:.3f} → {curve[-1]:.3f}, held-out token accuracy {accuracy:.3f}"
    )
    parity.at_least("NumPy attention learns reversal: held-out token accuracy", accuracy, 0.95)

    fig, axes = journey.plotting.pyplot().subplots(1, 2, figsize=(9, 4))
    axes[0].imshow(model.attention(), cmap="viridis", vmin=0, vmax=1)
    axes[0].set(title="learned attention", xlabel="key position", ylabel="query position")
    axes[1].plot(curve)
    axes[1].set(title="training loss", xlabel="gradient step", ylabel="cross-entropy", yscale="log")
    journey.save_figure(fig, "13_attention_transformer", "numpy_attention_maps")


if __name__ == "__main__":
    main()

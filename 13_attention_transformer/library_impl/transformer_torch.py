"""A minimal Transformer in PyTorch (nn.MultiheadAttention, LayerNorm, MLP) that reverses digits.

Each sequence of digits is embedded (token embedding + learned position embedding), passed
through pre-norm Transformer blocks

    x = x + MultiheadAttention(LN1(x))
    x = x + Linear2(relu(Linear1(LN2(x))))

and a final LayerNorm + Linear head predicts, at every position, the token of the reversed
sequence. Cross-entropy over all positions, Adam. The block's parameter names
(``self_attn.in_proj_weight``, ``linear1.weight``, ``norm1.weight`` …) are those of
``nn.TransformerEncoderLayer(norm_first=True)`` and of the NumPy ``TransformerBlock`` in
``from_scratch/attention_numpy.py``, so weights copy across all three.
"""

import argparse

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

import journey
from journey import parity
from journey.cli import deep_learning_flags

LSTM = journey.load_stage("12", "library_impl/lstm_forecaster_torch.py")


class TransformerBlock(nn.Module):
    """Pre-norm encoder block: self-attention and a feed-forward net, each inside a residual."""

    def __init__(self, d_model: int, num_heads: int, dim_feedforward: int):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, num_heads, dropout=0.0, batch_first=True)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)

    def forward(self, x, attn_mask=None, key_padding_mask=None, need_weights: bool = False):
        h = self.norm1(x)
        attended, weights = self.self_attn(
            h,
            h,
            h,
            key_padding_mask=key_padding_mask,
            attn_mask=attn_mask,
            need_weights=need_weights,
            average_attn_weights=False,
        )
        x = x + attended
        x = x + self.linear2(torch.relu(self.linear1(self.norm2(x))))
        return (x, weights) if need_weights else x


class ReversalTransformer(nn.Module):
    """Token + position embeddings → Transformer blocks → LayerNorm → per-position token logits."""

    def __init__(
        self,
        length: int,
        vocab: int = 10,
        d_model: int = 64,
        num_heads: int = 4,
        dim_feedforward: int = 128,
        num_layers: int = 1,
    ):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, d_model)
        self.position_embedding = nn.Embedding(length, d_model)
        self.blocks = nn.ModuleList(
            TransformerBlock(d_model, num_heads, dim_feedforward) for _ in range(num_layers)
        )
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab)

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        return self.token_embedding(tokens) + self.position_embedding(positions)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))

    @torch.no_grad()
    def attention_maps(self, tokens: torch.Tensor) -> list[torch.Tensor]:
        """Per-block attention weights (batch, heads, L, L) for ``tokens``."""
        x, maps = self.embed(tokens), []
        for block in self.blocks:
            x, weights = block(x, need_weights=True)
            maps.append(weights)
        return maps


@torch.no_grad()
def predict(model: nn.Module, X: np.ndarray, device=None) -> np.ndarray:
    """Predicted tokens (n, L) as a NumPy array."""
    model.eval()
    return model(torch.as_tensor(X, device=device)).argmax(dim=-1).cpu().numpy()


def train_reversal(
    model: nn.Module, X_train, y_train, X_test, y_test, *, batch_size=128, lr=3e-3, **loop
) -> dict[str, list[float]]:
    """Adam on per-token cross-entropy; returns per-epoch loss, held-out accuracy and seconds.

    The loop is stage 12's ``fit_with_adam``; ``loop`` holds its ``epochs``, ``device``,
    ``seed`` (default 0) and ``log`` (default ``print``).
    """
    dataset = TensorDataset(torch.as_tensor(X_train), torch.as_tensor(y_train))
    loss_fn = nn.CrossEntropyLoss()

    def token_loss(xb, yb):
        logits = model(xb)
        return loss_fn(logits.reshape(-1, logits.shape[-1]), yb.reshape(-1))

    def held_out_accuracy():
        return float(np.mean(predict(model, X_test, loop["device"]) == y_test))

    return LSTM.fit_with_adam(
        model,
        dataset,
        token_loss,
        held_out_accuracy,
        names=("loss", "test_accuracy"),
        batch_size=batch_size,
        lr=lr,
        **loop,
    )


def plot_attention(weights: np.ndarray, tokens: np.ndarray, title: str):
    """One heatmap per head: rows are query positions, columns key positions, labelled by token."""
    from journey.plotting import pyplot

    plt = pyplot()
    n_heads = weights.shape[0]
    fig, axes = plt.subplots(1, n_heads, figsize=(3.2 * n_heads, 3.4), squeeze=False)
    labels = [str(t) for t in tokens]
    for head, ax in enumerate(axes[0]):
        ax.imshow(weights[head], cmap="viridis", vmin=0, vmax=1)
        ax.set(
            title=f"head {head}",
            xlabel="key (input token)",
            xticks=range(len(labels)),
            yticks=range(len(labels)),
            xticklabels=labels,
            yticklabels=labels,
        )
    axes[0][0].set_ylabel("query (input token at that position)")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_accuracy(test_accuracy: list[float]):
    """Held-out token accuracy per epoch against the 95% bar."""
    fig, ax = journey.plotting.pyplot().subplots(figsize=(6, 3.5))
    ax.plot(range(1, len(test_accuracy) + 1), test_accuracy, marker="o")
    ax.axhline(0.95, color="k", ls="--", label="95% bar")
    ax.set(
        xlabel="epoch",
        ylabel="held-out token accuracy",
        title="learning to reverse",
        ylim=(0, 1.02),
    )
    ax.legend()
    return fig


def main() -> None:
    quick = journey.is_quick()
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        parents=[deep_learning_flags(epochs=4 if quick else 6)],
        epilog="--data-dir is not used: the sequences are generated from the seed.",
    )
    parser.add_argument(
        "--length", type=int, default=6 if quick else 12, help="digits per sequence"
    )
    parser.add_argument("--n-train", type=int, default=2000 if quick else 5000)
    parser.add_argument("--d-model", type=int, default=32 if quick else 64)
    parser.add_argument("--heads", type=int, default=2 if quick else 4)
    parser.add_argument("--layers", type=int, default=1)
    args = parser.parse_args()
    device = journey.device(args.device)
    journey.seed_everything(args.seed)
    sequences = journey.load_stage("13", "from_scratch/_sequences.py")

    X_train, y_train = sequences.reversal_task(args.n_train, args.length, seed=args.seed)
    X_test, y_test = sequences.reversal_task(1000, args.length, seed=args.seed + 1)
    model = ReversalTransformer(
        args.length,
        d_model=args.d_model,
        num_heads=args.heads,
        dim_feedforward=2 * args.d_model,
        num_layers=args.layers,
    ).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"reversing {args.length} digits: {len(X_train)} training sequences, "
        f"{n_params} parameters, on {device}"
    )
    history = train_reversal(
        model, X_train, y_train, X_test, y_test, epochs=args.epochs, device=device, seed=args.seed
    )
    accuracy = history["test_accuracy"][-1]
    print(
        f"held-out token accuracy {accuracy:.3f} after {args.epochs} epochs "
        f"({np.mean(history['seconds']):.2f} s/epoch on {device})"
    )
    parity.at_least(
        "torch Transformer reverses digits: held-out token accuracy", accuracy, 0.95, side="library"
    )

    path = journey.stage_output_dir("13_attention_transformer") / "reversal_transformer.pt"
    torch.save(model.state_dict(), path)
    print(f"weights written: {path}")
    example = X_test[:1]
    weights = model.attention_maps(torch.as_tensor(example, device=device))[0][0].cpu().numpy()
    journey.save_figure(
        plot_attention(weights, example[0], "trained Transformer: attention while reversing"),
        "13_attention_transformer",
        "torch_attention_heatmap",
    )
    journey.save_figure(
        plot_accuracy(history["test_accuracy"]),
        "13_attention_transformer",
        "torch_reversal_accuracy",
    )


if __name__ == "__main__":
    main()

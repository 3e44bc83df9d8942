"""The same two-layer network in PyTorch: nn.Linear, nn.ReLU / nn.Tanh, torch.optim.SGD.

Autograd replaces the hand-written backward pass, ``nn.Linear`` holds the weights and
``F.cross_entropy`` fuses the stable log-softmax with the negative log-likelihood. The
parameter names (``fc1.weight`` (H, D), ``fc1.bias``, ``fc2.weight`` (K, H), ``fc2.bias``)
match the NumPy version, so ``copy_state_from_numpy`` / ``state_to_numpy`` move the
weights across in either direction.

Run: python mlp_two_layer_pytorch.py [--device auto] [--epochs N] [--seed 0] [--data-dir DIR]
"""

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class TwoLayerMLP(nn.Module):
    """input → fc1 → ReLU/tanh → fc2; the logits (softmax lives in the loss)."""

    def __init__(self, n_features: int, n_hidden: int, n_classes: int, activation: str = "relu"):
        super().__init__()
        if activation not in ("relu", "tanh"):
            raise ValueError(f"activation must be 'relu' or 'tanh', got {activation!r}")
        self.activation = activation
        self.fc1 = nn.Linear(n_features, n_hidden)
        self.act = nn.ReLU() if activation == "relu" else nn.Tanh()
        self.fc2 = nn.Linear(n_hidden, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


def init_weights_(model: TwoLayerMLP, generator: torch.Generator) -> TwoLayerMLP:
    """He-normal (ReLU) or Xavier-uniform (tanh) for fc1, Xavier-uniform for fc2, zero biases.

    The same schemes as the NumPy version, drawn from PyTorch's own seeded generator
    (nn.Linear's default would be a Kaiming-uniform variant instead).
    """
    with torch.no_grad():
        if model.activation == "relu":
            nn.init.kaiming_normal_(model.fc1.weight, nonlinearity="relu", generator=generator)
        else:
            nn.init.xavier_uniform_(model.fc1.weight, generator=generator)
        nn.init.xavier_uniform_(model.fc2.weight, generator=generator)
        nn.init.zeros_(model.fc1.bias)
        nn.init.zeros_(model.fc2.bias)
    return model


def build(
    n_features: int,
    n_hidden: int,
    n_classes: int,
    activation: str = "relu",
    *,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
    device="cpu",
) -> TwoLayerMLP:
    """A freshly initialised model from ``torch.Generator().manual_seed(seed)``."""
    model = TwoLayerMLP(n_features, n_hidden, n_classes, activation)
    init_weights_(model, torch.Generator().manual_seed(seed))
    return model.to(device=device, dtype=dtype)


def copy_state_from_numpy(model: nn.Module, state: dict[str, np.ndarray]) -> nn.Module:
    """Load NumPy arrays (e.g. a scratch ``state_dict()``) into ``model``, cast to its dtype."""
    reference = model.state_dict()
    model.load_state_dict(
        {
            k: torch.as_tensor(v, dtype=reference[k].dtype, device=reference[k].device)
            for k, v in state.items()
        }
    )
    return model


def state_to_numpy(model: nn.Module) -> dict[str, np.ndarray]:
    """The model's parameters as float64 NumPy arrays, keyed like the scratch model."""
    return {k: v.detach().cpu().double().numpy().copy() for k, v in model.state_dict().items()}


def train_step(
    model: nn.Module, optimizer: torch.optim.Optimizer, xb: torch.Tensor, yb: torch.Tensor
) -> float:
    """One SGD step on a batch; returns the batch loss before the step."""
    optimizer.zero_grad()
    loss = F.cross_entropy(model(xb), yb)
    loss.backward()
    optimizer.step()
    return loss.item()


def fit(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int,
    batch_size: int = 32,
    learning_rate: float = 0.1,
    seed: int = 0,
    log_every: int = 0,
) -> list[float]:
    """Mini-batch SGD on shuffled batches; returns the mean training loss of each epoch.

    The data already sit in memory as tensors, so batches are slices of a seeded
    ``torch.randperm`` order: what ``DataLoader(..., shuffle=True)`` does, without its
    per-epoch start-up cost (XOR trains for 200 epochs of a single batch).
    """
    from journey import progress

    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    curve = []
    model.train()
    for epoch in progress(range(1, epochs + 1), desc="epochs"):
        start, total = time.perf_counter(), 0.0
        order = torch.randperm(len(y), generator=generator).to(X.device)
        for idx in order.split(batch_size):
            total += train_step(model, optimizer, X[idx], y[idx]) * len(idx)
        curve.append(total / len(y))
        if log_every and (epoch % log_every == 0 or epoch == epochs):
            print(
                f"  epoch {epoch:4d}  loss {curve[-1]:.4f}  train acc {accuracy(model, X, y):.2%}  "
                f"{time.perf_counter() - start:.3f} s"
            )
    return curve


@torch.no_grad()
def predict(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Class indices: the argmax of the logits."""
    model.eval()
    return model(X).argmax(dim=1)


def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    return float((predict(model, X) == y).double().mean())


def _tensors(X, y, device):
    return torch.as_tensor(X, dtype=torch.float32, device=device), torch.as_tensor(y, device=device)


def train_xor(seed: int, device) -> None:
    """XOR with the NumPy script's settings (8 tanh units, full-batch steps): 100 % expected."""
    from journey import load_stage, parity
    from journey.data import logic_gate

    settings = dict(load_stage("04", "from_scratch/mlp_two_layer_numpy.py").XOR_SETTINGS)
    training = {k: settings.pop(k) for k in ("epochs", "learning_rate", "batch_size")}
    X, y = _tensors(*logic_gate("XOR"), device)
    xor = build(2, n_classes=2, seed=seed, device=device, **settings)
    fit(xor, X, y, seed=seed, **training)
    print(f"XOR: accuracy {accuracy(xor, X, y):.0%}")
    parity.at_least("PyTorch MLP: XOR training accuracy", accuracy(xor, X, y), 1.0, side="library")


def train_digits(args, epochs: int, device, figures) -> None:
    """Digits (64 pixels, 10 classes) with the command-line settings; ≥ 96 % test accuracy."""
    import journey
    from journey import parity
    from journey.data import standardised_split

    X_train, X_test, y_train, y_test = standardised_split("digits", seed=args.seed)
    (X_train, y_train), (X_test, y_test) = (
        _tensors(X_train, y_train, device),
        _tensors(X_test, y_test, device),
    )
    model = build(X_train.shape[1], args.hidden, 10, args.activation, seed=args.seed, device=device)
    print(f"digits on {device}: {epochs} epochs")
    curve = fit(
        model,
        X_train,
        y_train,
        epochs=epochs,
        learning_rate=args.lr,
        seed=args.seed,
        log_every=max(1, epochs // 5),
    )
    test_accuracy = accuracy(model, X_test, y_test)
    print(f"digits: test accuracy {test_accuracy:.2%}, final training loss {curve[-1]:.4f}")
    parity.at_least("PyTorch MLP: digits test accuracy", test_accuracy, 0.96, side="library")
    journey.save_figure(
        figures.plot_loss_curves({"PyTorch MLP": curve}, "digits: training loss"),
        "04_mlp",
        "pytorch_digits_loss",
    )


def train_moons(args, quick: bool, device, figures) -> None:
    """Two interleaved half-moons, 32 units: the curved decision regions as a figure."""
    import journey
    from journey.data import moons
    from journey.plotting import pyplot

    Xm, ym = moons(150 if quick else 400, noise=0.2, seed=args.seed)
    moon = build(2, 32, 2, args.activation, seed=args.seed, device=device)
    epochs = 100 if quick else 300
    fit(moon, *_tensors(Xm, ym, device), epochs=epochs, learning_rate=0.2, seed=args.seed)

    def predict_numpy(grid):
        grid = torch.as_tensor(grid, dtype=torch.float32, device=device)
        return predict(moon, grid).cpu().numpy()

    fig, ax = pyplot().subplots(figsize=(5, 4))
    train_acc = float(np.mean(predict_numpy(Xm) == ym))
    print(f"moons: training accuracy {train_acc:.2%}")
    figures.plot_decision_regions(
        ax, predict_numpy, Xm, ym, f"PyTorch MLP on moons ({train_acc:.0%} train acc.)"
    )
    journey.save_figure(fig, "04_mlp", "pytorch_moons_decision_regions")


def main(argv=None) -> int:
    import journey
    from journey.cli import deep_learning_flags

    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], parents=[deep_learning_flags(epochs=30)]
    )
    parser.add_argument("--hidden", type=int, default=64, help="hidden units (default: 64)")
    parser.add_argument("--activation", choices=("relu", "tanh"), default="relu")
    parser.add_argument("--lr", type=float, default=0.1, help="SGD step size (default: 0.1)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads for PyTorch; these networks are so small that extra threads only add "
        "synchronisation overhead",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    journey.seed_everything(args.seed)
    device = journey.device(args.device)
    quick = journey.is_quick()
    scratch = journey.load_stage("04", "from_scratch/mlp_two_layer_numpy.py")
    figures = journey.load_stage("04", "from_scratch/_mlp_figures.py")
    epochs = min(args.epochs, scratch.QUICK_DIGITS_EPOCHS) if quick else args.epochs

    train_xor(args.seed, device)
    train_digits(args, epochs, device, figures)
    train_moons(args, quick, device, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

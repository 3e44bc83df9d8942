"""The new 10-class head in PyTorch: ``nn.Linear(512, 10)`` trained on cached features.

Objective: mean cross-entropy + (λ/2)·||W||² — weight decay on the weight only, not the bias —
the same objective as the NumPy head in ``from_scratch/softmax_regression_numpy.py``.
``SGD(weight_decay=λ)`` adds λW to the weight's gradient, the gradient of (λ/2)||W||².
"""

import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

NUM_CLASSES = 10


def train_one_epoch(model: nn.Module, batches, optimizer, device="cpu") -> tuple[float, float]:
    """One pass of cross-entropy SGD over ``batches``; returns (mean loss, training accuracy)."""
    total, correct, seen = 0.0, 0, 0
    for x, y in batches:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(x)
        correct += (logits.argmax(1) == y).sum().item()
        seen += len(x)
    return total / seen, correct / seen


def sgd_decaying_the_weight_only(head: nn.Linear, *, lr: float, l2: float, momentum: float = 0.0):
    """SGD whose weight decay λ applies to ``head.weight`` and not to ``head.bias``."""
    groups = [
        {"params": [head.weight], "weight_decay": l2},
        {"params": [head.bias], "weight_decay": 0.0},
    ]
    return torch.optim.SGD(groups, lr=lr, momentum=momentum)


def train_linear_head(
    train_x,
    train_y,
    *,
    num_classes: int = NUM_CLASSES,
    epochs: int = 50,
    lr: float = 0.05,
    l2: float = 1e-2,
    batch_size: int = 32,
    seed: int = 0,
    device="cpu",
    verbose: bool = True,
):
    """Train ``nn.Linear(D, num_classes)`` on standardised features with minibatch SGD + momentum.

    Returns ``(head, mean, std, history)``; per epoch the history holds the mean minibatch
    loss, the training accuracy, the full-data objective at the epoch's end and the steps so
    far. The head expects standardised inputs (x - mean)/std — ``fold_standardisation``
    removes that.
    """
    x = torch.as_tensor(train_x, dtype=torch.float32)
    y = torch.as_tensor(train_y, dtype=torch.long)
    mean, std = x.mean(0), x.std(0, unbiased=False)
    std = torch.where(std > 0, std, torch.ones_like(std))
    torch.manual_seed(seed)
    head = nn.Linear(x.shape[1], num_classes).to(device)
    optimizer = sgd_decaying_the_weight_only(head, lr=lr, l2=l2, momentum=0.9)
    xs = (x - mean) / std
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(
        TensorDataset(xs, y), batch_size=batch_size, shuffle=True, generator=generator
    )
    history = []
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        loss, accuracy = train_one_epoch(head, loader, optimizer, device)
        history.append(
            {
                "epoch": epoch,
                "loss": loss,
                "accuracy": accuracy,
                "objective": objective(head, xs.to(device), y.to(device), l2),
                "steps": epoch * len(loader),
            }
        )
        if verbose and (epoch == 1 or epoch == epochs or epoch % max(1, epochs // 5) == 0):
            print(
                f"head epoch {epoch:3d}  loss {loss:.4f}  train acc {accuracy:.3f}  "
                f"{time.perf_counter() - start:.2f} s"
            )
    return head.cpu(), mean, std, history


@torch.no_grad()
def objective(head: nn.Linear, x: torch.Tensor, y: torch.Tensor, l2: float) -> float:
    """Mean cross-entropy + (λ/2)||W||² over the whole training set."""
    return (F.cross_entropy(head(x), y) + 0.5 * l2 * head.weight.pow(2).sum()).item()


def train_linear_head_gd(
    train_x,
    train_y,
    *,
    lr: float,
    n_iter: int,
    l2: float = 0.0,
    num_classes: int | None = None,
    dtype=torch.float64,
) -> nn.Linear:
    """Full-batch gradient descent on ``nn.Linear`` from zero weights: step for step the NumPy head.

    In float64 the two implementations follow the same trajectory.
    """
    x = torch.as_tensor(np.asarray(train_x), dtype=dtype)
    y = torch.as_tensor(np.asarray(train_y), dtype=torch.long)
    head = nn.Linear(x.shape[1], num_classes or int(y.max()) + 1, dtype=dtype)
    nn.init.zeros_(head.weight)
    nn.init.zeros_(head.bias)
    optimizer = sgd_decaying_the_weight_only(head, lr=lr, l2=l2)
    for _ in range(n_iter):
        loss = F.cross_entropy(head(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return head


@torch.no_grad()
def fold_standardisation(head: nn.Linear, mean: torch.Tensor, std: torch.Tensor) -> nn.Linear:
    """A Linear on *raw* features equal to ``head`` on standardised ones.

    W (x - μ)/σ + b = (W/σ) x + (b - W(μ/σ)), so the saved network needs no extra layer.
    """
    folded = nn.Linear(head.in_features, head.out_features, dtype=head.weight.dtype)
    folded.weight.copy_(head.weight / std)
    folded.bias.copy_(head.bias - head.weight @ (mean / std))
    return folded

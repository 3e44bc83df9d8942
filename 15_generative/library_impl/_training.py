"""The one training loop of the stage-15 PyTorch models.

The autoencoder, the VAE and the GAN train the same way — seeded mini-batches, one
optimization step per batch, a row of averages per epoch — and differ only in what that step
does. Each script writes its step (its loss, its optimizers) and hands it to ``train_epochs``.

Not a script (the leading underscore keeps the runner from executing it).
"""

import math
import time
from collections.abc import Callable, Iterable

import torch
from torch import nn


def train_epochs(
    step: Callable[[torch.Tensor], dict[str, float]],
    x_train: torch.Tensor,
    *,
    models: Iterable[nn.Module],
    epochs: int,
    batch_size: int = 128,
    seed: int = 0,
    device="cpu",
    after_epoch: Callable[[int], dict] | None = None,
    describe: Callable[[dict], str] | None = None,
    verbose: bool = True,
) -> list[dict]:
    """Run ``epochs`` passes over ``x_train`` in seeded mini-batches; return one row per epoch.

    ``step(batch)`` takes one optimization step on a batch (already on ``device``) and returns
    the numbers to log; the epoch's row holds their mean over the images, the epoch, its
    seconds and whatever ``after_epoch(epoch)`` adds (test metrics, say). ``seed`` fixes the
    batch order (a generator of its own) and the steps' noise: that is drawn from PyTorch's
    global generator, which this function reseeds with ``torch.manual_seed(seed)`` — the
    caller's global random stream restarts from ``seed`` here.
    """
    models = list(models)
    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    history = []
    for epoch in range(1, epochs + 1):
        for model in models:
            model.train()
        start, sums = time.perf_counter(), {}
        for batch in shuffled_batches(x_train, batch_size, order):
            batch = batch.to(device)
            for name, value in step(batch).items():
                sums[name] = sums.get(name, 0.0) + value * len(batch)
        row = {"epoch": epoch, **{name: total / len(x_train) for name, total in sums.items()}}
        row["seconds"] = time.perf_counter() - start
        row.update(after_epoch(epoch) if after_epoch else {})
        history.append(row)
        if verbose and (epoch == 1 or epoch == epochs or epoch % max(1, epochs // 8) == 0):
            text = describe(row) if describe else _describe(row)
            print(f"epoch {epoch:4d}  {text}  {row['seconds']:.2f} s")
    return history


def descend(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    """One gradient step on ``loss`` for the parameters ``optimizer`` holds."""
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def shuffled_batches(x: torch.Tensor, batch_size: int, generator: torch.Generator):
    """Mini-batches of ``x`` in a fresh seeded order (the whole set is one tensor in memory)."""
    order = torch.randperm(len(x), generator=generator)
    for start in range(0, len(x), batch_size):
        yield x[order[start : start + batch_size]]


def epochs_for(n_samples: int, batch_size: int, steps: int) -> int:
    """Epochs for about ``steps`` optimization steps: one budget for MNIST and the stand-in."""
    return max(1, math.ceil(steps / math.ceil(n_samples / batch_size)))


def _describe(row: dict) -> str:
    return "  ".join(f"{k} {v:.4g}" for k, v in row.items() if k not in ("epoch", "seconds"))

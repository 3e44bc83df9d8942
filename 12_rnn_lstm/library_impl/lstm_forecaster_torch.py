"""An ``nn.LSTM`` + ``nn.Linear`` forecaster in PyTorch: past window → the next ``horizon`` values.

The model reads the window step by step; its last hidden state h_T summarises the past and
a linear head maps it to all future steps at once (a "direct" multi-step forecast):

    output, (h_n, c_n) = LSTM(x)        x: (batch, window, 1)
    ŷ = W h_T + b                        ŷ: (batch, horizon)

Trained with MSE and Adam on the stage's seeded noisy sum of sines, and judged against the
naive last-value forecast on held-out windows from the end of the series. The state dict
(``lstm.weight_ih_l0`` …, ``head.weight``, ``head.bias``) loads straight into the NumPy
twin in ``from_scratch/rnn_lstm_numpy.py``.
"""

import argparse
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import journey
from journey import parity
from journey.cli import deep_learning_flags

WINDOW, HORIZON = 40, 10


class LSTMForecaster(nn.Module):
    """``nn.LSTM`` (batch-first) followed by ``nn.Linear`` on the last time step."""

    def __init__(self, hidden_size: int = 32, num_layers: int = 1, horizon: int = HORIZON):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden_size, num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output, _ = self.lstm(x)
        return self.head(output[:, -1])


def windows_to_tensor(X: np.ndarray, device=None, dtype=torch.float32) -> torch.Tensor:
    """(n, window) NumPy windows → (n, window, 1) tensor: one feature per time step."""
    return torch.as_tensor(np.asarray(X)[:, :, None], dtype=dtype, device=device)


@torch.no_grad()
def predict(model: nn.Module, X: np.ndarray, device=None) -> np.ndarray:
    """Forecasts (n, horizon) as a float64 NumPy array."""
    model.eval()
    dtype = next(model.parameters()).dtype
    return model(windows_to_tensor(X, device, dtype)).cpu().double().numpy()


def fit_with_adam(
    model: nn.Module,
    dataset: TensorDataset,
    batch_loss,
    held_out,
    *,
    names: tuple[str, str],
    epochs: int,
    device,
    batch_size: int,
    lr: float,
    seed: int = 0,
    log=print,
) -> dict[str, list[float]]:
    """Seeded mini-batch Adam on ``batch_loss(xb, yb)``, scored by ``held_out()`` after each epoch.

    Returns the per-epoch history: ``names[0]`` the mean training loss, ``names[1]`` the
    held-out score, ``seconds`` the training time; ``log`` gets one line per epoch. Stage 13's
    Transformer trains with this same loop.
    """
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    train_name, test_name = names
    history = {train_name: [], test_name: [], "seconds": []}
    for epoch in journey.progress(range(1, epochs + 1), desc=f"{type(model).__name__} epochs"):
        start, total = time.perf_counter(), 0.0
        model.train()
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = batch_loss(xb, yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        history["seconds"].append(time.perf_counter() - start)
        history[train_name].append(total / len(dataset))
        history[test_name].append(held_out())
        log(f"epoch {epoch:3d}  " + "  ".join(f"{k} {v[-1]:.4f}" for k, v in history.items()))
    return history


def train_forecaster(
    model: nn.Module, X_train, y_train, X_test, y_test, *, device, batch_size=64, lr=1e-2, **loop
) -> dict[str, list[float]]:
    """Mini-batch Adam on MSE; returns per-epoch training loss, held-out MSE and seconds.

    ``loop`` holds ``fit_with_adam``'s ``epochs``, ``seed`` (default 0) and ``log`` (``print``).
    """
    dataset = TensorDataset(
        windows_to_tensor(X_train), torch.as_tensor(y_train, dtype=torch.float32)
    )
    loss_fn = nn.MSELoss()

    def held_out_mse():
        return float(np.mean((predict(model, X_test, device) - y_test) ** 2))

    return fit_with_adam(
        model,
        dataset,
        lambda xb, yb: loss_fn(model(xb), yb),
        held_out_mse,
        names=("train_mse", "test_mse"),
        device=device,
        batch_size=batch_size,
        lr=lr,
        **loop,
    )


def plot_forecasts(X_test, y_test, forecasts: dict[str, np.ndarray], indices):
    """History, truth and each forecast for a few held-out windows (one panel per window)."""
    from journey.plotting import pyplot

    plt = pyplot()
    fig, axes = plt.subplots(1, len(indices), figsize=(4.2 * len(indices), 3.2), sharey=True)
    window, horizon = X_test.shape[1], y_test.shape[1]
    past, future = np.arange(-window + 1, 1), np.arange(1, horizon + 1)
    for ax, i in zip(np.atleast_1d(axes), indices, strict=True):
        ax.plot(past, X_test[i], color="0.5", label="history")
        ax.plot(future, y_test[i], color="k", marker=".", label="truth")
        for name, forecast in forecasts.items():
            ax.plot(future, forecast[i], marker="x" if "naive" in name else "o", ms=4, label=name)
        ax.axvline(0.5, color="0.8", lw=1)
        ax.set(title=f"held-out window {i}", xlabel="time step (0 = last observed)")
    np.atleast_1d(axes)[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def curves_figure(history: dict, mse_naive: float):
    """Training and held-out MSE per epoch, with the naive forecast's MSE for scale."""
    from journey.plotting import pyplot

    fig, ax = pyplot().subplots(figsize=(6, 3.5))
    epochs = range(1, len(history["train_mse"]) + 1)
    ax.plot(epochs, history["train_mse"], marker="o", label="train")
    ax.plot(epochs, history["test_mse"], marker="o", label="held-out")
    ax.axhline(mse_naive, color="k", ls="--", label="naive last value")
    ax.set(xlabel="epoch", ylabel="MSE", yscale="log", title="PyTorch LSTM forecaster")
    ax.legend()
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        parents=[deep_learning_flags(epochs=8 if journey.is_quick() else 20)],
        epilog="The series is generated from --seed, so --data-dir is not used by this stage.",
    )
    parser.add_argument("--hidden-size", type=int, default=32, help="LSTM units (default: 32)")
    args = parser.parse_args()
    device = journey.device(args.device)
    journey.seed_everything(args.seed)
    timeseries = journey.load_stage("12", "from_scratch/_timeseries.py")

    n_steps = 600 if journey.is_quick() else 2000
    X_train, y_train, X_test, y_test = timeseries.forecasting_split(
        n_steps, WINDOW, HORIZON, seed=args.seed
    )
    print(f"{len(X_train)} training windows, {len(X_test)} held-out windows on {device}")

    model = LSTMForecaster(args.hidden_size).to(device)
    history = train_forecaster(
        model, X_train, y_train, X_test, y_test, epochs=args.epochs, device=device, seed=args.seed
    )
    print(f"{np.mean(history['seconds']):.2f} s/epoch on {device}")

    forecast = predict(model, X_test, device)
    naive = timeseries.naive_forecast(X_test, HORIZON)
    mse_model, mse_naive = timeseries.mse(forecast, y_test), timeseries.mse(naive, y_test)
    print(
        f"held-out MSE: LSTM {mse_model:.4f}, naive last value {mse_naive:.4f} "
        f"({100 * (1 - mse_model / mse_naive):.1f}% better)"
    )
    parity.at_least(
        "torch LSTM forecaster: improvement over naive baseline",
        1 - mse_model / mse_naive,
        0.5,
        side="library",
    )

    path = journey.stage_output_dir("12_rnn_lstm") / "lstm_forecaster.pt"
    torch.save(model.state_dict(), path)
    print(f"weights written: {path}")
    journey.save_figure(
        plot_forecasts(
            X_test,
            y_test,
            {"LSTM": forecast, "naive last value": naive},
            [0, len(X_test) // 2, len(X_test) - 1],
        ),
        "12_rnn_lstm",
        "multi_step_forecast",
    )
    journey.save_figure(curves_figure(history, mse_naive), "12_rnn_lstm", "torch_lstm_curves")


if __name__ == "__main__":
    main()

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


def train_forecaster(
    model: nn.Module,
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    epochs: int,
    device,
    batch_size: int = 64,
    lr: float = 1e-2,
    seed: int = 0,
    log=print,
) -> dict[str, list[float]]:
    """Mini-batch Adam on MSE; returns per-epoch training loss, held-out MSE and seconds."""
    generator = torch.Generator().manual_seed(seed)
    dataset = TensorDataset(
        windows_to_tensor(X_train), torch.as_tensor(y_train, dtype=torch.float32)
    )
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    history = {"train_mse": [], "test_mse": [], "seconds": []}
    for epoch in journey.progress(range(epochs), desc="torch LSTM epochs"):
        start, total = time.perf_counter(), 0.0
        model.train()
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        history["seconds"].append(time.perf_counter() - start)
        history["train_mse"].append(total / len(dataset))
        history["test_mse"].append(float(np.mean((predict(model, X_test, device) - y_test) ** 2)))
        log(
            f"epoch {epoch + 1:3d}  train MSE {history['train_mse'][-1]:.4f}  "
            f"held-out MSE {history['test_mse'][-1]:.4f}  {history['seconds'][-1]:.2f} s"
        )
    return history


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

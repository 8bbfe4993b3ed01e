"""A small continuous-input regression shared by the training tests and the DDP worker."""

from __future__ import annotations

import torch
from torch import nn

from symtok.nn.encoder import Encoder, EncoderConfig
from symtok.nn.train import TrainConfig, fit


class Regressor(nn.Module):
    """Encoder (continuous input) + linear head on the pooled state."""

    def __init__(self, attention: str = "fast", dropout: float = 0.0, redraw: int | None = None) -> None:
        super().__init__()
        cfg = EncoderConfig(
            vocab_size=None,
            input_dim=3,
            dim=16,
            depth=1,
            heads=2,
            dropout=dropout,
            attention=attention,
            nb_features=16,
            feature_redraw_interval=redraw,
            positional="none",
        )
        self.encoder = Encoder(cfg)
        self.head = nn.Linear(16, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x, mask).pooled).squeeze(-1)


def regression_data(n: int = 64) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    data = []
    for _ in range(n):
        length = int(torch.randint(3, 9, (1,), generator=g))
        x = torch.randn(length, 3, generator=g)
        data.append((x, 2 * x[:, 0].mean() - x[:, 1].mean()))
    return data


def collate(items: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    xs = nn.utils.rnn.pad_sequence([x for x, _ in items], batch_first=True)
    lengths = torch.tensor([len(x) for x, _ in items])
    mask = torch.arange(xs.shape[1])[None, :] >= lengths[:, None]
    return xs, mask, torch.stack([y for _, y in items])


def loss_fn(model, batch, info):
    x, mask, y = batch
    loss = nn.functional.mse_loss(model(x, mask), y)
    return loss, {"mse": float(loss.detach())}


def regression_fit(
    data,
    out_dir,
    *,
    steps: int = 12,
    stop_after: int | None = None,
    resume: bool = False,
    dropout: float = 0.0,
    redraw: int | None = None,
    precision: str = "fp32",
    device: str = "cpu",
    history: list | None = None,
) -> Regressor:
    torch.manual_seed(1)
    model = Regressor(dropout=dropout, redraw=redraw)
    cfg = TrainConfig(
        steps=steps,
        batch_size=8,
        lr=3e-3,
        warmup_steps=3,
        log_every=2,
        checkpoint_every=4,
        progress=False,
        precision=precision,
        device=device,
    )
    result = fit(
        model,
        loss_fn,
        data,
        cfg,
        collate=collate,
        out_dir=out_dir,
        checkpoint_config={"model": "regressor"},
        stop_after=stop_after,
        resume=resume,
    )
    if history is not None:
        history.extend(result.history)
    return model

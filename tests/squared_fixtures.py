"""A tiny squared-amplitude training run, the same in one process and under torchrun."""

from __future__ import annotations

from amplitudes.learn.squared import SquaredConfig, train_squared
from amplitudes.learn.squared_data import read_pairs
from symtok.files import data_path
from symtok.nn.seq2seq import Seq2SeqConfig
from symtok.nn.train import TrainConfig
from symtok.vocab import Vocab


def tiny_squared_run(out_dir: str):
    """6 steps on the shipped QED example rows, no dropout, several rows per batch."""
    vocab = Vocab.default()
    pairs = read_pairs(str(data_path("examples", "qed_rows.txt")), vocab, max_source_len=400, max_target_len=300)
    config = SquaredConfig(
        model=Seq2SeqConfig(
            dim=32, heads=4, encoder_depth=1, decoder_depth=1, dropout=0.0, max_source_len=400, max_target_len=300
        ),
        train=TrainConfig(steps=6, batch_size=1, lr=3e-3, warmup_steps=2, progress=False, log_every=1),
        tokens_per_batch=100_000,  # all rows in one batch: each rank gets some of them
    )
    return train_squared(pairs.pairs, out_dir, config, vocab=vocab)

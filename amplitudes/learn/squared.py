"""The SYMBA task: amplitude tokens in, squared-amplitude tokens out, with the shared Encoder in an
encoder–decoder (symtok.nn.seq2seq), grammar-constrained decoding (symtok.constrain) and a
numerical-equivalence check (symtok.equivalence).

Data: any file symtok.io reads with a squared amplitude per row (SYMBA raw rows or ``amp,sqamp``
CSV). Both sides are canonical prefix tokens (symtok.tokenize), so index names and term order
never count as errors.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from amplitudes.learn.squared_data import Pair, SquaredPrediction, encode_sources, prediction_of
from symtok.config import Config
from symtok.constrain import PrefixGrammar
from symtok.errors import SymtokError
from symtok.nn.checkpoint import (
    CheckpointError,
    load_checkpoint_of_kind,
    load_context_encoder,
    load_model,
    load_submodule,
    load_weights,
    register_model,
)
from symtok.nn.decode import Hypothesis, beam_search
from symtok.nn.device import inference_autocast, inference_device
from symtok.nn.seq2seq import Seq2Seq, Seq2SeqConfig
from symtok.nn.train import StepInfo, TrainConfig, fit, global_count, rows_of_rank, unwrap
from symtok.vocab import Vocab

KIND = "squared-seq2seq"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SquaredConfig(Config):
    """Everything a squared-amplitude model is trained with (saved in its config.json)."""

    model: Seq2SeqConfig = field(
        default_factory=lambda: Seq2SeqConfig(dim=128, heads=4, max_source_len=512, max_target_len=1100)
    )
    train: TrainConfig = field(
        default_factory=lambda: TrainConfig(
            steps=7500, batch_size=1, lr=1e-3, warmup_steps=200, log_every=50, checkpoint_every=1000
        )
    )
    tokens_per_batch: int = 8192  # source + target tokens per batch, padding included
    label_smoothing: float = 0.0
    label_fraction: float = 1.0  # a seeded fraction of the training pairs (label-efficiency studies)
    source_order: bool = False  # append the input's own index order to the source (see source_tokens)
    source_legs: bool = False  # append the row's OffShell external legs to the source (see source_tokens)


def pad(sequences: Sequence[Sequence[int]], pad_id: int = 0) -> Tensor:
    """(B, max length) long tensor of the sequences, right-padded."""
    out = torch.full((len(sequences), max(1, max(map(len, sequences)))), pad_id, dtype=torch.long)
    for i, s in enumerate(sequences):
        out[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    return out


def length_batch_indices(pairs: Sequence[Pair], tokens_per_batch: int) -> list[list[int]]:
    """Indices of ``pairs`` in batches of similar lengths (sorted by target then source length),
    each within a budget of ``tokens_per_batch`` padded source + target tokens."""
    order = sorted(range(len(pairs)), key=lambda i: (len(pairs[i].target), len(pairs[i].source)))
    batches: list[list[int]] = []
    current: list[int] = []
    widest = 0
    for i in order:
        width = len(pairs[i].source) + len(pairs[i].target) + 1
        if current and max(widest, width) * (len(current) + 1) > tokens_per_batch:
            batches.append(current)
            current, widest = [], 0
        current.append(i)
        widest = max(widest, width)
    if current:
        batches.append(current)
    return batches


def length_batches(pairs: Sequence[Pair], tokens_per_batch: int, eos_id: int) -> list[tuple[Tensor, Tensor]]:
    """The batches of length_batch_indices as (source ids, target ids + <eos>) padded tensors."""
    return [batch_tensors([pairs[j] for j in batch], eos_id) for batch in length_batch_indices(pairs, tokens_per_batch)]


def batch_tensors(pairs: Sequence[Pair], eos_id: int) -> tuple[Tensor, Tensor]:
    """(source ids, target ids + <eos>) of ``pairs`` as right-padded tensors."""
    return pad([p.source for p in pairs]), pad([(*p.target, eos_id) for p in pairs])


def seq2seq_loss(label_smoothing: float):
    """The fit() loss of a Seq2Seq on (source, target) batches."""

    def loss(model: nn.Module, batch: tuple[Tensor, Tensor], info: StepInfo) -> tuple[Tensor, dict[str, float]]:
        # through the (DDP-wrapped) model's forward, so gradients are synchronised; the per-token
        # mean is over the tokens of every rank, so 2 processes compute the 1-process gradient
        source, target = batch
        config = unwrap(model).config
        bos = torch.full_like(target[:, :1], config.bos_id)
        logits = model(source, torch.cat([bos, target[:, :-1]], dim=1))
        real = target != config.pad_id
        summed = F.cross_entropy(logits[real], target[real], label_smoothing=label_smoothing, reduction="sum")
        tokens = real.sum()
        value = summed * info.world_size / global_count(tokens).clamp(min=1)
        accuracy = (logits[real].argmax(-1) == target[real]).float().mean()
        return value, {"token_accuracy": float(accuracy)}

    return loss


def _build(config: dict[str, Any]) -> Seq2Seq:
    return Seq2Seq(Seq2SeqConfig.from_dict(config["model"]))


register_model(KIND, "a squared-amplitude model (encoder-decoder)", _build)


def subsample(pairs: list[Pair], fraction: float, seed: int) -> list[Pair]:
    """A seeded fraction of ``pairs`` (at least one)."""
    if fraction >= 1.0:
        return pairs
    keep = max(1, round(fraction * len(pairs)))
    order = np.random.default_rng(seed).permutation(len(pairs))[:keep]
    return [pairs[i] for i in sorted(order)]


def initial_model(
    config: Seq2SeqConfig,
    *,
    pretrained: str | os.PathLike[str] | None = None,
    encoder_from: str | os.PathLike[str] | None = None,
    init_from: str | os.PathLike[str] | None = None,
) -> Seq2Seq:
    """The model training starts from (seeded by ``config.seed``); see train_squared for the sources."""
    torch.manual_seed(config.seed)
    model = Seq2Seq(config)
    if pretrained is not None:
        load_context_encoder(model.encoder, pretrained, "jepa-encoder")
    if encoder_from is not None:
        load_submodule(model.encoder, encoder_from, KIND, "encoder.")
    if init_from is not None:
        load_weights(model, load_checkpoint_of_kind(init_from, KIND, "a squared-amplitude model"))
    return model


def train_squared(
    pairs: list[Pair],
    out_dir: str | os.PathLike[str],
    config: SquaredConfig | None = None,
    *,
    vocab: Vocab | None = None,
    pretrained: str | os.PathLike[str] | None = None,
    init_from: str | os.PathLike[str] | None = None,
    encoder_from: str | os.PathLike[str] | None = None,
    resume: bool = False,
) -> Seq2Seq:
    """Train an encoder–decoder on ``pairs``; writes a ``squared-seq2seq`` checkpoint under out_dir/checkpoint.

    ``pretrained``: a JEPA checkpoint whose context encoder initialises the encoder. ``init_from``: a
    squared-amplitude model of the same shape whose weights initialise the whole model (fine-tuning,
    e.g. on another input variant). ``encoder_from``: a squared-amplitude model whose encoder alone
    initialises the encoder (the supervised upper bound of what a pretrained encoder can give)."""
    config = config or SquaredConfig()
    vocab = vocab or Vocab.default()
    if len(vocab) != config.model.vocab_size:
        raise SymtokError(f"the vocabulary has {len(vocab)} tokens but the model config says {config.model.vocab_size}")
    model = initial_model(config.model, pretrained=pretrained, encoder_from=encoder_from, init_from=init_from)
    chosen = subsample(pairs, config.label_fraction, config.train.seed)
    batches = length_batches(chosen, config.tokens_per_batch, config.model.eos_id)
    fit(
        model,
        seq2seq_loss(config.label_smoothing),
        batches,
        config.train,
        collate=lambda items: items[0],
        shard=lambda batch, info: rows_of_rank(batch, info.rank, info.world_size),
        out_dir=out_dir,
        checkpoint_config={
            "kind": KIND,
            **asdict(config),
            "pairs": len(chosen),
            "longest_target": max(len(p.target) for p in chosen),
        },
        vocab_json=vocab.to_json(),
        resume=resume,
    )
    model.eval()
    return model


def load_squared(directory: str | os.PathLike[str]) -> tuple[Seq2Seq, Vocab, SquaredConfig]:
    """Load a squared-amplitude model directory (or a training run's directory)."""
    model, ckpt = load_model(directory, KIND)
    vocab_path = ckpt.path / "vocab.json"
    vocab = Vocab.load(vocab_path) if vocab_path.exists() else Vocab.default()
    data = {k: v for k, v in ckpt.config.items() if k in SquaredConfig.__dataclass_fields__}
    try:
        config = SquaredConfig.from_dict(data)
    except SymtokError as err:
        raise CheckpointError(f"{ckpt.path / 'config.json'}: {err}") from None
    if len(vocab) != config.model.vocab_size:
        raise CheckpointError(f"{vocab_path} has {len(vocab)} tokens; the model expects {config.model.vocab_size}")
    longest = ckpt.config.get("longest_target")
    if isinstance(longest, int) and longest > 0:
        model.decode_budget = decode_budget(longest, config.model.max_target_len)
    model.to(inference_device())  # the CPU, or --device's (symtok.nn.device.runtime)
    return model, vocab, config


def decode_budget(longest_target: int, max_target_len: int) -> int:
    """Tokens a decoded squared amplitude may have: 1.5 times the longest training target plus 16,
    at most the model's maximum. A prediction far longer than anything seen in training is wrong
    anyway, and the budget bounds decoding time on rows the model has no answer for."""
    return min(max_target_len, longest_target + longest_target // 2 + 16)


def decode_beams(
    model: Seq2Seq,
    sources: Sequence[Sequence[int]],
    *,
    beam: int = 1,
    max_length: int | None = None,
    batch_size: int = 32,
    constrained: bool = True,
    vocab: Vocab | None = None,
    progress: bool = False,
) -> list[list[Hypothesis]]:
    """Every source's ``beam`` hypotheses, best first (batched, longest first)."""
    vocab = vocab or Vocab.default()
    limit = max_length or getattr(model, "decode_budget", None) or model.config.max_target_len
    grammar = PrefixGrammar(vocab, limit) if constrained else None
    order = sorted(range(len(sources)), key=lambda i: -len(sources[i]))
    results: list[list[Hypothesis]] = [[] for _ in sources]
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    from symtok.files import progress_bar

    device = next(model.parameters()).device
    with torch.inference_mode(), inference_autocast(device):
        for chunk in progress_bar(chunks, enabled=progress, desc="decoding"):
            source = pad([sources[i] for i in chunk]).to(device)
            hyps = beam_search(model, source, beam=beam, max_length=limit, grammar=grammar)
            for i, h in zip(chunk, hyps, strict=True):
                results[i] = h
    return results


def decode_ids(model: Seq2Seq, sources: Sequence[Sequence[int]], **options: Any) -> list[tuple[tuple[int, ...], float]]:
    """Best decoded target ids and log-probability per source; ``options`` as :func:`decode_beams`."""
    beams = decode_beams(model, sources, **options)
    return [(h[0].ids, h[0].log_prob) if h else ((), float("-inf")) for h in beams]


def predict_squared(
    model: Seq2Seq,
    vocab: Vocab,
    amplitudes: Sequence[str],
    *,
    beam: int = 1,
    batch_size: int = 32,
    order: bool = False,
    legs: Sequence[Sequence[int]] | None = None,
    progress: bool = False,
    verify: bool = False,
    offshell: Sequence[Sequence[int] | None] | None = None,
) -> list[SquaredPrediction]:
    """Predicted squared amplitude of each amplitude text (``legs``: their OffShell legs, for a model
    trained with them); a row that cannot be read or is longer than the model's limit gets an error,
    the others are decoded in batches. ``verify``: the first beam hypothesis that passes the numeric
    check against its amplitude (``offshell``: each row's known OffShell legs, None to read them from
    s_ii), see amplitudes.learn.squared_verify; each prediction says whether it passed."""
    from amplitudes.learn.squared_verify import choose, choose_all

    sources, where, out = encode_sources(
        vocab, amplitudes, order=order, legs=legs, max_source_len=model.config.max_source_len
    )
    beams = decode_beams(model, sources, beam=beam, batch_size=batch_size, vocab=vocab, progress=progress)
    if verify:
        known = [None if offshell is None else offshell[i] for i in where]
        choices = choose_all(vocab, beams, [amplitudes[i] for i in where], known)
    else:
        choices = [choose(vocab, b, None) for b in beams]
    for i, c in zip(where, choices, strict=True):
        out[i] = prediction_of(vocab, c.ids, c.log_prob, verified=c.verified)
    return [p for p in out if p is not None]

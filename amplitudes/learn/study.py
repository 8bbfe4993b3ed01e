"""The amplitude study: label efficiency and baselines in one run on the same data and splits
(JEPA-pretrained vs from scratch at 10% and 100% labels, softmax attention, gradient boosting)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from amplitudes.learn.evaluate import Evaluation, evaluate_model, gradient_boosting_baseline, table
from amplitudes.learn.model import with_attention
from amplitudes.learn.train import finetune, prepare, preset, train_config
from symtok.files import atomic_write_text, write_json
from symtok.vocab import Vocab


def study(name: str, out_dir: str | Path, *, progress: bool = False) -> list[Evaluation]:
    """Label efficiency and baselines in one run: pretrained vs scratch at 10% and 100% labels,
    softmax attention, and gradient boosting; writes study.json and study.md."""
    p = preset(name)
    out = Path(out_dir)
    vocab = Vocab.default()
    dataset, encoder_ckpt = prepare(p, out, vocab, progress)
    runs = [
        ("FAVOR+ pretrained, 100% labels", p.regressor, encoder_ckpt, 1.0),
        ("FAVOR+ from scratch, 100% labels", p.regressor, None, 1.0),
        ("FAVOR+ pretrained, 10% labels", p.regressor, encoder_ckpt, 0.1),
        ("FAVOR+ from scratch, 10% labels", p.regressor, None, 0.1),
        ("softmax from scratch, 100% labels", with_attention(p.regressor, "softmax"), None, 1.0),
    ]
    evaluations = []
    for n, (label, config, pretrained, fraction) in enumerate(runs):
        model, scale = finetune(
            dataset,
            out / f"run{n}",
            config,
            train_config(p, p.finetune_steps, progress),
            pretrained=pretrained,
            label_fraction=fraction,
            vocab=vocab,
        )
        evaluations.append(evaluate_model(label, model, scale, dataset)[0])
    evaluations.append(gradient_boosting_baseline(dataset, scale, len(vocab), p.seed))
    write_json(out / "study.json", [asdict(e) for e in evaluations])
    atomic_write_text(out / "study.md", table(evaluations) + "\n")
    return evaluations

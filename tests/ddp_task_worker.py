"""Run by tests/test_ddp_tasks.py under ``torchrun --nproc_per_node 2`` (and in one process by the
test itself): a task trainer on a prepared file; rank 0 writes the final weights.

    python -m tests.ddp_task_worker regressor|tagger|amplitude-jepa|jet-jepa DATA WEIGHTS RUN_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch.distributed as dist
from safetensors.torch import load_file, save_file
from torch import Tensor


def run(task: str, data: str, run_dir: str) -> dict[str, Tensor] | None:
    """The weights ``task`` trains on ``data`` (a few deterministic steps, no dropout); None on the
    ranks that do not write. The JEPA tasks' weights hold the context and the EMA target encoders."""
    from symtok.nn.encoder import EncoderConfig
    from symtok.nn.train import TrainConfig, is_main_process

    train = TrainConfig(steps=6, batch_size=4, lr=3e-3, warmup_steps=2, progress=False, log_every=1)
    if task == "regressor":
        from amplitudes.learn.dataset import DatasetConfig, build_dataset
        from amplitudes.learn.model import RegressorConfig
        from amplitudes.learn.train import finetune

        dataset = build_dataset(data, DatasetConfig(points_per_row=6, test_process_fraction=0.25, seed=3))
        config = RegressorConfig(encoder=EncoderConfig(dim=32, depth=1, heads=4, nb_features=32, dropout=0.0))
        return finetune(dataset, run_dir, config, train)[0].state_dict()
    if task == "amplitude-jepa":
        from amplitudes.learn.train import pretrain, pretraining_sequences
        from symtok.vocab import Vocab

        vocab = Vocab.default()
        sequences = pretraining_sequences(Path(data), vocab)
        encoder = EncoderConfig(vocab_size=len(vocab), dim=32, depth=1, heads=4, nb_features=32, dropout=0.0)
        checkpoint = pretrain(sequences, run_dir, encoder, train, vocab=vocab)
        return load_file(str(checkpoint / "model.safetensors")) if is_main_process() else None
    from jets.io import read_jets

    if task == "jet-jepa":
        from jets.model import TaggerConfig
        from jets.train import pretrain_jepa

        config = TaggerConfig(dim=32, depth=1, heads=2)
        checkpoint = pretrain_jepa(read_jets(data), config, train, run_dir)
        return load_file(str(checkpoint / "model.safetensors")) if is_main_process() else None
    from jets.model import load_tagger
    from jets.train import finetune_tagger

    result = finetune_tagger(read_jets(data), run_dir, steps=6, attention="softmax", max_constituents=32, seed=1)
    return load_tagger(result.output).state_dict() if is_main_process() else None


if __name__ == "__main__":
    task, data, weights, run_dir = sys.argv[1:5]
    state = run(task, data, run_dir)
    if dist.get_rank() == 0:
        save_file({k: v.contiguous() for k, v in state.items()}, weights)
    dist.barrier()
    dist.destroy_process_group()

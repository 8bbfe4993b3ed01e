"""Run by tests/test_ddp_tasks.py under ``torchrun --nproc_per_node 2`` (and in one process by the
test itself): a task trainer on a prepared file; rank 0 writes the final weights.

    python -m tests.ddp_task_worker regressor|tagger DATA WEIGHTS RUN_DIR
"""

from __future__ import annotations

import sys

import torch.distributed as dist
from safetensors.torch import save_file


def run(task: str, data: str, run_dir: str):
    """The trained model of ``task`` on ``data`` (a few deterministic steps, no dropout)."""
    if task == "regressor":
        from amplitudes.learn.dataset import DatasetConfig, build_dataset
        from amplitudes.learn.model import RegressorConfig
        from amplitudes.learn.train import finetune
        from symtok.nn.encoder import EncoderConfig
        from symtok.nn.train import TrainConfig

        dataset = build_dataset(data, DatasetConfig(points_per_row=6, test_process_fraction=0.25, seed=3))
        config = RegressorConfig(encoder=EncoderConfig(dim=32, depth=1, heads=4, nb_features=32, dropout=0.0))
        train = TrainConfig(steps=6, batch_size=4, lr=3e-3, warmup_steps=2, progress=False, log_every=1)
        return finetune(dataset, run_dir, config, train)[0]
    from jets.io import read_jets
    from jets.model import load_tagger
    from jets.train import finetune_tagger
    from symtok.nn.train import is_main_process

    result = finetune_tagger(read_jets(data), run_dir, steps=6, attention="softmax", max_constituents=32, seed=1)
    return load_tagger(result.output) if is_main_process() else None


if __name__ == "__main__":
    task, data, weights, run_dir = sys.argv[1:5]
    model = run(task, data, run_dir)
    if dist.get_rank() == 0:
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, weights)
    dist.barrier()
    dist.destroy_process_group()

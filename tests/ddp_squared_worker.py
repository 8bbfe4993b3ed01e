"""Run by tests/amplitudes/learn/test_squared.py under ``torchrun --nproc_per_node 2``: the
squared-amplitude trainer on the shipped example rows; rank 0 writes the final weights."""

from __future__ import annotations

import sys

import torch.distributed as dist
from safetensors.torch import save_file

from tests.squared_fixtures import tiny_squared_run

if __name__ == "__main__":
    model = tiny_squared_run(sys.argv[2])
    if dist.get_rank() == 0:
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, sys.argv[1])
    dist.barrier()
    dist.destroy_process_group()

"""Run by tests/test_nn_train.py under ``torchrun --nproc_per_node 2``: a small regression trained
with DDP (gloo on CPU); rank 0 writes the final weights for comparison with one process."""

from __future__ import annotations

import sys

import torch.distributed as dist
from safetensors.torch import save_file

from tests.train_fixtures import regression_data, regression_fit

if __name__ == "__main__":
    model = regression_fit(regression_data(), out_dir=None)
    if dist.get_rank() == 0:
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, sys.argv[1])
    dist.barrier()
    dist.destroy_process_group()

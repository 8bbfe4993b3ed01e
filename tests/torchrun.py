"""Running a test worker module under ``torchrun --nproc_per_node 2`` (gloo on CPU)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def torchrun(module: str, *args: str, port: int) -> subprocess.CompletedProcess[str]:
    """``module`` (under tests/, run as a module so tests/ does not shadow the packages) on 2
    processes. gloo's threads can abort a rank at interpreter exit after the work is done ("terminate
    called without an active exception", seen in one CI run on 2026-11-25, torch 2.13 CPU): that one
    failure is run again once; any other failure, or a second one, is returned as it is."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(port)]
    cmd += ["-m", module, *args]
    result = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if result.returncode != 0 and "terminate called without an active exception" in result.stderr:
        result = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    return result

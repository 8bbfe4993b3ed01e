"""Amplitude-regressor inference through onnxruntime, without importing torch."""

from __future__ import annotations

import numpy as np

from symtok.onnxrt import OnnxModel


def pad_batch(sequences: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(tokens, attention_mask) int64 arrays of a batch of id sequences."""
    n = max(len(s) for s in sequences)
    tokens = np.zeros((len(sequences), n), dtype=np.int64)
    mask = np.zeros((len(sequences), n), dtype=np.int64)
    for b, s in enumerate(sequences):
        tokens[b, : len(s)] = s
        mask[b, : len(s)] = 1
    return tokens, mask


def onnx_predict_log10(model: OnnxModel, sequences: list[list[int]], kin: np.ndarray) -> np.ndarray:
    """log10 |M|^2 for each sequence at its points: kin (B, K, F) raw features -> (B, K)."""
    tokens, mask = pad_batch(sequences)
    return model.run({"tokens": tokens, "attention_mask": mask, "kinematics": kin.astype(np.float32)})[0]

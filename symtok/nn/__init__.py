"""symtok.nn: the neural building blocks shared by every task (amplitudes, jets, ONNX export).

FastAttention (Performer FAVOR+) and SoftmaxAttention, one Encoder, the JEPA objective and its
maskers, the training loop and checkpoints. Importing ``symtok`` does not import this package
(nor torch); import ``symtok.nn`` explicitly.
"""

from symtok.nn.attention import FastAttention, SoftmaxAttention
from symtok.nn.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from symtok.nn.encoder import Encoder, EncoderConfig, EncoderOutput
from symtok.nn.jepa import JEPA, JEPAConfig

__all__ = [
    "JEPA",
    "CheckpointError",
    "Encoder",
    "EncoderConfig",
    "EncoderOutput",
    "FastAttention",
    "JEPAConfig",
    "SoftmaxAttention",
    "load_checkpoint",
    "save_checkpoint",
]

"""The amplitude half of the README's main job: generate a small QED set, prove its round trip,
and predict |M|^2 with the shipped model next to the exact value."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from amplitudes.generate import generate
from amplitudes.learn.predict import Prediction, default_model_dir, predict
from symtok.roundtrip import RoundTripReport, roundtrip_file

DEMO_PROCESSES = ("e+ e- > mu+ mu-", "e- a > e- a", "e+ e- > e+ e-", "e+ e- > a a")
DEMO_POINTS = ((3.0, 0.5), (9.0, -0.3), (18.0, 0.8))  # inside the default model's range (1-20 GeV here)


@dataclass
class AmplitudeDemo:
    rows: int
    roundtrip: RoundTripReport
    predictions: list[Prediction] = field(default_factory=list)
    model: str = ""


def amplitude_demo(model_dir: str | Path | None = None) -> AmplitudeDemo:
    """Generate the demo processes, round-trip their rows, predict them at a few points."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "qed_demo.txt"
        report = generate("qed", path, processes=DEMO_PROCESSES)
        result = AmplitudeDemo(report.rows, roundtrip_file(str(path), "symba"))
    model = Path(model_dir) if model_dir else default_model_dir()
    result.model = str(model)
    if model.exists():
        for process in DEMO_PROCESSES:
            for sqrt_s, cos in DEMO_POINTS:
                result.predictions.append(predict(sqrt_s, cos, process=process, model_dir=model, exact=True))
    return result

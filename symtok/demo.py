"""The main job of the README: tokenize the shipped examples and prove their round trip."""

from __future__ import annotations

from dataclasses import dataclass, field

from symtok.explain import TokenizationSteps, tokenization_steps
from symtok.files import data_path
from symtok.io import BadRow, detect_format, read_rows
from symtok.roundtrip import RoundTripReport, roundtrip_file

EXAMPLE_FILES = ("qed_rows.txt", "qcd_rows.txt", "prenormalized.csv", "functional.txt")


@dataclass(frozen=True)
class ExampleFileResult:
    """Round-trip report of one shipped example file."""

    name: str
    fmt: str
    report: RoundTripReport


@dataclass
class DemoResult:
    """Reports of every example file plus the full tokenization of one QED and one QCD amplitude."""

    files: list[ExampleFileResult] = field(default_factory=list)
    showcase: list[tuple[str, TokenizationSteps]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.files) and all(f.report.ok for f in self.files)


def run_demo() -> DemoResult:
    """Round-trip every shipped example file and tokenize the first QED and QCD rows."""
    result = DemoResult()
    for name in EXAMPLE_FILES:
        path = str(data_path("examples", name))
        fmt = detect_format(path)
        result.files.append(ExampleFileResult(name, fmt, roundtrip_file(path, fmt)))
    for name, title in (("qed_rows.txt", "QED amplitude"), ("qcd_rows.txt", "QCD amplitude")):
        row = next(r for r in read_rows(str(data_path("examples", name)), "symba") if not isinstance(r, BadRow))
        result.showcase.append((f"{title}: {row.process}", tokenization_steps(row.amplitude)))
    return result

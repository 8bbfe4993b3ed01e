"""Where shipped data lives, from a source checkout or an installed wheel."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def data_path(*parts: str) -> Path:
    """Path of a shipped data file: ``data/`` of the checkout, else the installed ``symtok_data`` package."""
    checkout = Path(__file__).resolve().parent.parent / "data"
    if checkout.is_dir():
        return checkout.joinpath(*parts)
    return Path(str(files("symtok_data"))).joinpath(*parts)

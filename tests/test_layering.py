"""Dependency direction grammar <- symtok <- amplitudes, jets <- cli, checked on the import statements."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "grammar": {"sympy", "symtok", "amplitudes", "jets", "cli", "torch"},
    "symtok": {"amplitudes", "jets", "cli"},
    "amplitudes": {"jets", "cli"},
    "jets": {"amplitudes", "cli"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_imports_point_the_right_way():
    bad = []
    for package, forbidden in FORBIDDEN.items():
        for path in (ROOT / package).rglob("*.py"):
            hits = imported_modules(path) & forbidden
            if hits:
                bad.append(f"{path.relative_to(ROOT)} imports {sorted(hits)}")
    assert not bad, "\n".join(bad)


def test_import_symtok_does_not_import_torch_or_pyarrow():
    code = "import sys, symtok; symtok.tokenize('e^2'); print(sorted(m for m in ('torch', 'pyarrow', 'pandas') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"

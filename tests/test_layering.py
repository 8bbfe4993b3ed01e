"""The house rules, checked on the import statements of every file (function-level imports included):
the dependency direction grammar <- symtok <- amplitudes, jets <- cli; no import cycle between files;
torch-free zones; the shared neural core names no task."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("grammar", "symtok", "amplitudes", "jets", "cli")
FORBIDDEN = {
    "grammar": {"sympy", "symtok", "amplitudes", "jets", "cli", "torch"},
    "symtok": {"amplitudes", "jets", "cli"},
    "amplitudes": {"jets", "cli"},
    "jets": {"amplitudes", "cli"},
}
TASK_WORDS = ("regressor", "tagger", "amplitude-", "jet-", "jepa-encoder")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def imports(path: Path) -> set[str]:
    """Every module named by an import statement anywhere in the file (``from a import b`` also
    names ``a.b``, which counts when it is a module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def graph() -> dict[str, set[str]]:
    files = source_files()
    return {mod: {m for m in imports(path) if m in files and m != mod} for mod, path in files.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_imports_point_the_right_way():
    bad = []
    for module, path in source_files().items():
        package = module.split(".")[0]
        hits = {m.split(".")[0] for m in imports(path)} & FORBIDDEN.get(package, set())
        if hits:
            bad.append(f"{module} imports {sorted(hits)}")
    assert not bad, "\n".join(bad)


def test_no_import_cycle_between_files():
    assert cycles(graph()) == []


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_torch_free_zones():
    """grammar/, the symbolic core of symtok/ and amplitudes/physics never import torch; physics never
    imports the learning house."""
    bad = []
    for module, path in source_files().items():
        names = {m.split(".")[0] for m in imports(path)}
        symbolic = module.startswith(("grammar", "symtok")) and not module.startswith("symtok.nn")
        physics = module.startswith("amplitudes.physics")
        if (symbolic or physics) and "torch" in names:
            bad.append(f"{module} imports torch")
        if physics and any(m.startswith("amplitudes.learn") for m in imports(path)):
            bad.append(f"{module} imports amplitudes.learn")
    assert not bad, "\n".join(bad)


def _code_strings_and_names(path: Path) -> list[str]:
    """Identifiers and string constants of a file, docstrings excluded."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            out.append(node.value)
        elif isinstance(node, ast.Name):
            out.append(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            out.append(node.name)
    return out


def test_symtok_names_no_task():
    """symtok (the shared core included) dispatches on registered kinds and never names a task."""
    bad = []
    for module, path in source_files().items():
        if not module.startswith("symtok"):
            continue
        for text in _code_strings_and_names(path):
            if any(word in text.lower() for word in TASK_WORDS):
                bad.append(f"{module}: {text!r}")
    assert not bad, "\n".join(bad)


def test_import_symtok_does_not_import_torch_or_pyarrow():
    code = (
        "import sys, symtok; symtok.tokenize('e^2'); "
        "print(sorted(m for m in ('torch', 'pyarrow', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_the_physics_generator_does_not_import_torch():
    code = (
        "import sys; from amplitudes.physics.me2 import evaluate_me2; evaluate_me2('e+ e- > mu+ mu-', 10, 0.3); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"

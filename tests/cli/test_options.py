"""Every option of every command: a bad value is one line on stderr and exit code 2, no traceback."""

from __future__ import annotations

import types
import typing
from typing import Literal, get_args, get_origin

import pytest
import typer.main

from cli.main import app, run


def leaf_commands():
    """(path, command) of every command of the app."""
    out = []

    def walk(command, path):
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, [*path, name])
        else:
            out.append((path, command))

    walk(typer.main.get_command(app), [])
    return out


def _base(annotation):
    """The annotation without Optional."""
    if get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def bad_values(param):
    """Values the option must reject, with what they probe."""
    annotation = _base(param.type_descriptor.annotation)
    if get_origin(annotation) is Literal:
        return ["bogus-choice"]
    if annotation in (int, float):
        values = ["not-a-number"]
        if param.min is not None:
            values.append(str(param.min - 1))
        if param.max is not None:
            values.append(str(param.max + 1))
        return values
    return []


def required_arguments(command, skip):
    """Placeholder values for every required parameter except ``skip``."""
    argv_options, argv_positional = [], []
    for p in command.params:
        if p is skip or not p.required:
            continue
        if p.param_type_name == "argument":
            argv_positional.append("x")
        else:
            annotation = _base(p.type_descriptor.annotation)
            value = get_args(annotation)[0] if get_origin(annotation) is Literal else "1"
            argv_options += [p.opts[0], str(value)]
    return argv_positional, argv_options


CASES = [
    pytest.param(path, command, param, value, id=f"{' '.join(path)} {param.opts[0]}={value}")
    for path, command in leaf_commands()
    for param in command.params
    if param.param_type_name == "option"
    for value in bad_values(param)
]


def test_the_walk_covers_choices_and_numbers():
    probed = {(tuple(c.values[0]), c.values[2].opts[0]) for c in CASES}
    assert (("amplitudes", "finetune"), "--attention") in probed
    assert (("jets", "evaluate"), "--backend") in probed
    assert (("amplitudes", "generate"), "--workers") in probed
    assert len(probed) >= 30


@pytest.mark.parametrize(("path", "command", "param", "value"), CASES)
def test_bad_option_value_is_one_line_and_exit_2(path, command, param, value, capsys):
    positional, options = required_arguments(command, param)
    code = run([*path, *positional, *options, param.opts[0], value])
    captured = capsys.readouterr()
    assert code == 2
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err + captured.out


def test_missing_file_and_symtok_error_are_one_line(tmp_path, capsys):
    assert run(["encode", str(tmp_path / "absent.txt"), "-o", str(tmp_path / "out.parquet")]) == 2
    assert capsys.readouterr().err.strip().startswith("error: ")
    assert run(["tokenize", "gamma_{%\\sigma_1,%gam_2}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: line 1, column 1") and "Traceback" not in err


def test_missing_extra_names_the_extra(monkeypatch, capsys):
    """A command whose optional dependency is absent says which extra installs it."""
    import builtins

    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    for module in [m for m in list(__import__("sys").modules) if m.startswith("amplitudes.learn.model")]:
        monkeypatch.delitem(__import__("sys").modules, module)
    code = run(["amplitudes", "evaluate", "x.txt"])
    err = capsys.readouterr().err
    assert code == 2
    assert "pip install 'symtok[ml]'" in err

"""Prefix (Polish) token codec: ``encode`` and ``decode`` side by side, driven by symtok.tokens.

Every token has a fixed arity, so no brackets are needed. Integers are a sign token followed by
their digits and rationals are ``rat <int> <int>``, as in Lample & Charton's "Deep Learning for
Symbolic Mathematics". Names outside the known set are spelled ``sym ~c ~h ~a ~r ~s``; indices in
canonical form are single tokens (``L3`` for ``\\mu_3``), others ``L? ~c ~h ~a ~r ~s``. Hence any
valid expression encodes without an unknown token.

Why binary ``add``/``mul`` (n-1 operator tokens, then the n operands: ``add add a b c``) rather than one n-ary token with a count: the count
would be one more number to predict and would make arity depend on data, breaking the
"every token has a fixed arity" rule the decoder (and a constrained sampler) rely on; a chain
of n-1 operators is what Lample & Charton use and it is canonical here because SymPy's evaluated
Add/Mul store their arguments in a canonical order and the decoder rebuilds them with
evaluating constructors, which flatten the chain back into one n-ary node.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sympy import Add, Expr, Integer, Mul, Rational, S, Symbol

from symtok.constrain import allowed_next
from symtok.diagnostics import MAX_DIGITS, checked_pow
from symtok.errors import ParseError, TokenError
from symtok.indices import Index
from symtok.normalize import CANONICAL_NAMES
from symtok.objects import SPEC_BY_CLASS, SPEC_BY_TOKEN, PhysicsObject
from symtok.symbols import symbol_for
from symtok.tokens import (
    CANONICAL_PATTERN,
    CHAR_PREFIX,
    CHAR_TOKENS,
    DIGITS,
    IMAGINARY,
    INDEX_ESCAPE,
    INDEX_PREFIX,
    INDEX_SLOTS,
    INT_NEG,
    INT_POS,
    KNOWN_SYMBOLS,
    NAME_CHARS,
    OBJECT_TOKENS,
    OPERATORS,
    SYMBOL_ESCAPE,
    UP,
)

_KNOWN = frozenset(KNOWN_SYMBOLS)
_DIGITS = frozenset(DIGITS)
_CHARS = frozenset(CHAR_TOKENS)
_NAME_CHARS = frozenset(NAME_CHARS)
#: index token -> (kind, canonical name)
_INDEX_BY_TOKEN: dict[str, tuple[str, str]] = {
    f"{INDEX_PREFIX[kind]}{n}": (kind, CANONICAL_NAMES[kind].format(n))
    for kind in INDEX_PREFIX
    for n in range(INDEX_SLOTS[kind])
}
_KIND_BY_ESCAPE = {token: kind for kind, token in INDEX_ESCAPE.items()}


# ----------------------------------------------------------------------------------- encode


def encode(expr: Expr) -> list[str]:
    """Prefix tokens of a SymPy expression built from symtok objects (ideally normalized)."""
    out: list[str] = []
    _encode(expr, out)
    return out


def _encode_integer(n: int, out: list[str]) -> None:
    out.append(INT_NEG if n < 0 else INT_POS)
    out.extend(str(abs(n)))


def _encode_name(name: str, out: list[str]) -> None:
    if name in _KNOWN:
        out.append(name)
        return
    _check_name(name)
    out.append(SYMBOL_ESCAPE)
    out.extend(CHAR_PREFIX + c for c in name)


def _check_name(name: str) -> None:
    if not name or not set(name) <= _NAME_CHARS:
        raise TokenError(f"name {name!r} has characters outside [A-Za-z0-9_\\] and cannot be tokenized")


def _encode_index(index: Index, out: list[str]) -> None:
    if index.up:
        out.append(UP)
    match = CANONICAL_PATTERN[index.kind].match(index.name)
    if match is not None and int(match.group(1)) < INDEX_SLOTS[index.kind]:
        out.append(INDEX_PREFIX[index.kind] + match.group(1))
        return
    _check_name(index.name)
    out.append(INDEX_ESCAPE[index.kind])
    out.extend(CHAR_PREFIX + c for c in index.name)


def _encode(expr: Expr, out: list[str]) -> None:
    if isinstance(expr, Index):
        _encode_index(expr, out)
    elif isinstance(expr, PhysicsObject):
        out.append(SPEC_BY_CLASS[type(expr)].token)
        for arg in expr.args:
            _encode(arg, out)
    elif expr.is_Add or expr.is_Mul:
        op = "add" if expr.is_Add else "mul"
        args = expr.args
        out.extend([op] * (len(args) - 1))  # op op a b c == op(op(a, b), c)
        for arg in args:
            _encode(arg, out)
    elif expr.is_Pow:
        out.append("pow")
        _encode(expr.base, out)
        _encode(expr.exp, out)
    elif expr.is_Integer:
        _encode_integer(int(expr), out)
    elif expr.is_Rational:
        out.append("rat")
        _encode_integer(int(expr.p), out)
        _encode_integer(int(expr.q), out)
    elif expr is S.ImaginaryUnit:
        out.append(IMAGINARY)
    elif isinstance(expr, Symbol):
        _encode_name(expr.name, out)
    else:
        raise TokenError(f"cannot tokenize {type(expr).__name__} ({expr}): not part of the expression format")


# ----------------------------------------------------------------------------------- decode


class _Chain(list):
    """Operands of a chain of add/mul being collected; built once with an evaluating constructor."""

    __slots__ = ("op",)

    def __init__(self, op: str, items: list[Any]) -> None:
        super().__init__(items)
        self.op = op


def _flatten(chain: _Chain) -> _Chain:
    if any(isinstance(x, _Chain) for x in chain):
        items = [y for x in chain for y in (x if isinstance(x, _Chain) else (x,))]
        chain[:] = items
    return chain


def _value(x: Any) -> Any:
    if isinstance(x, _Chain):
        return (Add if x.op == "add" else Mul)(*[_value(a) for a in x])
    return x


def decode(tokens: Sequence[str]) -> Expr:
    """SymPy expression of a prefix token sequence; TokenError (with position) if it is malformed.

    Scans right to left with an explicit stack, so arbitrarily long chains never recurse.
    """
    stack: list[Any] = []
    digits: list[str] = []  # pending digit tokens (reversed)
    chars: list[str] = []  # pending character tokens (reversed)
    for pos in range(len(tokens) - 1, -1, -1):
        tok = tokens[pos]
        if tok in _DIGITS:
            if chars:
                raise TokenError(f"token {pos + 1} ({tok!r}): a digit inside a spelled name")
            digits.append(tok)
            continue
        if tok in _CHARS:
            if digits:
                raise TokenError(f"token {pos + 1} ({tok!r}): a character before digits with no sign")
            chars.append(tok[1:])
            continue
        if tok in (INT_POS, INT_NEG):
            if not digits:
                raise TokenError(f"token {pos + 1} ({tok!r}): a sign with no digits after it")
            text = "".join(reversed(digits))
            if len(text) > MAX_DIGITS:
                raise TokenError(f"token {pos + 1}: an integer of {len(text)} digits (limit {MAX_DIGITS})")
            if len(text) > 1 and text[0] == "0":
                raise TokenError(f"token {pos + 1}: integer {text} has a leading zero")
            digits.clear()
            stack.append(Integer(-int(text) if tok == INT_NEG else int(text)))
            continue
        if digits:
            raise TokenError(f"token {pos + 2}: digits must follow {INT_POS} or {INT_NEG}")
        if tok == SYMBOL_ESCAPE or tok in _KIND_BY_ESCAPE:
            if not chars:
                raise TokenError(f"token {pos + 1} ({tok!r}): an escape with no characters after it")
            name = "".join(reversed(chars))
            chars.clear()
            if tok == SYMBOL_ESCAPE:
                stack.append(S.ImaginaryUnit if name == "i" else symbol_for(name))
            else:
                stack.append(Index(name, _KIND_BY_ESCAPE[tok]))
            continue
        if chars:
            raise TokenError(f"token {pos + 2}: spelled characters must follow {SYMBOL_ESCAPE} or an index escape")
        stack.append(_decode_token(tok, pos, stack))
    if digits:
        raise TokenError(f"token 1: digits must follow {INT_POS} or {INT_NEG}")
    if chars:
        raise TokenError(f"token 1: spelled characters must follow {SYMBOL_ESCAPE} or an index escape")
    if len(stack) != 1:
        if not stack:
            raise TokenError("empty token sequence")
        raise TokenError(f"{len(stack)} expressions where one was expected: missing operator or trailing tokens")
    return _value(stack[0])


def _pop(stack: list[Any], n: int, tok: str, pos: int) -> list[Any]:
    if len(stack) < n:
        raise TokenError(f"token {pos + 1} ({tok!r}) needs {n} operands, found {len(stack)}")
    args = [stack.pop() for _ in range(n)]
    return args


def _decode_token(tok: str, pos: int, stack: list[Any]) -> Any:
    if tok in _INDEX_BY_TOKEN:
        kind, name = _INDEX_BY_TOKEN[tok]
        return Index(name, kind)
    if tok in _KNOWN:
        return symbol_for(tok)
    if tok == IMAGINARY:
        return S.ImaginaryUnit
    if tok == UP:
        (index,) = _pop(stack, 1, tok, pos)
        if not isinstance(index, Index) or index.up:
            raise TokenError(f"token {pos + 1} ('up') must be followed by a lower index")
        return Index(index.name, index.kind, up=True)
    if tok in ("add", "mul"):
        a, b = _pop(stack, 2, tok, pos)
        # Never build the binary node on its own: Mul(-1, x + y) would distribute the -1 and the
        # n-ary product would come back different. Collect the whole chain, build it once.
        if isinstance(a, _Chain) and a.op == tok:
            a.append(b if isinstance(b, _Chain) and b.op == tok else _value(b))
            return _flatten(a)
        if isinstance(b, _Chain) and b.op == tok:
            b.insert(0, _value(a))
            return b
        return _Chain(tok, [_value(a), _value(b)])
    if tok == "pow":
        base, exp = (_value(x) for x in _pop(stack, 2, tok, pos))
        try:  # refuse powers that would evaluate to astronomically large numbers (or never finish)
            return checked_pow(base, exp)
        except ParseError as err:
            raise TokenError(f"token {pos + 1} ('pow'): {err}") from None
    if tok == "rat":
        p, q = _pop(stack, 2, tok, pos)
        if not (isinstance(p, Integer) and isinstance(q, Integer)) or q <= 0:
            raise TokenError(f"token {pos + 1} ('rat') needs an integer and a positive integer")
        return Rational(p, q)
    spec = SPEC_BY_TOKEN.get(tok)
    if spec is None:
        raise TokenError(f"token {pos + 1}: unknown token {tok!r}")
    args = [_value(x) for x in _pop(stack, spec.arity, tok, pos)]
    try:
        return spec.cls(*args)
    except TypeError as err:
        raise TokenError(f"token {pos + 1} ({tok!r}): {err}") from None


def subtree_ends(tokens: Sequence[str]) -> list[int]:
    """For each position, the exclusive end of the subtree that starts there (in prefix order a
    subtree is a contiguous span), or -1 inside a number or a spelled name. Used by the JEPA
    subtree masker. Malformed sequences raise TokenError."""
    ends = [-1] * len(tokens)
    stack: list[int] = []  # ends of complete subtrees, leftmost on top
    run_end: int | None = None  # end of the pending digit/char run
    for pos in range(len(tokens) - 1, -1, -1):
        tok = tokens[pos]
        if tok in _DIGITS or tok in _CHARS:
            run_end = pos + 1 if run_end is None else run_end
            continue
        if tok in (INT_POS, INT_NEG, SYMBOL_ESCAPE) or tok in _KIND_BY_ESCAPE:
            if run_end is None:
                raise TokenError(f"token {pos + 1} ({tok!r}) has no digits or characters after it")
            end, run_end = run_end, None
        else:
            arity = _ARITY.get(tok, 0)
            if len(stack) < arity:
                raise TokenError(f"token {pos + 1} ({tok!r}) needs {arity} operands, found {len(stack)}")
            end = pos + 1
            for _ in range(arity):
                end = stack.pop()
        ends[pos] = end
        stack.append(end)
    return ends


_ARITY: dict[str, int] = {**OPERATORS, **OBJECT_TOKENS, UP: 1}

__all__ = ["allowed_next", "decode", "encode", "subtree_ends"]

"""Canonical renaming of indices: the same output for every bijective renaming of the input's indices.

SymPy orders the factors of a product by their arguments, i.e. by the very index names we want to
replace, so no SymPy traversal order can be trusted. Instead each index gets a *colour* computed
from structure alone (the slots it occupies and the name-blind shape of everything around it),
refined until stable (colour refinement, as in Weisfeiler-Lehman / nauty). Indices that are still
tied are individualised one at a time and every branch is finished; the branch whose canonical
key is smallest wins, so the result is independent of the input names even when refinement alone
cannot separate them. Indices are then numbered per kind in order of first appearance in a
traversal whose child order is given by those structural keys.

Two refinements, chosen by a name-independent quantity (the number of distinct indices), so the
result stays canonical:

- up to ``ROUND_REFINEMENT_MAX`` indices (every amplitude SYMBA and the generator write), rounds of
  global signatures (``_Canonicaliser.refine``): each round costs O(n log n) in the expression's size
  n, and a chain needs as many rounds as it is long, O(n^2) in all. Kept because the canonical
  forms, and so the tokens every shipped model was trained on, are defined by it;
- beyond, colour refinement with a worklist on the expression's graph (``_WorklistCanonicaliser``):
  tree nodes, index occurrences and indices are vertices; a round recomputes only the vertices next
  to one recoloured in the round before, and a class that splits keeps its colour for the part
  that did not change (or its largest part). A chain then costs O(n) per refinement and the whole
  normalization O(n log n) for traces and chains (measured: benchmarks/normalize.py).

Closed components of a product or sum (factors whose indices occur nowhere else) are canonicalised
alone first (``_components``), so k identical closed factors cost k small searches, not k!.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from sympy import Expr

from symtok.canonical import canonical
from symtok.indices import ADJOINT, DIRAC, FUNDAMENTAL, LABEL, LORENTZ, Index

log = logging.getLogger(__name__)

#: Canonical names, per kind, for index number n.
CANONICAL_NAMES: dict[str, str] = {
    LORENTZ: "\\mu_{}",
    DIRAC: "del_{}",
    ADJOINT: "a_{}",
    FUNDAMENTAL: "A_{}",
    LABEL: "l_{}",
}
MAX_LEAVES = 2000  # individualisation branches explored before settling for the best so far
SEARCH_WORK = 4_000_000  # leaves x tree nodes: a big expression gets fewer branches, so time stays bounded
SEARCH_BUDGET = 1_000_000  # vertices visited (refinement rounds, leaf keys) before settling, at least 40 per tree node
MAX_DEPTH = 200  # individualisations on one path; beyond, the remaining ties are broken by traversal order
ROUND_REFINEMENT_MAX = 128  # distinct indices up to which the round refinement (the original canonical form) is used

_IDX, _STATIC, _NODE = 0, 1, 2
IndexKey = tuple[str, str]


def _atom_key(expr: Expr) -> tuple[Any, ...]:
    """Name-independent key of an atom that is not an index (deterministic across processes)."""
    if expr.is_Rational:
        return (1, "Number", int(expr.p), int(expr.q))
    if expr.is_Symbol:
        return (1, "Symbol", expr.name)
    return (1, type(expr).__name__, str(expr))


def _compile(expr: Expr, found: dict[Index, None]) -> list[Any]:
    """The expression as a light tree: [_IDX, kind, up, key] | [_STATIC, key] | [_NODE, name, commutative, children].

    Index-free subtrees collapse into one static key; ``found`` collects every Index object.
    """
    if isinstance(expr, Index):
        found[expr] = None
        return [_IDX, expr.kind, expr.up, expr.key]
    if not expr.args:
        return [_STATIC, _atom_key(expr)]
    children = [_compile(a, found) for a in expr.args]
    commutative = bool(expr.is_Add or expr.is_Mul)
    if all(c[0] == _STATIC for c in children):
        keys = [c[1] for c in children]
        if commutative:
            keys.sort()
        return [_STATIC, (1, type(expr).__name__, tuple(keys))]
    return [_NODE, type(expr).__name__, commutative, children]


class _Canonicaliser:
    def __init__(self, tree: list[Any], keys: list[IndexKey]) -> None:
        self.tree = tree
        self.index_keys = keys
        self.leaves = 0
        self.best: tuple[Any, dict[IndexKey, int]] | None = None
        self.parent: dict[IndexKey, IndexKey] = {}
        size, stack = 0, [tree]
        while stack:
            node = stack.pop()
            size += 1
            if node[0] == _NODE:
                stack.extend(node[3])
        self.size = size
        self.max_leaves = max(16, min(MAX_LEAVES, SEARCH_WORK // size))
        self.work = 0  # vertices visited so far (refinement rounds, leaf keys), bounded by budget
        self.budget = max(SEARCH_BUDGET, 40 * size)
        self.settled = False  # a path's ties were broken by traversal order: no further branches
        self.warned = False

    def node_key(self, node: list[Any], colours: dict[IndexKey, int], memo: dict[int, Any]) -> Any:
        tag = node[0]
        if tag == _IDX:
            return (0, node[1], node[2], colours[node[3]])
        if tag == _STATIC:
            return node[1]
        children = [self.node_key(c, colours, memo) for c in node[3]]
        if node[2]:
            children.sort()
        key = (2, node[1], tuple(children))
        memo[id(node)] = key
        return key

    def occurrences(self, colours: dict[IndexKey, int]) -> dict[IndexKey, list[Any]]:
        memo: dict[int, Any] = {}
        self.node_key(self.tree, colours, memo)
        occ: dict[IndexKey, list[Any]] = {k: [] for k in self.index_keys}
        stack: list[tuple[list[Any], Any]] = [(self.tree, ())]
        while stack:
            node, ctx = stack.pop()
            if node[0] != _NODE:
                continue
            key = memo[id(node)]
            for slot, child in enumerate(node[3]):
                if child[0] == _IDX:
                    occ[child[3]].append((ctx, key, slot, child[2]))
                elif child[0] == _NODE:
                    where = memo[id(child)] if node[2] else slot
                    stack.append((child, (ctx, key, where)))
        return occ

    def refine(self, colours: dict[IndexKey, int]) -> dict[IndexKey, int]:
        """Split colour classes by the colours of everything around each index until stable."""
        classes = len(set(colours.values()))
        while True:
            self.work += self.size
            occ = self.occurrences(colours)
            sig = {k: (colours[k], sorted(occ[k])) for k in self.index_keys}
            order = sorted(self.index_keys, key=sig.__getitem__)
            new: dict[IndexKey, int] = {}
            rank = -1
            previous = None
            for k in order:
                if previous is None or sig[k] != sig[previous]:
                    rank += 1
                new[k] = rank
                previous = k
            colours = new
            if rank + 1 == classes:
                return colours
            classes = rank + 1

    def search(self, colours: dict[IndexKey, int], depth: int = 0) -> tuple[Any, dict[IndexKey, int]] | None:
        """Best (smallest canonical key) discrete colouring reachable by individualisation.

        Two leaves with the same key reveal an automorphism of the expression (the index of colour c in
        one goes to the index of colour c in the other). At the first level, a candidate in the orbit
        of one already explored, under the automorphisms found so far, would give the same leaves and is
        skipped (nauty's orbit pruning): a trace of n identical matrices costs a few branches, not n.

        Bounded: past ``self.budget`` vertices of work or ``MAX_DEPTH`` individualisations, the path's
        remaining ties are broken by traversal order (:meth:`break_ties`) and no branch is tried after."""
        colours = self.refine(colours)
        self.work += len(colours)  # this level's own bookkeeping
        cells: dict[int, list[IndexKey]] = {}
        for k, c in colours.items():
            cells.setdefault(c, []).append(k)
        tied = [cell for c, cell in sorted(cells.items()) if len(cell) > 1]
        if tied and (self.work >= self.budget or depth >= MAX_DEPTH):
            self._warn()
            colours, tied, self.settled = self.break_ties(colours), [], True
        if not tied:
            self.leaves += 1
            self.work += self.size
            key = self.node_key(self.tree, colours, {})
            if self.best is not None and key == self.best[0]:
                self._automorphism(colours, self.best[1])
            elif self.best is None or key < self.best[0]:
                self.best = (key, colours)
            return key, colours
        best = None
        explored: list[IndexKey] = []
        for chosen in tied[0]:
            if best is not None and (self.leaves >= self.max_leaves or self.work >= self.budget or self.settled):
                self._warn()
                break
            if depth == 0 and any(self._orbit(chosen) == self._orbit(e) for e in explored):
                continue
            explored.append(chosen)
            found = self.search(self.individualise(colours, chosen), depth + 1)
            if found is not None and (best is None or found[0] < best[0]):
                best = found
        return best

    def _warn(self) -> None:
        if not self.warned:
            log.warning(
                "normalize: search bound reached (%d symmetric branches explored); result may depend on names",
                self.leaves,
            )
            self.warned = True

    def break_ties(self, colours: dict[IndexKey, int]) -> dict[IndexKey, int]:
        """A discrete colouring refining ``colours``: indices of one class ordered by first appearance
        (children in structural-key order; equal siblings in the input's order, so this step alone may
        depend on names). Used once the search bound is reached, instead of individualising further."""
        position = {k: n for n, k in enumerate(self.first_appearance(colours))}
        self.work += 2 * self.size
        ranked = sorted(colours, key=lambda k: (colours[k], position.get(k, len(position))))
        return {k: n for n, k in enumerate(ranked)}

    def individualise(self, colours: dict[IndexKey, int], chosen: IndexKey) -> dict[IndexKey, int]:
        """``colours`` with ``chosen`` given a colour of its own, just below its old class."""
        split = {k: 2 * c + 1 for k, c in colours.items()}
        split[chosen] -= 1
        return split

    def _automorphism(self, a: dict[IndexKey, int], b: dict[IndexKey, int]) -> None:
        """Join the orbits of an automorphism: the index of colour c in ``a`` ↔ that of colour c in ``b``."""
        by_colour = {c: k for k, c in b.items()}
        for k, c in a.items():
            root_a, root_b = self._orbit(k), self._orbit(by_colour[c])
            if root_a != root_b:
                self.parent[root_a] = root_b

    def _orbit(self, k: IndexKey) -> IndexKey:
        """Union-find representative of ``k``'s orbit under the automorphisms found so far."""
        root = k
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while k != root:  # path compression
            self.parent[k], k = root, self.parent[k]
        return root

    def first_appearance(self, colours: dict[IndexKey, int]) -> list[IndexKey]:
        """Indices in order of first appearance, children visited in structural-key order."""
        memo: dict[int, Any] = {}
        self.node_key(self.tree, colours, memo)
        seen: dict[IndexKey, None] = {}
        stack = [self.tree]
        while stack:
            node = stack.pop()
            if node[0] == _IDX:
                seen.setdefault(node[3], None)
            elif node[0] == _STATIC and len(node) > 2:  # a closed component: its own canonical order
                for k in node[2]:
                    seen.setdefault(k, None)
            elif node[0] == _NODE:
                children = node[3]
                if node[2]:
                    children = sorted(
                        children,
                        key=lambda c: (
                            memo[id(c)]
                            if c[0] == _NODE
                            else c[1]
                            if c[0] == _STATIC
                            else (0, c[1], c[2], colours[c[3]])
                        ),
                    )
                stack.extend(reversed(children))
        return list(seen)


class _WorklistCanonicaliser(_Canonicaliser):
    """The same search, with colour refinement by a worklist on the expression's graph (see the module
    docstring): colours are canonical ids (assigned in the order of sorted signatures), not ranks."""

    def __init__(self, tree: list[Any], keys: list[IndexKey]) -> None:
        super().__init__(tree, keys)
        self.labels: list[Any] = []  # initial label of each vertex (index vertices: filled per call)
        self.adj: list[list[tuple[int, int]]] = []  # (neighbour, relation) per vertex
        self.index_vertex: dict[IndexKey, int] = {}
        for k in keys:
            self.index_vertex[k] = self._vertex((3, k[1]))
        stack: list[tuple[list[Any], int, int]] = [(tree, -1, 0)]
        while stack:
            node, parent, edge = stack.pop()
            tag = node[0]
            label = (0, node[1], node[2]) if tag == _IDX else (1, node[1]) if tag == _STATIC else (2, node[1], node[2])
            v = self._vertex(label)
            if parent >= 0:  # relations: 2*edge + 1 child→parent, 2*edge + 2 parent→child; -1/-2 occurrence↔index
                self.adj[v].append((parent, 2 * edge + 1))
                self.adj[parent].append((v, 2 * edge + 2))
            if tag == _IDX:
                i = self.index_vertex[node[3]]
                self.adj[v].append((i, -1))
                self.adj[i].append((v, -2))
            elif tag == _NODE:
                for slot, child in enumerate(node[3]):
                    stack.append((child, v, 0 if node[2] else slot + 1))  # commutative: no slot

    def _vertex(self, label: Any) -> int:
        self.labels.append(label)
        self.adj.append([])
        return len(self.labels) - 1

    def _signature(self, v: int, colour: list[int]) -> tuple[tuple[int, int], ...]:
        return tuple(sorted((rel, colour[w]) for w, rel in self.adj[v]))

    def refine(self, colours: dict[IndexKey, int]) -> dict[IndexKey, int]:
        if isinstance(colours, _Individualised):  # from an equitable colouring: only around the chosen index
            colour, size, class_sig, next_id = colours.start()
            self.work += len(colour)
            touched = list({w for w, _ in self.adj[colours.vertex]} | {colours.vertex})
            return self._result(self._refine(colour, size, class_sig, next_id, touched))
        labels = list(self.labels)
        for k, v in self.index_vertex.items():
            labels[v] = (3, k[1], colours[k])
        ids = {label: n for n, label in enumerate(sorted(set(labels)))}
        colour = [ids[label] for label in labels]
        size: dict[int, int] = {}
        for c in colour:
            size[c] = size.get(c, 0) + 1
        return self._result(self._refine(colour, size, {}, len(ids), list(range(len(colour)))))

    def individualise(self, colours: dict[IndexKey, int], chosen: IndexKey) -> dict[IndexKey, int]:
        return _Individualised(colours, self.index_vertex[chosen])

    def _result(self, state: tuple[list[int], dict[int, int], dict[int, Any], int]) -> dict[IndexKey, int]:
        colours = _Equitable({k: state[0][v] for k, v in self.index_vertex.items()})
        colours.state = state
        return colours

    def _refine(
        self, colour: list[int], size: dict[int, int], class_sig: dict[int, Any], next_id: int, touched: list[int]
    ) -> tuple[list[int], dict[int, int], dict[int, Any], int]:
        """Refine the vertex colouring in place from the ``touched`` vertices until stable; returns
        the state (colours, class sizes, class signatures, next colour id) to refine further from."""
        while touched:
            self.work += len(touched)
            by_class: dict[int, list[int]] = {}
            for v in touched:
                if size[colour[v]] > 1:
                    by_class.setdefault(colour[v], []).append(v)
            changed: list[int] = []
            for c in sorted(by_class):
                group = by_class[c]
                sigs = {v: self._signature(v, colour) for v in group}
                parts: dict[Any, list[int]] = {}
                for v in group:
                    parts.setdefault(sigs[v], []).append(v)
                untouched = size[c] - len(group)
                if untouched:
                    keep = class_sig[c]  # the untouched members' signature is unchanged
                elif len(parts) == 1:
                    class_sig[c] = next(iter(parts))
                    continue
                else:
                    keep = min(parts, key=lambda sig: (-len(parts[sig]), sig))
                class_sig[c] = keep
                for sig in sorted(parts):
                    if sig == keep:
                        continue
                    for v in parts[sig]:
                        colour[v] = next_id
                    size[c] -= len(parts[sig])
                    size[next_id] = len(parts[sig])
                    class_sig[next_id] = sig
                    changed.extend(parts[sig])
                    next_id += 1
            # every class has its signature now; next round, only the neighbours of what changed
            touched = list({w for v in changed for w, _ in self.adj[v]} | set(changed))
        return colour, size, class_sig, next_id


class _Equitable(dict):
    """Index colours of a stable (equitable) colouring, with the whole graph's refinement state."""

    state: tuple[list[int], dict[int, int], dict[int, Any], int]


class _Individualised(dict):
    """An equitable colouring with one index vertex individualised: refinement resumes from the
    parent's state and starts at that vertex and its neighbours, not from scratch. The new colour
    ids follow from structure alone (the parent's ids, then the deterministic refinement order), so
    the result stays canonical."""

    def __init__(self, parent: _Equitable, vertex: int) -> None:
        super().__init__(parent)
        self.parent, self.vertex = parent, vertex

    def start(self) -> tuple[list[int], dict[int, int], dict[int, Any], int]:
        colour, size, class_sig, next_id = self.parent.state
        colour, size, class_sig = list(colour), dict(size), dict(class_sig)
        old = colour[self.vertex]
        colour[self.vertex] = next_id  # the chosen index: a class of its own
        size[old] -= 1
        size[next_id] = 1
        return colour, size, class_sig, next_id + 1


def _index_counts(node: list[Any], counts: Counter[IndexKey]) -> Counter[IndexKey]:
    """Occurrences of each index in ``node``, closed components left out (their indices are theirs)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n[0] == _IDX:
            counts[n[3]] += 1
        elif n[0] == _NODE:
            stack.extend(n[3])
    return counts


def _components(node: list[Any], totals: Counter[IndexKey], kind: type[_Canonicaliser]) -> list[Any]:
    """The tree with every closed component of a product or sum canonicalised on its own.

    The factors (terms) of a commutative node fall into components by shared indices. A component
    whose indices occur nowhere else is closed: it is canonicalised alone and replaced by a static
    leaf carrying its canonical key and its own index order. Isomorphic components then get equal
    keys and are interchangeable, so k identical closed factors (k traces, k contracted pairs) cost
    k small searches instead of k! branches. A node with one component is left as it is, so a
    connected amplitude (every SYMBA row) keeps the canonical form it had without this step."""
    if node[0] != _NODE:
        return node
    children = [_components(c, totals, kind) for c in node[3]]
    node = [_NODE, node[1], node[2], children]
    if not node[2]:
        return node
    counts = [_index_counts(c, Counter()) for c in children]
    indexed = [i for i, c in enumerate(counts) if c]
    if len(indexed) < 2:
        return node
    parent = {i: i for i in indexed}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[IndexKey, int] = {}
    for i in indexed:
        for k in counts[i]:
            if k in owner:
                parent[find(i)] = find(owner[k])
            else:
                owner[k] = i
    groups: dict[int, list[int]] = {}
    for i in indexed:
        groups.setdefault(find(i), []).append(i)
    if len(groups) < 2:
        return node
    out = [c for i, c in enumerate(children) if not counts[i]]
    for members in groups.values():
        inside = sum((counts[i] for i in members), Counter())
        if any(inside[k] != totals[k] for k in inside):
            out.extend(children[i] for i in members)  # open: an index of it occurs elsewhere
            continue
        sub = children[members[0]] if len(members) == 1 else [_NODE, node[1], True, [children[i] for i in members]]
        key, order = _canonical_tree(sub, sorted(inside), kind)
        out.append([_STATIC, (1, "closed component", key), order])
    return [_NODE, node[1], node[2], out]


def _canonical_tree(tree: list[Any], keys: list[IndexKey], kind: type[_Canonicaliser]) -> tuple[Any, list[IndexKey]]:
    """(canonical key, canonical index order) of a light tree whose open indices are ``keys``."""
    canon = kind(tree, keys)
    if not keys:
        return canon.node_key(tree, {}, {}), canon.first_appearance({})
    result = canon.search(dict.fromkeys(keys, 0))
    assert result is not None
    return result[0], canon.first_appearance(result[1])


def _canonical_order(expr: Expr) -> tuple[list[IndexKey], list[Index]]:
    found: dict[Index, None] = {}
    tree = _compile(expr, found)
    keys = sorted({i.key for i in found})  # any order: the algorithm below never looks at names
    if not keys:
        return [], []
    kind = _Canonicaliser if len(keys) <= ROUND_REFINEMENT_MAX else _WorklistCanonicaliser
    tree = _components(tree, _index_counts(tree, Counter()), kind)
    return _canonical_tree(tree, sorted(_index_counts(tree, Counter())), kind)[1], list(found)


def canonical_index_order(expr: Expr) -> list[IndexKey]:
    """(name, kind) of every index of ``expr`` in canonical order (independent of the names)."""
    return _canonical_order(expr)[0]


def normalize_indices(expr: Expr) -> tuple[Expr, dict[IndexKey, str]]:
    """Rename every index canonically per kind; returns the new expression and the old→new names."""
    order, indices = _canonical_order(expr)
    if not order:
        return canonical(expr), {}
    counters = dict.fromkeys(CANONICAL_NAMES, 0)
    renaming: dict[IndexKey, str] = {}
    for name, kind in order:
        renaming[(name, kind)] = CANONICAL_NAMES[kind].format(counters[kind])
        counters[kind] += 1
    replace = {i: i.with_name(renaming[i.key]) for i in indices}
    return canonical(expr, replace), renaming


def normalize(expr: Expr) -> Expr:
    """Canonical form of ``expr``: invariant under renaming of indices, idempotent, value-preserving.

    The result is also a canonical SymPy tree (see symtok.canonical), so it survives the token
    round trip exactly."""
    return normalize_indices(expr)[0]

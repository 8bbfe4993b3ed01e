"""Jet tokens, padded with masks: constituents (features relative to the jet axis; their C/A subjets
are the jet JEPA's context/target groups) or C/A subjets themselves (J-JEPA's tokens: each subjet's
four-vector and summary features; every subjet is its own target group, its axis the hint)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from symtok.config import Config

BASE_FEATURES = ("log_pt", "log_e", "delta_eta", "delta_phi", "delta_r", "log_pt_rel", "log_e_rel")
PID_FEATURES = ("charged_hadron", "neutral_hadron", "photon", "electron", "muon", "charge")
SUBJET_FEATURES = (*BASE_FEATURES, "log_mass", "log_constituents", "width")
SUBJET_PID_FEATURES = ("charged_fraction", "photon_fraction")


@dataclass(frozen=True)
class FeatureConfig(Config):
    """The jet's tokens (constituents or C/A subjets), how many constituents and subjets to keep, and
    whether to add particle-type features."""

    max_constituents: int = 128
    use_pid: bool = False
    subjet_radius: float = 0.2
    max_subjets: int = 8  # subjets kept: JEPA target groups (constituent tokens) or the tokens themselves
    tokens: Literal["constituents", "subjets"] = "constituents"

    @property
    def names(self) -> tuple[str, ...]:
        if self.tokens == "subjets":
            return SUBJET_FEATURES + (SUBJET_PID_FEATURES if self.use_pid else ())
        return BASE_FEATURES + (PID_FEATURES if self.use_pid else ())


def _wrap(dphi: np.ndarray) -> np.ndarray:
    return (dphi + math.pi) % (2 * math.pi) - math.pi


def _pid_onehot(pid: np.ndarray, charge: np.ndarray) -> np.ndarray:
    a = np.abs(pid)
    electron, muon, photon = a == 11, a == 13, a == 22
    charged = (charge != 0) & ~electron & ~muon
    neutral = (charge == 0) & ~photon
    return np.stack([charged, neutral, photon, electron, muon, charge], axis=-1).astype(np.float32)


def constituent_features(jet: Any, config: FeatureConfig) -> np.ndarray:
    """(n, F) features of one jet's constituents, sorted by pT (descending), at most max_constituents."""
    pt, eta, phi, e = (np.asarray(getattr(jet, k), dtype=np.float64) for k in ("pt", "eta", "phi", "e"))
    order = np.argsort(-pt, kind="stable")[: config.max_constituents]
    pt, eta, phi, e = pt[order], eta[order], phi[order], e[order]
    deta = eta - jet.jet_eta
    dphi = _wrap(phi - jet.jet_phi)
    jet_e = float(np.sum(np.asarray(jet.e)))
    cols = [np.log(pt), np.log(e), deta, dphi, np.hypot(deta, dphi), np.log(pt / jet.jet_pt), np.log(e / jet_e)]
    features = np.stack(cols, axis=-1).astype(np.float32)
    if config.use_pid:
        pid = np.asarray(jet.pid)[order]
        charge = np.asarray(jet.charge, dtype=np.float64)[order]
        features = np.concatenate([features, _pid_onehot(pid, charge)], axis=-1)
    return features


def subjets(jet: Any, config: FeatureConfig) -> tuple[np.ndarray, np.ndarray]:
    """C/A reclustering of the constituents into subjets of radius subjet_radius.

    Returns, for the kept (pT-sorted) constituents, the subjet index (subjets sorted by pT; -1 past
    max_subjets) and each constituent's subjet axis (delta_eta, delta_phi) relative to the jet."""
    import fastjet

    pt, eta, phi, e = (np.asarray(getattr(jet, k), dtype=np.float64) for k in ("pt", "eta", "phi", "e"))
    order = np.argsort(-pt, kind="stable")[: config.max_constituents]
    particles = []
    for k, i in enumerate(order):
        p = fastjet.PseudoJet(pt[i] * math.cos(phi[i]), pt[i] * math.sin(phi[i]), pt[i] * math.sinh(eta[i]), e[i])
        p.set_user_index(k)
        particles.append(p)
    sequence = fastjet.ClusterSequence(
        particles, fastjet.JetDefinition(fastjet.cambridge_algorithm, config.subjet_radius)
    )
    found = fastjet.sorted_by_pt(sequence.inclusive_jets(0.0))
    groups = np.full(len(order), -1, dtype=np.int64)
    axes = np.zeros((len(order), 2), dtype=np.float32)
    for s, sub in enumerate(found):
        for c in sub.constituents():
            k = c.user_index()
            if s < config.max_subjets:
                groups[k] = s
            axes[k] = (sub.eta() - jet.jet_eta, _wrap(np.array(sub.phi_std() - jet.jet_phi)))
    return groups, axes


@dataclass
class JetBatch:
    """features (B, N, F); padding (B, N) True = padding; groups (B, N) subjet ids, -1 = none;
    hints (B, N, 2) subjet axes; labels (B,)."""

    features: np.ndarray
    padding: np.ndarray
    groups: np.ndarray
    hints: np.ndarray
    labels: np.ndarray


@dataclass(frozen=True)
class PreparedJet:
    """One jet's model inputs, computed once: features (n, F), subjet ids (n,) and axes (n, 2), label."""

    features: np.ndarray
    groups: np.ndarray
    hints: np.ndarray
    label: int


def subjet_tokens(jet: Any, config: FeatureConfig) -> tuple[np.ndarray, np.ndarray]:
    """(S, F) features of the jet's C/A subjets (radius subjet_radius, the max_subjets hardest, by pT)
    and their axes (S, 2) relative to the jet: pT, E, position, mass, constituent count and pT-weighted
    width of each, from the (at most max_constituents) hardest constituents."""
    groups, axes = subjets(jet, config)
    pt, eta, phi, e = (np.asarray(getattr(jet, k), dtype=np.float64) for k in ("pt", "eta", "phi", "e"))
    order = np.argsort(-pt, kind="stable")[: config.max_constituents]
    pt, eta, phi, e = pt[order], eta[order], phi[order], e[order]
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    jet_e = float(np.sum(np.asarray(jet.e)))
    charge = np.asarray(jet.charge, dtype=np.float64)[order] if config.use_pid else None
    photon = (np.abs(np.asarray(jet.pid))[order] == 22) if config.use_pid else None
    rows, hints = [], []
    for s in range(int(groups.max(initial=-1)) + 1):
        k = groups == s
        if not k.any():
            continue
        sx, sy, sz, se = px[k].sum(), py[k].sum(), pz[k].sum(), e[k].sum()
        spt = math.hypot(sx, sy)
        deta, dphi = float(axes[k][0, 0]), float(axes[k][0, 1])
        mass = math.sqrt(max(se * se - sx * sx - sy * sy - sz * sz, 0.0))
        d = np.hypot(eta[k] - (deta + jet.jet_eta), _wrap(phi[k] - (dphi + jet.jet_phi)))
        row = [
            math.log(spt),
            math.log(se),
            deta,
            dphi,
            math.hypot(deta, dphi),
            math.log(spt / jet.jet_pt),
            math.log(se / jet_e),
            math.log(mass + 1e-3),
            math.log(int(k.sum())),
            float(np.sum(pt[k] * d) / pt[k].sum()),
        ]
        if charge is not None and photon is not None:
            row += [float(np.mean(charge[k] != 0)), float(np.mean(photon[k]))]
        rows.append(row)
        hints.append((deta, dphi))
    return np.array(rows, dtype=np.float32).reshape(-1, len(config.names)), np.array(hints, dtype=np.float32).reshape(
        -1, 2
    )


def prepare_jet(jet: Any, config: FeatureConfig, *, with_subjets: bool = True) -> PreparedJet:
    """Features (and, when asked, C/A subjets, which cost a reclustering) of one generated jet. With
    subjet tokens the subjets always are computed: each is a token, its own JEPA target group."""
    if config.tokens == "subjets":
        f, hints = subjet_tokens(jet, config)
        return PreparedJet(f, np.arange(len(f), dtype=np.int64), hints, int(jet.label))
    f = constituent_features(jet, config)
    if with_subjets:
        groups, hints = subjets(jet, config)
    else:
        groups, hints = np.full(len(f), -1, dtype=np.int64), np.zeros((len(f), 2), dtype=np.float32)
    return PreparedJet(f, groups, hints, int(jet.label))


def prepare_jets(
    jets: list[Any], config: FeatureConfig, *, with_subjets: bool = True, progress: bool = False
) -> list[PreparedJet]:
    """Features of every jet, once, so that training epochs only pad and stack (already prepared
    jets pass through unchanged)."""
    items = jets
    if progress:
        from tqdm import tqdm

        items = tqdm(jets, unit="jet", desc="features", dynamic_ncols=True)
    return [j if isinstance(j, PreparedJet) else prepare_jet(j, config, with_subjets=with_subjets) for j in items]


def pad_batch(prepared: list[PreparedJet]) -> JetBatch:
    """Pad prepared jets into one batch."""
    n = max(len(p.features) for p in prepared)
    b = len(prepared)
    features = np.zeros((b, n, prepared[0].features.shape[1]), dtype=np.float32)
    padding = np.ones((b, n), dtype=bool)
    groups = np.full((b, n), -1, dtype=np.int64)
    hints = np.zeros((b, n, 2), dtype=np.float32)
    for i, p in enumerate(prepared):
        k = len(p.features)
        features[i, :k] = p.features
        padding[i, :k] = False
        groups[i, :k] = p.groups
        hints[i, :k] = p.hints
    labels = np.array([p.label for p in prepared], dtype=np.int64)
    return JetBatch(features, padding, groups, hints, labels)


def make_batch(jets: list[Any], config: FeatureConfig, *, with_subjets: bool = True) -> JetBatch:
    """Pad a list of jets (rows with the generate.py columns, or PreparedJet) into arrays; subjets
    (for the JEPA) only when asked, since reclustering costs time."""
    return pad_batch(prepare_jets(jets, config, with_subjets=with_subjets))

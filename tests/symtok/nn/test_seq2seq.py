"""The encoder–decoder: incremental decoding equals the full pass, decoding always stops with a
valid expression under the grammar, and the model can learn a small mapping exactly."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from symtok import decode, tokenize
from symtok.config import ConfigError
from symtok.constrain import PrefixGrammar
from symtok.nn.decode import beam_search
from symtok.nn.seq2seq import Seq2Seq, Seq2SeqConfig
from symtok.vocab import Vocab

VOCAB = Vocab.default()


def tiny(attention: str = "softmax", **kw) -> Seq2Seq:
    torch.manual_seed(0)
    cfg = Seq2SeqConfig(dim=32, heads=4, encoder_depth=1, decoder_depth=2, dropout=0.0, attention=attention, **kw)
    return Seq2Seq(cfg).eval()


@pytest.mark.parametrize("attention", ["softmax", "fast"])
def test_incremental_decoding_equals_the_full_forward_pass(attention):
    model = tiny(attention)
    source = torch.randint(6, len(VOCAB), (3, 17))
    source[1, 11:] = 0  # padding
    target = torch.randint(6, len(VOCAB), (3, 9))
    full = model(source, target)
    cache = model.start(source)
    steps = []
    for t in range(target.shape[1]):
        logits, cache = model.step(target[:, t], cache)
        steps.append(logits)
    assert torch.allclose(full, torch.stack(steps, 1), atol=1e-4)


def test_padding_the_source_does_not_change_the_output():
    model = tiny()
    source = torch.randint(6, len(VOCAB), (1, 12))
    padded = torch.cat([source, torch.zeros(1, 5, dtype=torch.long)], 1)
    target = torch.randint(6, len(VOCAB), (1, 4))
    assert torch.allclose(model(source, target), model(padded, target), atol=1e-5)


@settings(max_examples=15)
@given(st.integers(0, 10_000), st.integers(1, 4), st.integers(3, 40), st.sampled_from(["softmax", "fast"]))
def test_constrained_decoding_of_an_untrained_model_always_gives_expressions(seed, beam, max_length, attention):
    model = tiny(attention, seed=seed % 7)
    torch.manual_seed(seed)
    source = torch.randint(6, len(VOCAB), (2, 10))
    results = beam_search(model, source, beam=beam, max_length=max_length, grammar=PrefixGrammar(VOCAB, max_length))
    for hyps in results:
        assert 1 <= len(hyps) <= beam
        for h in hyps:
            assert h.finished and len(h.ids) <= max_length
            decode(VOCAB.decode(list(h.ids)))
        assert [h.log_prob for h in hyps] == sorted((h.log_prob for h in hyps), reverse=True)


def test_unconstrained_decoding_stops_at_the_maximum_length():
    model = tiny()
    (hyps,) = beam_search(model, torch.randint(6, len(VOCAB), (1, 8)), beam=2, max_length=5)
    assert all(len(h.ids) <= 5 for h in hyps)


def test_greedy_decoding_follows_the_argmax_of_the_full_pass():
    model = tiny()
    source = torch.randint(6, len(VOCAB), (1, 10))
    (hyps,) = beam_search(model, source, beam=1, max_length=12)
    ids = list(hyps[0].ids)
    inputs = torch.tensor([[model.config.bos_id, *ids]])
    argmax = model(source, inputs).argmax(-1)[0].tolist()
    assert argmax[: len(ids)] == ids


def test_a_small_mapping_is_learned_exactly():
    pairs = [
        ("e^2*s_12", "4*e^4*s_12^2"),
        ("e^2*s_13", "4*e^4*s_13^2"),
        ("e^2*m_e^2", "4*e^4*m_e^4"),
        ("e^2*s_14", "4*e^4*s_14^2"),
        ("e^2*m_mu^2", "4*e^4*m_mu^4"),
    ]
    src = [VOCAB.encode(tokenize(a)) for a, _ in pairs]
    tgt = [[*VOCAB.encode(tokenize(b)), VOCAB.eos_id] for _, b in pairs]
    pad = lambda seqs: torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first=True)  # noqa: E731
    torch.manual_seed(0)
    model = Seq2Seq(Seq2SeqConfig(dim=64, heads=4, encoder_depth=1, decoder_depth=1, dropout=0.0))
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    source, target = pad(src), pad(tgt)
    for _ in range(150):
        loss, _ = model.loss(source, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    results = beam_search(model, source, beam=2, max_length=30, grammar=PrefixGrammar(VOCAB, 30))
    assert [list(r[0].ids) for r in results] == [t[:-1] for t in tgt]


def test_configs_are_checked():
    with pytest.raises(ConfigError):
        Seq2SeqConfig(dim=30, heads=4)
    with pytest.raises(ConfigError):
        Seq2SeqConfig(attention="linear")
    with pytest.raises(ConfigError):
        Seq2SeqConfig(decoder_depth=0)

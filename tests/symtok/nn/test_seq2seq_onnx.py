"""The exported encoder and decoder-step graphs, driven by the numpy/onnxruntime loop, decode
exactly what the torch model decodes, greedily and with beam search (softmax KV cache and FAVOR+
recurrent state)."""

from __future__ import annotations

import pytest
import torch

from symtok import detokenize
from symtok.constrain import PrefixGrammar
from symtok.nn.decode import beam_search
from symtok.nn.seq2seq import Seq2Seq, Seq2SeqConfig
from symtok.nn.seq2seq_onnx import export_seq2seq
from symtok.onnx_seq2seq import OnnxSeq2Seq
from symtok.vocab import Vocab

VOCAB = Vocab.default()


@pytest.mark.parametrize("attention", ["softmax", "fast"])
@pytest.mark.parametrize("constrained", [False, True])
def test_onnx_greedy_decoding_equals_torch(tmp_path, attention, constrained):
    torch.manual_seed(1)
    model = Seq2Seq(
        Seq2SeqConfig(dim=32, heads=4, encoder_depth=1, decoder_depth=2, dropout=0.0, attention=attention)
    ).eval()
    export_seq2seq(model, tmp_path, kind="test-seq2seq")
    sources = [torch.randint(6, len(VOCAB), (n,)).tolist() for n in (9, 4, 13)]
    padded = torch.zeros(3, 13, dtype=torch.long)
    for i, s in enumerate(sources):
        padded[i, : len(s)] = torch.tensor(s)
    grammar = PrefixGrammar(VOCAB, 24) if constrained else None
    expected = [h[0].ids for h in beam_search(model, padded, beam=1, max_length=24, grammar=grammar)]
    got = OnnxSeq2Seq(tmp_path).greedy(sources, max_length=24, vocab=VOCAB, constrained=constrained)
    assert got == expected
    if not constrained:
        assert all(len(ids) == 24 for ids in got)  # untrained: it runs to the limit, every step compared


@pytest.mark.parametrize("attention", ["softmax", "fast"])
def test_onnx_beam_search_equals_torch(tmp_path, attention):
    torch.manual_seed(2)
    model = Seq2Seq(
        Seq2SeqConfig(dim=32, heads=4, encoder_depth=1, decoder_depth=2, dropout=0.0, attention=attention)
    ).eval()
    export_seq2seq(model, tmp_path, kind="test-seq2seq")
    sources = [torch.randint(6, len(VOCAB), (n,)).tolist() for n in (7, 12)]
    padded = torch.zeros(2, 12, dtype=torch.long)
    for i, s in enumerate(sources):
        padded[i, : len(s)] = torch.tensor(s)
    graphs = OnnxSeq2Seq(tmp_path)
    for beam in (1, 2, 4):
        ranked = beam_search(model, padded, beam=beam, max_length=20, grammar=PrefixGrammar(VOCAB, 20))
        got = graphs.beam_search(sources, beam=beam, max_length=20, vocab=VOCAB)
        assert got == [h[0].ids for h in ranked]
        # every hypothesis, in torch's order and with its score: what verified decoding re-ranks
        found = graphs.hypotheses(sources, beam=beam, max_length=20, vocab=VOCAB)
        assert [[h.ids for h in hyps] for hyps in found] == [[h.ids for h in hyps] for hyps in ranked]
        assert all(len(hyps) == beam for hyps in found)
        for mine, theirs in zip(found, ranked, strict=True):
            assert [h.log_prob for h in mine] == pytest.approx([h.log_prob for h in theirs], abs=1e-4)
            assert [h.finished for h in mine] == [h.finished for h in theirs]
        for ids in got:  # constrained: every output is a whole expression
            detokenize(VOCAB.decode(ids))
    greedy = graphs.greedy(sources, max_length=20, vocab=VOCAB)
    assert graphs.beam_search(sources, beam=1, max_length=20, vocab=VOCAB) == greedy
    with pytest.raises(Exception, match="beam must be"):
        graphs.beam_search(sources, beam=0, max_length=20)


def test_a_directory_without_the_graphs_is_a_clear_error(tmp_path):
    from symtok.errors import SymtokError

    with pytest.raises(SymtokError, match="export the model"):
        OnnxSeq2Seq(tmp_path)

"""Vocabulary: stable ids, specials, JSON round trip, append-only extension, clear errors."""

from __future__ import annotations

import json

import pytest

from symtok import Vocab, VocabError, tokenize
from symtok.files import data_path
from symtok.tokens import SPECIALS, core_tokens
from symtok.vocab import build_vocab


def test_shipped_vocab_ids_never_change():
    shipped = Vocab.load(data_path("vocab.json"))
    core = core_tokens()
    # ids are positions: the specification may only append after what was shipped
    assert list(shipped.tokens) == core[: len(shipped)]
    assert len(shipped) == len(core), "core tokens missing from data/vocab.json: append them"


def test_specials_come_first_with_fixed_ids():
    v = Vocab.default()
    assert v.tokens[:6] == SPECIALS
    assert (v.pad_id, v.bos_id, v.eos_id, v.mask_id, v.sep_id, v.unk_id) == (0, 1, 2, 3, 4, 5)


def test_save_load_round_trip(tmp_path):
    v = Vocab.default().extended(["extra_token"])
    v.save(tmp_path / "v.json")
    assert Vocab.load(tmp_path / "v.json") == v
    assert not list(tmp_path.glob(".*tmp"))


def test_extension_appends_and_keeps_ids():
    base = Vocab.default()
    ext = base.extended(["zzz", "add", "yyy"])
    assert ext.tokens[: len(base)] == base.tokens
    assert ext.tokens[len(base) :] == ("zzz", "yyy")


def test_encode_decode_and_unknowns():
    v = Vocab.default()
    tokens = tokenize("e^2*s_12")
    assert v.decode(v.encode(tokens)) == tokens
    with pytest.raises(VocabError, match="not in the vocabulary"):
        v.encode(["nope"])
    assert v.encode(["nope"], strict=False) == [v.unk_id]
    with pytest.raises(VocabError, match="out of range"):
        v.decode([len(v)])


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"tokens": ["a"]}),
        json.dumps({"format": "symtok-vocab", "tokens": ["a", "b"]}),
        json.dumps({"format": "symtok-vocab", "tokens": [*SPECIALS, "x", "x"]}),
    ],
)
def test_bad_files_raise_vocab_error(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(VocabError):
        Vocab.load(path)


def test_build_counts_tokens_and_adds_nothing_for_valid_input():
    streams = [tokenize("e^2*s_12"), tokenize("g^2*alpha")]
    vocab, counts = build_vocab(streams)
    assert len(vocab) == len(Vocab.core())
    assert counts["sym"] == 1 and counts["pow"] == 2


def test_build_appends_foreign_tokens_by_frequency():
    vocab, _ = build_vocab([["a1", "b2", "b2"]], base=Vocab.core())
    assert vocab.tokens[-2:] == ("b2", "a1")

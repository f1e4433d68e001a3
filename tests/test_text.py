"""The text layer shared by screening and extraction (src/lsr/text.py) and its vocabularies."""
from __future__ import annotations

import shutil

import pytest

from lsr import text
from lsr.tsv import InputError


@pytest.fixture(scope="module")
def vocabularies():
    return text.load_vocabularies()


def drugs_in(vocabularies, sentence: str) -> list[str]:
    lexicon = text.entry_lexicon(vocabularies.of("drugs"))
    return [code for code, _, _ in lexicon.find(text.tokenize(sentence))]


@pytest.mark.parametrize("sentence, codes", [
    ("Tacrolimús y ciclosporina fueron usados.", ["tacrolimus", "CSA"]),
    ("FK-506, FK 506 and FK506", ["tacrolimus", "tacrolimus", "tacrolimus"]),
    ("methylprednisolone pulses, MTX and IVIg", ["CS", "MTX", "IVIG"]),
    ("タクロリムス軟膏の外用", ["tacrolimus"]),
    ("mtx was not written in capitals", []),          # abbreviations are case-sensitive
])
def test_drug_synonyms_in_the_languages_pubmed_holds(vocabularies, sentence, codes):
    assert drugs_in(vocabularies, sentence) == codes


def modifiers(vocabularies, sentence: str, target: str) -> frozenset[str]:
    tokens = text.tokenize(sentence)
    first = next(i for i, t in enumerate(tokens) if t.norm == target)
    return vocabularies.modifiers.scope(tokens, [(first, first)])[0]


@pytest.mark.parametrize("sentence, target, expected", [
    ("Tacrolimus was not used.", "tacrolimus", {"negated"}),
    ("Children will be randomised to tacrolimus.", "tacrolimus", {"hypothetical"}),
    ("Tacrolimus may help.", "help", {"uncertain"}),
    ("She had eczema in childhood and dermatomyositis at 40.", "eczema", {"historical"}),
    ("Oral tacrolimus was started, but no rash remained.", "tacrolimus", set()),    # 'but' ends the scope
    ("There was no tacrolimus-related toxicity.", "tacrolimus", set()),             # the toxicity is denied
])
def test_modifiers_apply_within_their_scope(vocabularies, sentence, target, expected):
    assert modifiers(vocabularies, sentence, target) == expected


def test_chinese_and_japanese_characters_are_tokens_of_their_own():
    assert [t.text for t in text.tokenize("幼年皮肌炎 JDM")] == ["幼", "年", "皮", "肌", "炎", "JDM"]


def test_sentences_keep_abbreviations_and_initials():
    assert text.split_sentences("Seen by Yamada et al. in 2004. Dose 0.1 mg/kg i.v. daily. Done by J. Smith.") == [
        "Seen by Yamada et al. in 2004.", "Dose 0.1 mg/kg i.v. daily.", "Done by J. Smith."]


def test_a_bad_vocabulary_file_is_named_with_the_field(tmp_path, repo):
    folder = tmp_path / "vocabularies"
    shutil.copytree(repo / "config/vocabularies", folder)
    path = folder / "drugs.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    code: MTX\n", "    code: 7\n"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        text.load_vocabularies(folder)
    assert str(path) in str(caught.value) and "entries/methotrexate/code" in str(caught.value)

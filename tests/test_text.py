"""The text layer shared by screening and extraction (src/lsr/text.py) and its vocabularies."""
from __future__ import annotations

import re
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


# --------------------------------------------------------------------------- typed age mentions

def ages(sentence: str) -> list[tuple[tuple[float, ...], str]]:
    """(ages in years, what they are about) of a sentence, the treatment being tacrolimus."""
    tacrolimus = text.entry_lexicon([text.load_vocabularies().entry("drugs.tacrolimus")])
    return [(tuple(round(y, 2) for y in m.years), m.about)
            for m in text.age_mentions(*text.scan(sentence), sentence, tacrolimus)]


@pytest.mark.parametrize("sentence, expected", [
    ("A 14-year-old boy, diagnosed at the age of 9 years, was treated.", [((14,), "reported"), ((9,), "onset")]),
    ("Age at onset ranged from 2 to 11 years.", [((2, 11), "onset")]),
    ("A 31-year-old man, aged 12 years at onset of dermatomyositis.", [((31,), "reported"), ((12,), "onset")]),
    ("Age at tacrolimus start was 8 years.", [((8,), "start")]),
    ("JDM was diagnosed at 10 years. At 13 years of age, oral tacrolimus was started.",
     [((10,), "onset"), ((13,), "start")]),
    ("At 13 years, the rash worsened.", [((13,), "maybe")]),                  # an age or a time point
])
def test_an_age_is_bound_to_what_it_is_about(sentence, expected):
    assert ages(sentence) == expected


@pytest.mark.parametrize("sentence, expected", [
    ("The study included 6 patients (disease duration 0.16-11 years).", []),
    ("Patients aged 10 years had a mean follow-up of 3 years.", [((10,), "reported")]),   # the follow-up is none
    ("Tacrolimus was given for 12 weeks.", []),
    ("The rash had begun 3 years earlier.", []),
    ("We reviewed children diagnosed between 2000 and 2014 who had a minimum of 2 years of follow-up.", []),
])
def test_durations_follow_up_and_intervals_are_not_ages(sentence, expected):
    assert ages(sentence) == expected


@pytest.mark.parametrize("sentence, years", [
    ("Three patients aged 4, 7 and 12 years were treated.", (4, 7, 12)),
    ("We present 11- and 8-year-old boys.", (11, 8)),
    ("Twelve patients aged four to fifteen years.", (4, 15)),
    ("An 18-month-old girl.", (1.5,)),
    ("Patients were aged from 10 years 3 months to 13 years 4 months.", (10.25, 13.33)),
    ("Ages ranged from 20 months to 7 years.", (1.67, 7)),
    ("Foram descritos três pacientes com idade de 5,7 a 10,6 anos.", (5.7, 10.6)),
])
def test_number_words_ranges_lists_and_months_in_years(sentence, years):
    assert [y for y, _ in ages(sentence)] == [years]


def test_bounds_and_means_are_no_patient_s_age():
    mentions = lambda s: text.age_mentions(*text.scan(s), s)    # noqa: E731
    under, over = mentions("Patients aged under 16 years and those aged 18 years or older.")
    assert (under.limit, over.limit, under.extremes, over.extremes) == ("under", "over", (), ())
    mean, = mentions("The median age was 8.5 years (range 3-14).")
    assert (mean.years, mean.summary, mean.extremes) == ((8.5,), True, (3.0, 14.0))
    sd, = mentions("Mean age 35 ± 7.5 (25-48) years.")
    assert (sd.years, sd.extremes) == ((35.0,), (25.0, 48.0))


def test_stated_age_groups_for_screening():
    sentence = "Patients aged 8-60 years; a woman, aged 12 years at onset; mean age 52 ± 12 years."
    groups = [group for _, _, group in text.age_groups(text.age_mentions(*text.scan(sentence), sentence))]
    # a mean with its standard deviation is one age, not a range reaching both sides
    assert groups == ["juvenile", "adult", "mixed", "juvenile", "juvenile_onset", "adult"]


# --------------------------------------------------------------------------- fast paths give the slow paths' results

def corpus_records(repo) -> list[dict]:
    """The bundled snapshot's records and the development corpus's (tests/data/corpus)."""
    from lsr.records import collect_records
    return collect_records([repo / "resources/snapshot/tacrolimus-jdm-2024.xml", repo / "tests/data/corpus/records.xml"])


def corpus_texts(repo) -> list[str]:
    """Every title, abstract, keyword list and journal of the corpus, and sentences made to be hard."""
    texts = [record.get(name, "") for record in corpus_records(repo) for name in ("title", "abstract", "keywords", "journal")]
    return [t for t in texts if t] + [
        "Twenty one patients, twenty-one girls, thirty  two boys, forty 5 and Fifty-Ninety.",
        "ｔｗｅｎｔｙ one; twenty;one; Ninety-nine%", "Tacrolimús (FK506) 0,1% 1.5.2 mg/kg #3",
        "幼年皮肌炎 JDM タクロリムス軟膏", "paediatric randomised tumours, analysed", "Æsop œdema ﬁnal"]


def one_by_one(text_: str, offset: int = 0) -> list[tuple[str, str, int, int]]:
    """The tokens as the text layer found them one match at a time (before `scan`)."""
    tokens = []
    for match in text._TOKEN.finditer(text_):
        word, (start, end) = match.group(), match.span()
        norm = text.normalise_word(word)
        if (norm.isdigit() and 0 < int(norm) < 10 and tokens and tokens[-1][0].isdigit()
                and text.fold(tokens[-1][1]) in text._TENS and start + offset - tokens[-1][3] <= 1):
            last = tokens.pop()
            tokens.append((str(int(last[0]) + int(norm)), text_[last[2] - offset:end], last[2], end + offset))
            continue
        tokens.append((norm, word, start + offset, end + offset))
    return tokens


def test_scan_finds_the_tokens_one_match_at_a_time_would(repo):
    for text_ in corpus_texts(repo):
        for offset in (0, 17):
            assert list(zip(*text.scan(text_, offset))) == one_by_one(text_, offset), text_


def test_a_field_s_tokens_are_its_sentences_tokens(repo):
    fields = ("title", "abstract", "keywords", "journal")
    for record in corpus_records(repo) + [{"abstract": sentence} for sentence in corpus_texts(repo)]:
        for span in text.field_spans(record, fields):
            assert list(zip(span.norms, span.words, span.starts, span.ends)) == one_by_one(
                span.text[span.start:span.end], span.start)


def test_find_each_finds_in_each_sentence_what_find_finds_in_it(repo, vocabularies):
    from lsr import screening
    eligibility = screening.load_eligibility(repo / "config/eligibility.yaml",
                                             repo / "workflow/schemas/eligibility.schema.yaml")
    abbreviations = text.Lexicon(abbreviations={"drug": ["TAC", "FK 506"], "disease": ["JDM"]})
    lexicons = [eligibility.lexicon, vocabularies.modifiers.lexicon, abbreviations,
                text.entry_lexicon(vocabularies.of("drugs"))]
    for record in corpus_records(repo):
        spans = text.field_spans(record, screening.TEXT_FIELDS)
        for lexicon in lexicons:
            each = [lexicon.find_each(text.Pieces.of([s.norms], [s.words]))[0] for s in spans]
            assert lexicon.find_each(text.Pieces.of([s.norms for s in spans], [s.words for s in spans])) == each
            assert [lexicon.find(s.tokens) for s in spans] == each


def test_lexicon_mentions_come_in_text_order_terms_before_abbreviations_at_a_token():
    lexicon = text.Lexicon({"drug": ["tacrolimus", "12 mg"], "dose": ["# mg"]}, {"drug": ["TAC"], "size": ["TAC 12"]})
    found = lexicon.find(text.tokenize("TAC 12 mg then tacrolimus, TAC and 12 mg"))
    assert found == [("size", 0, 1), ("drug", 0, 0), ("drug", 1, 2), ("dose", 1, 2), ("drug", 4, 4), ("drug", 5, 5),
                     ("drug", 7, 8), ("dose", 7, 8)]
    assert lexicon.find(text.tokenize("tacrolimus then TAC")) == [("drug", 0, 0), ("drug", 2, 2)]


def test_may_state_age_is_false_only_where_no_age_is_stated(repo):
    sentences = [s for t in corpus_texts(repo) for s in text.split_sentences(t)] + [
        "A 14-year-old boy, diagnosed at the age of 9 years.", "Age at onset ranged from 2 to 11 years.",
        "JDM was diagnosed at 10 years. At 13 years of age, oral tacrolimus was started.", "diagnosed at 16",
        "Patients were aged from 10 years 3 months to 13 years 4 months.", "Mean age 35 ± 7.5 (25-48) years.",
        "aged sixteen", "at the age of 7", "an 18-month-old girl", "de 5,7 a 10,6 anos", "at 12 at disease onset"]
    stating = 0
    for sentence in sentences:
        norms, _, starts, ends = text.scan(sentence)
        if text._ages_in(norms, starts, ends, sentence, None):
            stating += 1
            assert text.may_state_age(norms), sentence
    assert stating > 10      # the corpus states ages: the test is not vacuous


def test_sentence_spans_end_where_the_looked_behind_mark_does(repo):
    """The fast sentence end (the mark matched) splits where the plain definition does: spaces
    after a . ! or ? followed by a capital, a digit, a bracket or a quote."""
    plain = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\[(\"'“])")
    texts = corpus_texts(repo) + ["A? . B", "x.  y. Z", "Done!  (See)", "e.g. Tacrolimus. 5 cases", "a.\n\nB"]
    for value in texts:
        assert [m.span(1) for m in text._SENTENCE_END.finditer(value)] == [m.span() for m in plain.finditer(value)]

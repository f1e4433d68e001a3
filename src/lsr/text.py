"""The text layer shared by screening and extraction.

One way to read a record's text: sentences with their abstract section, tokens (case, accents,
British/American spelling, plurals and number words folded; Chinese and Japanese characters one
each), numbers written as words, typed age mentions bound to what they are about (at onset or
diagnosis, at the treatment's start, as reported; bounds, means with their range; durations and
follow-up are not ages) and the age groups screening reads from them, phrase lexicons
matched over tokens (a first-token index, so a sentence costs one dictionary look-up per token),
and ConText-style modifiers with scope (negated, hypothetical, uncertain, historical, other
population), read from the cue lexicon in config/vocabularies/modifiers.yaml.

The vocabularies (drugs, routes, populations, modifier cues) are data files in config/vocabularies/,
validated against workflow/schemas/vocabulary.schema.yaml; the eligibility criteria and the
extraction rules refer to their entries by name.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import NamedTuple


from .tsv import InputError, read_yaml

REPO = Path(__file__).resolve().parents[2]
VOCABULARY_DIR = REPO / "config" / "vocabularies"
VOCABULARY_SCHEMA = REPO / "workflow" / "schemas" / "vocabulary.schema.yaml"

# --------------------------------------------------------------------------- numbers

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
          "nineteen"]
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
WORD_NUMBERS: dict[str, int] = {word: value for value, word in enumerate(_UNITS)}
for _tens_word, _tens_value in _TENS.items():
    WORD_NUMBERS[_tens_word] = _tens_value
    for _unit_value, _unit_word in enumerate(_UNITS[1:10], start=1):
        WORD_NUMBERS[f"{_tens_word}-{_unit_word}"] = _tens_value + _unit_value
        WORD_NUMBERS[f"{_tens_word} {_unit_word}"] = _tens_value + _unit_value
WORD_NUMBERS.update({"a single": 1, "single": 1, "a couple of": 2, "a pair of": 2})
"""Number words as abstracts write them -> their value."""

# Few alternatives, longest first ('seventeen' before 'seven'): a long alternation is slow to try.
_ONE_TO_NINE = "|".join(sorted(_UNITS[1:10], key=len, reverse=True))
_BELOW_TWENTY = "|".join(sorted(_UNITS, key=len, reverse=True))
NUMBER = (rf"(?:\d+(?:\.\d+)?|(?:{'|'.join(_TENS)})(?:[- ](?:{_ONE_TO_NINE}))?|{_BELOW_TWENTY}"
          rf"|a single|single|a couple of|a pair of)")
"""A regular expression for a number in digits or words."""
DASH = r"\s*(?:-|–|—|to)\s*"


def parse_number(text: str) -> float:
    """'7', '8.5', 'seven', 'Forty-nine', 'a couple of' -> a number."""
    cleaned = " ".join(text.lower().replace("–", "-").split())
    if cleaned in WORD_NUMBERS:
        return float(WORD_NUMBERS[cleaned])
    return float(cleaned.replace(",", "."))


def format_number(value: float, decimals: int = 2) -> str:
    """A number as people write it: 12, 8.5, 0.075 (no trailing zeros)."""
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def format_range(low: float, high: float | None = None, decimals: int = 2) -> str:
    """'7-9', or one number when both ends are the same."""
    if high is None or format_number(low, decimals) == format_number(high, decimals):
        return format_number(low, decimals)
    return f"{format_number(low, decimals)}-{format_number(high, decimals)}"


# --------------------------------------------------------------------------- tokens

# Chinese and Japanese characters are one token each (their text has no spaces between words).
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[^\W\d_{_CJK}]+|[{_CJK}]|\d+(?:[.,]\d+)*|[%/#;]")
# British to American spellings (and other harmless foldings), applied to text and lexicons alike.
_SPELLING = [(re.compile(p), r) for p, r in (
    (r"ae", "e"), (r"oe", "e"), (r"(?<=\w)our$", "or"), (r"(?<=\w\w)is(e|ed|es|ing|ation|ations)$", r"iz\1"),
    (r"ys(e|ed|es|ing)$", r"yz\1"), (r"(?<=\w\w)tre$", "ter"), (r"ogue$", "og"))]


def fold(word: str) -> str:
    """Lower case without accents ('Tacrolimús' -> 'tacrolimus')."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=65536)
def normalise_word(word: str) -> str:
    """One token as matched: folded case and accents, digits for number words, American
    spelling, singular (simple plurals)."""
    word = fold(word)
    if word[0].isdigit():
        return word.replace(",", ".")
    if word in WORD_NUMBERS and " " not in word:
        return str(WORD_NUMBERS[word])
    for pattern, replacement in _SPELLING:
        word = pattern.sub(replacement, word)
    if len(word) > 3:
        if word.endswith("ies"):
            word = word[:-3] + "y"
        elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
    return word


class Token(NamedTuple):
    """One word as written (`text`, characters `start`..`end`) and as matched (`norm`); a named
    tuple because a record has thousands and building one must be cheap."""
    norm: str
    text: str
    start: int
    end: int


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Word tokens with character offsets (plus %, /, #, ;); letters and digits are split
    ('FK506' = 'FK 506'), and 'twenty one' becomes one token '21'. Extraction asks for the same
    sentence's tokens many times: they are computed once per (text, offset) and a fresh list
    returned each time."""
    return list(_tokens(text, offset))


@lru_cache(maxsize=4096)
def _tokens(text: str, offset: int) -> tuple[Token, ...]:
    """The tokens of `tokenize`, memoised (bounded: a record's sentences, not the whole run)."""
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        word = match.group()
        norm = normalise_word(word)
        start, end = match.span()
        if (norm.isdigit() and 0 < int(norm) < 10 and tokens and tokens[-1].norm.isdigit()
                and fold(tokens[-1].text) in _TENS and start + offset - tokens[-1].end <= 1):
            last = tokens.pop()
            tokens.append(Token(str(int(last.norm) + int(norm)), text[last.start - offset:end],
                                last.start, end + offset))
            continue
        tokens.append(Token(norm, word, start + offset, end + offset))
    return tuple(tokens)


def phrase(text: str) -> tuple[str, ...]:
    """A lexicon entry as matched: its normalised tokens."""
    return tuple(t.norm for t in tokenize(text))


_IS_NUMBER = re.compile(r"\d+(?:\.\d+)?").fullmatch


def is_number(norm: str) -> bool:
    """Whether a normalised token is a number ('12', '0.5'; number words are digits by then)."""
    return _IS_NUMBER(norm) is not None


# --------------------------------------------------------------------------- typed mentions: ages

_AGE_UNITS = {"year": 1.0, "yr": 1.0, "yrs": 1.0, "month": 1 / 12, "week": 1 / 52, "day": 1 / 365, "ano": 1.0}
# Words that announce an age within a few words before its number ('aged 4-15 years', 'age at onset was 6 years').
_AGE_CUES = {"age", "aged", "onset", "idade"}
_AGE_CUE_WINDOW = 8
# Between the cue and the number, these make the number something else: a disease duration, a
# follow-up, a delay ('age at onset 6 years, disease duration 2 years').
_NOT_AGE = {"duration", "evolution", "follow", "delay", "course", "since", "interval", "after", "period", "history",
            "treatment", "therapy", "time"}
# ... unless they name the moment the age is about ('age at the start of therapy', 'at the time of diagnosis').
_MOMENT = {"start", "initiation", "introduction", "beginning", "commencement"}
# What an age is about: onset or diagnosis ('diagnosed at the age of 15 years', 'aged 9 years at onset') ...
_ONSET_WORDS = {"onset", "diagnosed", "diagnosis", "began", "begun", "presentation", "started"}
_ONSET_AFTER = {("at", "onset"), ("at", "diagnosis"), ("at", "disease"), ("at", "presentation")}
# ... or the start of the treatment ('age at tacrolimus start', 'At 13 years, tacrolimus was started').
_START_VERBS = {"started", "initiated", "commenced", "begun", "introduced", "added", "switched"}
# Words after a number that make it a measure, not an age ('at 15 mg', 'at 40%').
_MEASURES = {"%", "mg", "g", "kg", "ml", "l", "ng", "mm", "cm", "m", "h", "hour", "min", "minute", "time",
             "dose", "u", "iu", "mmol", "umol", "µg", "mcg", "patient", "case", "child", "center", "centre",
             "site", "hospital", "week", "month", "day", "/"}
# '3 years earlier', '5 years ago': a time interval, not an age.
_INTERVAL_AFTER = {"ago", "earlier", "before", "after", "later", "previously", "prior", "post"}
_UNDER_BEFORE = {"under", "below", "younger", "before", "less", "up"}
_OVER_BEFORE = {"over", "above", "older", "more", "least"}
_UNDER_AFTER = {("or", "younger"), ("or", "less"), ("and", "under"), ("or", "below"), ("and", "younger"),
                ("or", "under")}
_OVER_AFTER = {("or", "older"), ("or", "more"), ("and", "over"), ("or", "above"), ("and", "older"), ("or", "over")}
_RANGE_JOINERS = {"to", "and", "or"}
# What may stand between the numbers of a range or list ('4-15', '4, 7 and 12'), besides a joining word.
_LIST_GAP = re.compile(r"\s*[-–—,]?\s*")
_SUMMARY = {"mean", "median", "average"}
_SPREAD = {"range", "ranged", "ranging", "from"}


@dataclass(frozen=True, slots=True)
class AgeMention:
    """An age a sentence states, bound to what it is about.

    `first`..`last` are its tokens; `years` the ages stated (one, a range's ends, a list's items),
    in years; `about` is 'onset' (at onset or diagnosis), 'start' (at the start of the treatment
    named), 'reported' (the patient's age as the report gives it) or 'maybe' ('at 13 years' with no
    word that makes it an age: an age or a time point); `limit` is 'under' or 'over' for a bound
    ('under 16', '18 years or older'); `summary` marks a mean or median, whose `spread` is the range
    given with it ('8.5 years (range 3-14)'); `old` marks the '-year-old' wording. Disease
    durations, follow-up and intervals ('3 years earlier') are not ages."""
    first: int
    last: int
    years: tuple[float, ...]
    about: str
    limit: str = ""
    summary: bool = False
    spread: tuple[float, ...] = ()
    old: bool = False

    @property
    def extremes(self) -> tuple[float, ...]:
        """The ages that can be a youngest or oldest patient's: not a bound, not a mean (its range)."""
        if self.limit or self.about == "maybe":
            return ()
        return self.spread if self.summary else self.years


def _quantity(words: Sequence[str], i: int) -> tuple[float, float | None, int]:
    """The number at `i` with its own unit when it is '10 years (and) 3 months': (value, unit or
    None, index after it)."""
    value = float(words[i])
    if (i + 2 < len(words) and words[i + 1] in ("year", "yr") and
            (is_number(words[i + 2]) or words[i + 2] == "and" and i + 3 < len(words) and is_number(words[i + 3]))):
        k = i + 2 if is_number(words[i + 2]) else i + 3
        if k + 1 < len(words) and words[k + 1] == "month":
            return value + float(words[k]) / 12, 1.0, k + 2
    return value, None, i + 1


def _numbers(words: Sequence[str], tokens: Sequence[Token], text: str, first: int):
    """The numbers of an age from token `first`: one, a range or a list ('4, 7 and 12', '20 months to 7
    years', 'de 5 a 10'), or a mean with its standard deviation and range ('35 ± 7.5 (25-48)').
    Returns (values, each value's own unit or None, whether a mean, the range given with it, index after)."""
    count = len(words)
    value, own_unit, j = _quantity(words, first)
    values, units, summary, spread = [value], [own_unit], False, ()
    while j < count:
        gap = text[tokens[j - 1].end:tokens[j].start]
        plus_minus = words[j] == "/" and j + 1 < count and "+/-" in text[tokens[j - 1].end:tokens[j + 1].start]
        if "±" in gap or plus_minus:
            k = j + plus_minus        # a standard deviation: the number before is a mean
            if k < count and is_number(words[k]):
                summary, j = True, k + 1
                continue
            break
        if own_unit is None and words[j] in _AGE_UNITS and words[j + 1:j + 2] == ["to"] and \
                j + 2 < count and is_number(words[j + 2]):
            units[-1] = _AGE_UNITS[words[j]]
            j += 1
        joiner = words[j] in _RANGE_JOINERS or words[j] == "a" and first > 0 and words[first - 1] == "de"
        if (is_number(words[j]) and _LIST_GAP.fullmatch(gap) and gap.strip()) or (
                joiner and j + 1 < count and is_number(words[j + 1])):
            value, own_unit, j = _quantity(words, j if is_number(words[j]) else j + 1)
            values.append(value)
            units.append(own_unit)
            continue
        break
    if summary and j + 2 < count and "(" in text[tokens[j - 1].end:tokens[j].start] and is_number(words[j]) \
            and is_number(words[j + 1]) and _LIST_GAP.fullmatch(text[tokens[j].end:tokens[j + 1].start]):
        spread, j = (float(words[j]), float(words[j + 1])), j + 2
    return values, units, summary, spread, j


def _spread_after(words: Sequence[str], last: int, unit: float) -> tuple[float, ...]:
    """The range stated after a mean or median ('8.5 years (range 3-14)', 'ranging from 3 to 14 years')."""
    count = len(words)
    if last + 2 >= count or words[last + 1] not in _SPREAD:
        return ()
    k = last + 2 + (words[last + 2] == "from")
    ends = []
    while k < count and is_number(words[k]) and len(ends) < 2:
        ends.append(float(words[k]))
        k += 1 + (k + 1 < count and words[k + 1] == "to")
    if len(ends) < 2:
        return ()
    scale = _AGE_UNITS.get(words[k], unit) if k < count else unit
    return tuple(e * scale for e in ends)


def _limit(words: Sequence[str], before: set[str], lead: str, last: int) -> str:
    """'under' or 'over' for an age that bounds a group ('under 16', '18 years or older'), else ''."""
    tail = tuple(words[last + 1:last + 3])
    if tail in _UNDER_AFTER or before & _UNDER_BEFORE or "<" in lead or "≤" in lead:
        return "under"
    if tail in _OVER_AFTER or before & _OVER_BEFORE or ">" in lead or "≥" in lead:
        return "over"
    return ""


def _age_cue(words: Sequence[str], first: int, reach: int) -> int | None:
    """The age cue ('aged', 'age at onset') a few words before token `first`, unless a number, a ';'
    or a word of something else (a duration, a follow-up) comes first."""
    for k in range(first - 1, reach - 1, -1):
        if is_number(words[k]) or words[k] == ";":
            return None
        if words[k] in _NOT_AGE and not (words[k] in ("treatment", "therapy") and _MOMENT & set(words[k - 2:k])
                                         or words[k] == "time" and words[k + 1:k + 2] == ["of"]):
            return None
        if words[k] in _AGE_CUES:
            return k
    return None


def age_mentions(tokens: Sequence[Token], text: str, treatment: "Lexicon | None" = None) -> list[AgeMention]:
    """The typed age mentions of one sentence (`tokens` with offsets into `text`); `treatment`, a
    lexicon of the treatment whose start an age may be stated at (none: no age is 'start')."""
    words = [t.norm for t in tokens]
    if not any(word[0].isdigit() for word in words):     # every age has a number
        return []
    count = len(words)
    found: list[AgeMention] = []
    boundaries: list[bool] | None = None
    treated: set[int] | None = None
    i = 0
    while i < count:
        if not is_number(words[i]):
            i += 1
            continue
        first = i
        values, units, summary, spread, j = _numbers(words, tokens, text, first)
        has_unit = j < count and words[j] in _AGE_UNITS
        # 'aged 16', 'at the age of 16', 'diagnosed at 16': an age without a unit
        bare = (not has_unit and units[-1] is None and len(values) == 1 and values[0] < 100 and first > 0
                and (words[first - 1] in ("aged", "at") or tuple(words[first - 2:first]) == ("age", "of"))
                and (j >= count or words[j] not in _MEASURES and not is_number(words[j])))
        if not (has_unit or bare or units[-1] is not None):
            i = j
            continue
        unit = _AGE_UNITS[words[j]] if has_unit else 1.0
        last = j if has_unit else j - 1
        after = tuple(words[last + 1:last + 3])
        if after[:1] and after[0] in _INTERVAL_AFTER:
            i = last + 1
            continue
        if boundaries is None:      # a comma, semicolon, colon or full stop before each token
            boundaries = [k == 0 or words[k - 1] == ";" or any(c in text[tokens[k - 1].end:tokens[k].start]
                                                               for c in ",;.:") for k in range(count)]
        # What the age is about is said in its clause since the previous number or age.
        clause = max(k for k in range(first + 1) if boundaries[k])
        since = max([clause] + [m.last + 1 for m in found]
                    + [k + 1 for k in range(clause, first) if is_number(words[k])])
        cue = _age_cue(words, first, max([first - _AGE_CUE_WINDOW, 0] + [m.last + 1 for m in found]))
        old = after[:1] == ("old",)
        of_age = after == ("of", "age")
        at_onset = after in _ONSET_AFTER
        if old or of_age:
            last += 1 if old else 2
            at_onset = at_onset or tuple(words[last + 1:last + 3]) in _ONSET_AFTER
        onset = at_onset or bool(_ONSET_WORDS & set(words[since:first]))
        if treatment is not None and treated is None:
            treated = {k for _, a, b in treatment.find(tokens) for k in range(a, b + 1)}
        start = bool(treated and any(since <= k < first for k in treated)) or any(
            words[k] in _MOMENT and words[k + 1:k + 2] == ["of"] and words[k + 2:k + 3] in (["treatment"], ["therapy"])
            for k in range(since, first))
        start_after = False     # 'At 13 years, tacrolimus was started'
        if not start and treated and first > 0 and words[first - 1] == "at":
            end = next((k for k in range(last + 2, count) if boundaries[k]), count)
            start_after = any(last < k < end for k in treated) and bool(_START_VERBS & set(words[last + 1:end]))
        if bare:    # with no unit, only an explicit age: 'aged 16', 'age of 16', onset 'at 16'
            placed = (words[first - 1] != "at" and cue is not None or of_age) or (onset and words[first - 1] == "at")
        else:       # not '2 years of follow-up'
            placed = old or of_age or at_onset or cue is not None or (
                onset and words[first - 1] in ("at", "age", "of") and after[:1] != ("of",))
        if not placed:
            if not (has_unit and unit == 1.0 and first > 0 and words[first - 1] == "at"):
                i = j
                continue
            about = "start" if start_after else "maybe"     # an age, or a time point
        else:
            about = "start" if start or start_after else "onset" if onset else "reported"
        before = set(words[max(0, first - 2):first] + (words[max(0, cue - 2):cue] if cue is not None else []))
        limit = _limit(words, before, text[tokens[first - 1].end if first else 0:tokens[first].start], last)
        summary = summary or bool(_SUMMARY & set(words[max(since, (cue if cue is not None else first) - 3):first]))
        spread = tuple(e * unit for e in spread) or (_spread_after(words, last, unit) if summary else ())
        years = tuple(v * (u if u is not None else unit) for v, u in zip(values, units))
        found.append(AgeMention(first, last, years[:1] if summary else years, about, limit, summary, spread, old))
        i = last + 1
    return found


def stated_ages(tokens: Sequence[Token], text: str, juvenile_below: float = 18) -> list[tuple[int, int, str]]:
    """The age groups a sentence's ages state: (first token, last token, group), group 'juvenile'
    (below `juvenile_below` years, 'under 16'), 'adult', 'juvenile_onset' / 'adult_onset' for an age
    at onset or diagnosis, and 'mixed' for a range reaching both sides ('aged 8-60 years')."""
    found = []
    for mention in age_mentions(tokens, text):
        if mention.about == "maybe":
            continue
        ages = mention.years + mention.spread
        if mention.limit == "under":
            groups = ["juvenile"]
        elif mention.limit == "over":
            groups = ["adult"]
        else:   # a range reaching the limit ('12-18 years') is still a children's range
            groups = ["juvenile"] if min(ages) < juvenile_below else []
            if (max(ages) > juvenile_below) if len(ages) > 1 else ages[0] >= juvenile_below:
                groups.append("adult")
        if len(ages) > 1 and groups == ["juvenile", "adult"]:
            groups.append("mixed")
        if mention.about == "onset" and len(groups) == 1:
            groups.append(groups[0] + "_onset")
        found += [(mention.first, mention.last, group) for group in groups]
    return found


# --------------------------------------------------------------------------- sentences and sections

_ABBREVIATIONS = ("et al.", "e.g.", "i.e.", "vs.", "i.v.", "p.o.", "approx.", "Dr.", "Fig.", "no.", "ca.", "b.i.d.")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\[(\"'“])")
LABEL = re.compile(r"(?:^|(?<=[.!?]\s))([A-Z][A-Z0-9 ,&/()\-]{2,60}):\s")
_BACKGROUND_SECTIONS = ("BACKGROUND", "INTRODUCTION", "OBJECTIVE", "AIM", "PURPOSE", "CONTEXT")
_CONCLUSION_SECTIONS = ("CONCLUSION", "INTERPRETATION", "DISCUSSION")
_METHODS_SECTIONS = ("METHOD", "DESIGN", "MATERIAL", "SETTING", "MEASURE")
_LITERATURE = re.compile(
    r"\bliterature\b|\bpreviously (?:reported|published|described)\b|\bpublished (?:cases|reports|studies)\b"
    r"|\breview of (?:the )?(?:literature|published)|\bsystematic review\b|\bmeta-analys|\bet al\b", re.I)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of running text; abbreviations ('et al.', 'i.v.') and
    initials do not end a sentence."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[start:match.start()]
        if piece.endswith(_ABBREVIATIONS) or re.search(r"\b[A-Z]\.$", piece):
            continue
        spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def split_sentences(text: str) -> list[str]:
    """Sentences of running text (whitespace collapsed)."""
    text = " ".join(text.split())
    return [text[start:end] for start, end in sentence_spans(text)]


@dataclass(frozen=True)
class Sentence:
    """One sentence of the title or abstract, with the abstract section it belongs to."""

    text: str
    index: int
    section: str = ""
    in_title: bool = False

    @property
    def is_background(self) -> bool:
        return self.section.startswith(_BACKGROUND_SECTIONS)

    @property
    def is_conclusion(self) -> bool:
        return self.section.startswith(_CONCLUSION_SECTIONS)

    @cached_property
    def is_methods(self) -> bool:
        return any(word in self.section for word in _METHODS_SECTIONS)

    @cached_property
    def about_literature(self) -> bool:
        return bool(_LITERATURE.search(self.text))


def record_sentences(title: str, abstract: str) -> list[Sentence]:
    """The title (brackets of translated titles removed) and the abstract's sentences, by section."""
    title = title.strip()
    if title.startswith("[") and title.endswith(("]", "].")):
        title = title.rstrip(".")[1:-1]
    sentences = [Sentence(title.rstrip("."), 0, "TITLE", True)] if title else []
    section = ""
    for chunk in split_sentences(abstract):
        label = LABEL.match(chunk)
        if label:
            section = label.group(1).strip().upper()
            chunk = chunk[label.end():]
        for inner in _split_inner_labels(chunk):
            if isinstance(inner, tuple):
                section = inner[0]
                continue
            sentences.append(Sentence(inner, len(sentences), section))
    return sentences


def _split_inner_labels(chunk: str) -> Iterable[str | tuple[str]]:
    """A sentence may start with a section label mid-text ('... done. RESULTS: The study ...')."""
    position = 0
    for match in LABEL.finditer(chunk):
        if match.start() == 0:
            continue
        before = chunk[position:match.start()].strip()
        if before:
            yield before
        yield (match.group(1).strip().upper(),)
        position = match.end()
    rest = chunk[position:].strip()
    if rest:
        yield rest


def abstract_is_complete(abstract: str) -> bool:
    """False for a missing abstract, or one that is cut off (no closing punctuation, or
    MEDLINE's 'ABSTRACT TRUNCATED' note)."""
    text = abstract.strip()
    if not text or "ABSTRACT TRUNCATED" in text.upper():
        return False
    return text.endswith((".", "!", "?", ")", "]", '"', "”", "’", "'", "。", "．")) and not text.endswith("...")


# --------------------------------------------------------------------------- lexicons

class Lexicon:
    """Phrases by key, matched over tokens: whole words, longest phrase first, one mention per
    key and place. Terms match normalised tokens ('#' stands for any number); abbreviations
    match the tokens as written (a plural 's' allowed)."""

    def __init__(self, terms: Mapping[str, Iterable[str]] = (), abbreviations: Mapping[str, Iterable[str]] = ()):
        self._terms: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self._exact: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for key, entries in dict(terms).items():
            for entry in entries:
                self.add(key, phrase(entry))
        for key, entries in dict(abbreviations).items():
            for entry in entries:
                self.add(key, tuple(t.text for t in tokenize(entry)), exact=True)

    def add(self, key: str, words: tuple[str, ...], exact: bool = False) -> None:
        if not words:
            return
        index = self._exact if exact else self._terms
        bucket = index.setdefault(words[0], [])
        # (rest of the phrase, its length, key, whether the rest holds a '#')
        item = (list(words[1:]), len(words), key, "#" in words[1:])
        if item not in bucket:
            bucket.append(item)
            bucket.sort(key=lambda entry: -entry[1])

    def find(self, tokens: Sequence[Token]) -> list[tuple[str, int, int]]:
        """(key, first token, last token) of every mention, in text order."""
        longest: dict[tuple[str, int], int] = {}
        terms, exact = self._terms, self._exact
        number = terms.get("#")
        norms = [t.norm for t in tokens]
        count = len(tokens)
        # Only tokens that can start a phrase (a dictionary hit, or a number for '#') are tried;
        # within a token, terms come before abbreviations, as the text-order sort below keeps them.
        for i in [i for i, norm in enumerate(norms) if norm in terms or number and norm[0].isdigit()]:
            norm = norms[i]
            candidates = terms.get(norm)
            if number and norm[0].isdigit() and is_number(norm):
                candidates = [*(candidates or ()), *number]
            if candidates:
                for rest, size, key, wild in candidates:
                    if (key, i) in longest or i + size > count:
                        continue
                    if (all(w == "#" and is_number(n) or n == w for w, n in zip(rest, norms[i + 1:i + size]))
                            if wild else norms[i + 1:i + size] == rest):
                        longest[key, i] = i + size - 1
        if exact:
            texts = [t.text for t in tokens]
            for i in [i for i, text in enumerate(texts) if text in exact or text[-1] == "s" and text[:-1] in exact]:
                text = texts[i]
                for word in (text, text[:-1]) if text[-1] == "s" else (text,):
                    for rest, size, key, _ in exact.get(word, ()):
                        if (key, i) in longest or i + size > count:
                            continue
                        if all(t == w or t == w + "s" for w, t in zip(rest, texts[i + 1:i + size])):
                            longest[key, i] = i + size - 1
        if not longest:
            return []
        found, covered = [], {}
        for (key, first), last in sorted(longest.items(), key=lambda item: item[0][1]):
            if first > covered.get(key, -1):    # 'cyclosporin A' once, not also 'cyclosporin'
                found.append((key, first, last))
                covered[key] = last
        return found

    def fullmatch(self, text: str) -> str | None:
        """The key whose phrase is the whole of `text`, if any."""
        tokens = tokenize(text)
        for key, first, last in self.find(tokens):
            if first == 0 and last == len(tokens) - 1:
                return key
        return None


# --------------------------------------------------------------------------- vocabularies

@dataclass(frozen=True)
class Entry:
    """One vocabulary entry: its name, terms, case-sensitive abbreviations, code and kind."""
    vocabulary: str
    name: str
    terms: tuple[str, ...]
    abbreviations: tuple[str, ...]
    code: str
    kind: str = ""


@dataclass
class Vocabularies:
    """Every vocabulary file of a folder: entries by 'vocabulary.entry', and the modifier cues."""
    folder: Path
    entries: dict[str, Entry]
    modifiers: "ModifierLexicon"

    def entry(self, reference: str) -> Entry:
        """The entry 'vocabulary.name' (e.g. drugs.tacrolimus); InputError naming the folder if absent."""
        if reference not in self.entries:
            raise InputError(self.folder, None, reference, f"no vocabulary entry {reference!r}; expected one of "
                             f"{', '.join(sorted(self.entries))}")
        return self.entries[reference]

    def of(self, vocabulary: str) -> list[Entry]:
        return [e for e in self.entries.values() if e.vocabulary == vocabulary]


@lru_cache(maxsize=8)
def load_vocabularies(folder: str | Path = VOCABULARY_DIR, schema_path: str | Path = VOCABULARY_SCHEMA) -> Vocabularies:
    """Read and validate the vocabulary files (`<name>.yaml`: entries; `modifiers.yaml`: cues)."""
    folder = Path(folder)
    entries: dict[str, Entry] = {}
    modifiers = None
    for path in sorted(folder.glob("*.yaml")):
        data = read_yaml(path, "a vocabulary (YAML)", schema_path)
        if "modifiers" in data:
            modifiers = ModifierLexicon(data)
            continue
        for name, spec in data["entries"].items():
            entries[f"{path.stem}.{name}"] = Entry(path.stem, name, tuple(spec.get("terms", [])),
                                                   tuple(spec.get("abbreviations", [])), spec.get("code", name),
                                                   spec.get("kind", ""))
    if modifiers is None:
        raise InputError(folder / "modifiers.yaml", None, None, "file not found; expected the modifier cues")
    return Vocabularies(folder, entries, modifiers)


def entry_lexicon(entries: Iterable[Entry]) -> Lexicon:
    """A lexicon of vocabulary entries, keyed by their codes."""
    entries = list(entries)
    return Lexicon({e.code: e.terms for e in entries}, {e.code: e.abbreviations for e in entries})


def entry_pattern(entries: Iterable[Entry]) -> str:
    """A regular expression (without groups; use it case-insensitively) for the entries' terms as
    they appear in running text (a hyphen or space between words, or none; a plural 's') and
    their abbreviations (case-sensitive), whole words, longest first."""
    alternatives = set()
    for entry in entries:
        for term in entry.terms:
            words = [re.escape(w) for w in re.split(r"[\s\-]+", term) if w]
            alternatives.add(r"[\s\-]?".join(words) + ("(?:e?s)?" if term[-1].isalpha() else ""))
        for abbreviation in entry.abbreviations:
            alternatives.add(f"(?-i:{re.escape(abbreviation)}s?)")
    ordered = sorted(alternatives, key=lambda a: (-len(a), a))
    return r"(?<!\w)(?:" + "|".join(ordered) + r")(?!\w)"


# --------------------------------------------------------------------------- modifiers (ConText)

@dataclass(frozen=True)
class ModifierCue:
    category: str
    direction: str      # forward: the cue precedes what it modifies; backward: it follows
    window: int         # words allowed between cue and target


class ModifierLexicon:
    """ConText cues (config/vocabularies/modifiers.yaml): per category, forward and backward cue
    phrases with a window, exceptions (words after the target that stop a forward cue: 'no
    tacrolimus-related toxicity'), words that carry a cue on ('without X or Y'), and words that end
    every scope."""

    def __init__(self, data: Mapping):
        self.cues: dict[str, ModifierCue] = {}
        terms: dict[str, list[str]] = {}
        self.exceptions: dict[str, list[tuple[str, ...]]] = {}
        for category, spec in data["modifiers"].items():
            for direction in ("forward", "backward"):
                if direction in spec:
                    key = f"{category}/{direction}"
                    self.cues[key] = ModifierCue(category, direction, spec.get(f"{direction}_window", 0))
                    terms[key] = spec[direction]
            self.exceptions[category] = [phrase(p) for p in spec.get("unless_followed_by", [])]
        self.lexicon = Lexicon(terms)
        self.carriers = {phrase(p) for p in data.get("carried_by", [])}
        self.terminators = {phrase(p)[0] for p in data.get("terminators", []) if phrase(p)}
        # cues_in, once per text: extraction asks it of the same sentence many times
        self._categories = lru_cache(maxsize=4096)(self._find_categories)

    def scope(self, tokens: Sequence[Token], spans: Sequence[tuple[int, int]],
              windows: Mapping[str, int] | None = None) -> list[frozenset[str]]:
        """The modifier categories that apply to each (first, last) token span of a sentence
        (`windows`: forward windows by category, instead of the lexicon's)."""
        cues = [(self.cues[key], first, last) for key, first, last in self.lexicon.find(tokens)]
        if not cues:
            return [frozenset()] * len(spans)
        norms = [t.norm for t in tokens]
        stops = [i for i, word in enumerate(norms) if word in self.terminators]
        result = []
        for first, last in spans:
            found = set()
            for cue, c_first, c_last in cues:
                if c_first <= last and first <= c_last:
                    continue    # the cue is part of the mention itself
                if cue.direction == "forward":
                    gap = first - c_last - 1
                    window = windows.get(cue.category, cue.window) if windows else cue.window
                    if not 0 <= gap <= window or any(c_last < s < first for s in stops):
                        continue
                    if any(tuple(norms[last + 1:last + 1 + len(e)]) == e for e in self.exceptions[cue.category]):
                        continue
                else:
                    gap = c_first - last - 1
                    if not 0 <= gap <= cue.window or any(last < s < c_first for s in stops):
                        continue
                found.add(cue.category)
            result.append(found)
        # 'without tacrolimus or ciclosporin': a carrier word passes the preceding span's modifiers on.
        order = sorted(range(len(spans)), key=lambda k: spans[k])
        for position, k in enumerate(order[1:], start=1):
            first = spans[k][0]
            for carrier in self.carriers:
                for gap in (0, 1):      # one word between: 'or other', 'nor any'
                    end = first - gap - len(carrier)
                    if end <= 0 or tuple(norms[end:end + len(carrier)]) != carrier:
                        continue
                    for j in order[:position]:
                        if spans[j][1] == end - 1:
                            result[k] |= result[j] & {"negated"}
        return [frozenset(f) for f in result]

    def cues_in(self, text: str) -> set[str]:
        """The categories of the cues a text holds ('will be randomised' -> hypothetical)."""
        return set(self._categories(text))

    def _find_categories(self, text: str) -> frozenset[str]:
        return frozenset(self.cues[key].category for key, _, _ in self.lexicon.find(tokenize(text)))

    def modifies(self, text: str, start: int, end: int, category: str, windows: Mapping[str, int] | None = None) -> bool:
        """Whether a cue of `category` in `text` applies to the words between characters `start`
        and `end`; `windows` overrides a category's forward window for this use."""
        tokens = tokenize(text)
        inside = [i for i, t in enumerate(tokens) if t.start < end and start < t.end]
        return bool(inside) and category in self.scope(tokens, [(inside[0], inside[-1])], windows)[0]


@dataclass(frozen=True)
class TextSpan:
    """A sentence of a field, tokenised, with offsets into the field's text."""
    field: str
    text: str           # the whole field's text (offsets refer to it)
    start: int
    end: int
    tokens: list[Token]


def field_spans(record: Mapping[str, str], fields: Sequence[str]) -> list[TextSpan]:
    """The record's text fields cut into sentences (abstract), items (keywords, ';') or one span."""
    spans: list[TextSpan] = []
    for name in fields:
        text = record.get(name, "") or ""
        if name == "abstract":
            parts = sentence_spans(text)
        elif name == "keywords":
            parts, start = [], 0
            for part in text.split(";"):
                parts.append((start, start + len(part)))
                start += len(part) + 1
        else:
            parts = [(0, len(text))]
        for start, end in parts:
            tokens = tokenize(text[start:end], start)
            if tokens:
                spans.append(TextSpan(name, text, start, end, tokens))
    return spans

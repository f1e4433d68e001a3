"""The text layer shared by screening and extraction.

One way to read a record's text: sentences with their abstract section, tokens (case, accents,
British/American spelling, plurals and number words folded; Chinese and Japanese characters one
each), numbers written as words, typed age mentions bound to what they are about (at onset or
diagnosis, at the treatment's start, as reported; bounds, means with their range; durations and
follow-up are not ages) and the age groups screening reads from them, phrase lexicons
matched over tokens (phrases indexed by their first two words; a record's sentences matched in
one pass), and ConText-style modifiers with scope (negated, hypothetical, uncertain, historical,
other population), read from the cue lexicon in config/vocabularies/modifiers.yaml.

Speed (a review may screen 100,000 records): a whole field is tokenised at once into four lists
(`scan`: norms, words as written, starts, ends) rather than an object per token, and every reader
(age mentions, lexicons, modifier scopes) works on those lists; what is asked of one sentence many
times (extraction's rules) reads its memoised scan (`scanned`) and cues. Cheap necessary conditions
skip work that cannot find anything (`may_state_age`); each fast path has a test that it gives the
slow path's result on the corpus (tests/test_text.py).

The vocabularies (drugs, routes, populations, modifier cues) are data files in config/vocabularies/,
validated against workflow/schemas/vocabulary.schema.yaml; the eligibility criteria and the
extraction rules refer to their entries by name.
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import accumulate, chain, compress
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple


from .keyed import Keyed
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
_LETTERS = rf"[^\W\d_{_CJK}]+"
_TOKEN = re.compile(rf"{_LETTERS}|[{_CJK}]|\d+(?:[.,]\d+)*|[%/#;]")
# The same tokens, found faster: a run of ASCII letters is tried first (it is the token when no
# other letter follows it); split() with the tokens captured gives them with the text between.
_TOKEN_SPLIT = re.compile(rf"([a-zA-Z]++(?!{_LETTERS})|{_TOKEN.pattern})")
_ASCII_TOKEN_SPLIT = re.compile(r"([a-zA-Z]+|[0-9]+(?:[.,][0-9]+)*|[%/#;])")     # the same, for ASCII text
# British to American spellings (and other harmless foldings), applied to text and lexicons alike.
_SPELLING = [(re.compile(p), r) for p, r in (
    (r"ae", "e"), (r"oe", "e"), (r"(?<=\w)our$", "or"), (r"(?<=\w\w)is(e|ed|es|ing|ation|ations)$", r"iz\1"),
    (r"ys(e|ed|es|ing)$", r"yz\1"), (r"(?<=\w\w)tre$", "ter"), (r"ogue$", "og"))]
# Whether a word can be respelled at all (most words cannot: the substitutions are skipped).
_MAY_RESPELL = re.compile(r"ae|oe|our$|[iy]s(?:e|ed|es|ing|ation|ations)$|tre$|ogue$").search


def fold(word: str) -> str:
    """Lower case without accents ('Tacrolimús' -> 'tacrolimus')."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def normalise_word(word: str) -> str:
    """One token as matched: folded case and accents, digits for number words, American
    spelling, singular (simple plurals)."""
    word = word.lower() if word.isascii() else fold(word)
    if word[0].isdigit():
        return word.replace(",", ".")
    if word in WORD_NUMBERS and " " not in word:
        return str(WORD_NUMBERS[word])
    if _MAY_RESPELL(word):
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


_NORMS: dict[str, str] = {}
"""Words already normalised -> their norms (emptied when it reaches _NORMS_KEPT words: memory stays bounded)."""
_NORMS_KEPT = 65536


def _normalise_new(words: list[str], norms: list[str | None]) -> None:
    """Fill in the norms `scan` did not find in _NORMS (None), and remember them."""
    if len(_NORMS) > _NORMS_KEPT:
        _NORMS.clear()
    for k, norm in enumerate(norms):
        if norm is None:
            norms[k] = _NORMS[words[k]] = normalise_word(words[k])


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Word tokens with character offsets (plus %, /, #, ;); letters and digits are split
    ('FK506' = 'FK 506'), and 'twenty one' becomes one token '21'."""
    return list(map(Token, *scan(text, offset)))


_TENS_NORMS = frozenset(str(value) for value in _TENS.values())
_NORM, _TEXT = itemgetter(0), itemgetter(1)


def _first_token(item: tuple[tuple[str, int], int]) -> int:
    return item[0][1]


def scan(text: str, offset: int = 0) -> tuple[list[str], list[str], list[int], list[int]]:
    """The tokens of `tokenize(text, offset)` as four lists, cheap to build for a whole text
    (no object per token): their norms, their words as written, their starts and their ends."""
    parts = (_ASCII_TOKEN_SPLIT if text.isascii() else _TOKEN_SPLIT).split(text)    # between, token, between...
    words = parts[1::2]
    norms = list(map(_NORMS.get, words))
    if None in norms:
        _normalise_new(words, norms)
    bounds = list(accumulate(map(len, parts), initial=offset))
    starts, ends = bounds[1:-1:2], bounds[2::2]
    if not _TENS_NORMS.isdisjoint(norms):
        _join_numbers(text, offset, norms, words, starts, ends)
    return norms, words, starts, ends


@lru_cache(maxsize=4096)
def scanned(text: str) -> tuple[list[str], list[str], list[int], list[int]]:
    """`scan(text)`, memoised (bounded: a record's sentences, not the whole run) for the rules that
    ask about the same sentence many times; the lists are shared: never modify them."""
    return scan(text)


def _join_numbers(text: str, offset: int, norms: list[str], words: list[str], starts: list[int], ends: list[int]
                  ) -> None:
    """Join each tens word and the unit after it (at most one character between) into one
    token, in the four lists: 'twenty one', 'twenty-one' -> '21'."""
    joins = [k for k in compress(range(len(norms) - 1), map(_TENS_NORMS.__contains__, norms))
             if norms[k + 1].isdigit() and 0 < int(norms[k + 1]) < 10 and starts[k + 1] - ends[k] <= 1
             and fold(words[k]) in _TENS]
    for k in reversed(joins):
        norms[k:k + 2] = [str(int(norms[k]) + int(norms[k + 1]))]
        words[k:k + 2] = [text[starts[k] - offset:ends[k + 1] - offset]]
        starts[k:k + 2] = [starts[k]]
        ends[k:k + 2] = [ends[k + 1]]


def phrase(text: str) -> tuple[str, ...]:
    """A lexicon entry as matched: its normalised tokens."""
    return tuple(t.norm for t in tokenize(text))


_IS_NUMBER = re.compile(r"\d+(?:\.\d+)?").fullmatch
_DIGITS = frozenset("0123456789")


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
_CLAUSE_MARK = re.compile(r"[,;.:]").search
_BEFORE_BARE_AGE = {"aged", "at", "of"}
AGE_WORDS = frozenset(_AGE_UNITS) | {"aged", "age"} | _ONSET_WORDS | {after for _, after in _ONSET_AFTER}
"""Words one of which every sentence stating an age holds (besides a number): its unit
('years'), an age cue ('aged', 'age of') or, for a bare 'at 16', what it is the age at ('diagnosed')."""
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


def _numbers(words: Sequence[str], starts: Sequence[int], ends: Sequence[int], text: str, first: int):
    """The numbers of an age from token `first`: one, a range or a list ('4, 7 and 12', '20 months to 7
    years', 'de 5 a 10'), or a mean with its standard deviation and range ('35 ± 7.5 (25-48)').
    Returns (values, each value's own unit or None, whether a mean, the range given with it, index after)."""
    count = len(words)
    value, own_unit, j = _quantity(words, first)
    values, units, summary, spread = [value], [own_unit], False, ()
    while j < count:
        gap = text[ends[j - 1]:starts[j]]
        plus_minus = words[j] == "/" and j + 1 < count and "+/-" in text[ends[j - 1]:starts[j + 1]]
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
    if summary and j + 2 < count and "(" in text[ends[j - 1]:starts[j]] and is_number(words[j]) \
            and is_number(words[j + 1]) and _LIST_GAP.fullmatch(text[ends[j]:starts[j + 1]]):
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


def may_state_age(norms: Sequence[str]) -> bool:
    """False for a sentence (its tokens' norms) that states no age: `age_mentions` finds none."""
    # Every age is a number with its unit right after it ('6 years', '4-15 years', '10 years 3
    # months', '35 ± 7.5 (25-48) years'), or a bare number right after 'aged', 'at' or 'age of';
    # and its sentence holds a unit, an age cue or what a bare age is at (AGE_WORDS).
    if AGE_WORDS.isdisjoint(norms):
        return False
    last = len(norms) - 1
    return any(i < last and norms[i + 1] in _AGE_UNITS or i and norms[i - 1] in _BEFORE_BARE_AGE
               for i in compress(range(len(norms)), map(_IS_NUMBER, norms)))


def age_mentions(norms: Sequence[str], words: Sequence[str], starts: Sequence[int], ends: Sequence[int], text: str,
                 treatment: "Lexicon | None" = None) -> list[AgeMention]:
    """The typed age mentions of one sentence, given as its tokens' four lists (`scan`; offsets into
    `text`); `treatment`, a lexicon of the treatment whose start an age may be stated at (none: no
    age is 'start')."""
    if not may_state_age(norms):
        return []
    return _ages_in(norms, starts, ends, text, None if treatment is None else lambda: treatment.find_in(norms, words))


def _ages_in(words: Sequence[str], starts: Sequence[int], ends: Sequence[int], text: str,
             treatment: "Callable[[], list[tuple[str, int, int]]] | None") -> list[AgeMention]:
    """`age_mentions` of a sentence (`words`: its tokens' norms) without the `may_state_age` test;
    `treatment`, if any, gives the treatment lexicon's mentions in the sentence."""
    count = len(words)
    found: list[AgeMention] = []
    boundaries: list[bool] | None = None
    treated: set[int] | None = None
    numbers = list(compress(range(count), map(_IS_NUMBER, words)))
    i = 0
    while i < count:
        if not is_number(words[i]):     # on to the next number
            k = bisect_left(numbers, i)
            if k == len(numbers):
                break
            i = numbers[k]
        first = i
        values, units, summary, spread, j = _numbers(words, starts, ends, text, first)
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
            boundaries = [True] + [word == ";" or _CLAUSE_MARK(text, end, start) is not None
                                   for word, end, start in zip(words, ends, starts[1:])]
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
            treated = {k for _, a, b in treatment() for k in range(a, b + 1)}
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
        limit = _limit(words, before, text[ends[first - 1] if first else 0:starts[first]], last)
        summary = summary or bool(_SUMMARY & set(words[max(since, (cue if cue is not None else first) - 3):first]))
        spread = tuple(e * unit for e in spread) or (_spread_after(words, last, unit) if summary else ())
        years = tuple(v * (u if u is not None else unit) for v, u in zip(values, units))
        found.append(AgeMention(first, last, years[:1] if summary else years, about, limit, summary, spread, old))
        i = last + 1
    return found


def age_groups(mentions: Iterable[AgeMention], juvenile_below: float = 18) -> list[tuple[int, int, str]]:
    """The age groups a sentence's age mentions state: (first token, last token, group), group
    'juvenile' (below `juvenile_below` years, 'under 16'), 'adult', 'juvenile_onset' / 'adult_onset'
    for an age at onset or diagnosis, and 'mixed' for a range reaching both sides ('aged 8-60 years')."""
    found = []
    for mention in mentions:
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
# The space after a sentence's final mark (group 1); the mark is matched, not looked behind at, so that
# the search skips quickly to the marks.
_SENTENCE_END = re.compile(r"[.!?](\s+)(?=[A-Z0-9\[(\"'“])")
LABEL = re.compile(r"(?:^|(?<=[.!?]\s))([A-Z][A-Z0-9 ,&/()\-]{2,60}):\s")
_BACKGROUND_SECTIONS = ("BACKGROUND", "INTRODUCTION", "OBJECTIVE", "AIM", "PURPOSE", "CONTEXT")
_CONCLUSION_SECTIONS = ("CONCLUSION", "INTERPRETATION", "DISCUSSION")
_METHODS_SECTIONS = ("METHOD", "DESIGN", "MATERIAL", "SETTING", "MEASURE")
_LITERATURE = Keyed(
    r"\bliterature\b|\bpreviously (?:reported|published|described)\b|\bpublished (?:cases|reports|studies)\b"
    r"|\breview of (?:the )?(?:literature|published)|\bsystematic review\b|\bmeta-analys|\bet al\b", re.I)


_INITIAL = re.compile(r"\b[A-Z]\.$").search


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of running text; abbreviations ('et al.', 'i.v.') and
    initials do not end a sentence."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start(1)
        if text.endswith(_ABBREVIATIONS, start, end) or _INITIAL(text, max(start, end - 2), end):
            continue
        spans.append((start, end))
        start = match.end(1)
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
    for match in LABEL.finditer(chunk) if ":" in chunk else ():     # every label ends with a colon
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

class Pieces:
    """Pieces of text (a record's sentences) as one list of tokens, for Lexicon.find_each: their
    norms and their words as written, all pieces one after another; piece k is the tokens
    bounds[k]:bounds[k + 1]; `distinct`, the set of their norms."""

    def __init__(self, norms: list[str], words: list[str], bounds: list[int]):
        self.norms, self.words, self.bounds = norms, words, bounds
        self.distinct = set(norms)

    @classmethod
    def of(cls, norms: Sequence[Sequence[str]], words: Sequence[Sequence[str]]) -> "Pieces":
        """The pieces whose tokens' norms and words are `norms[k]` and `words[k]`."""
        if len(norms) == 1:
            return cls(norms[0], words[0], [0, len(norms[0])])
        return cls(list(chain.from_iterable(norms)), list(chain.from_iterable(words)),
                   list(accumulate(map(len, norms), initial=0)))

    @cached_property
    def numbers(self) -> set[str]:
        """The distinct norms that are numbers."""
        return {norm for norm in self.distinct if norm[0] in _DIGITS and _IS_NUMBER(norm)}


class Lexicon:
    """Phrases by key, matched over tokens: whole words, longest phrase first, one mention per
    key and place. Terms match normalised tokens ('#' stands for any number); abbreviations
    match the tokens as written (a plural 's' allowed)."""

    def __init__(self, terms: Mapping[str, Iterable[str]] = (), abbreviations: Mapping[str, Iterable[str]] = ()):
        self._terms: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self._exact: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        # The terms to try at a token, by its word and the next one (phrases of two words or more),
        # and by its word alone (one-word phrases, and phrases whose second word is '#'), in the
        # order of the first word's bucket (longest first).
        self._pairs: dict[tuple[str, str], list] = {}
        self._firsts: dict[str, list] = {}
        self._exact_starts: set[str] = set()     # the words an abbreviation may start at (a plural 's' allowed)
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
        if exact:
            self._exact_starts |= {words[0], words[0] + "s"}
            return
        # The phrases worth trying at a token: by its word and the next (those that can match).
        first, anywhere = words[0], [item for item in bucket if item[1] == 1 or item[0][0] == "#"]
        if anywhere:
            self._firsts[first] = anywhere
        for second in {rest[0] for rest, size, _, _ in bucket if size > 1}:
            self._pairs[first, second] = [item for item in bucket if item in anywhere or item[0][0] == second]

    def __bool__(self) -> bool:
        """Whether the lexicon holds a phrase."""
        return bool(self._terms or self._exact)

    def find(self, tokens: Sequence[Token]) -> list[tuple[str, int, int]]:
        """(key, first token, last token) of every mention, in text order."""
        return self.find_in(list(map(_NORM, tokens)), list(map(_TEXT, tokens)))

    def find_in(self, norms: list[str], words: list[str]) -> list[tuple[str, int, int]]:
        """`find` of a text given as its tokens' norms and words as written (`scan`)."""
        return self.find_each(Pieces.of([norms], [words]))[0]

    def find_each(self, pieces: "Pieces") -> list[list[tuple[str, int, int]]]:
        """`find` of each piece of text (a record's sentences) in one pass over them all: no
        mention spans two pieces, and token indices are within each piece."""
        norms, texts, bounds = pieces.norms, pieces.words, pieces.bounds
        longest: dict[tuple[str, int], int] = {}
        terms, exact = self._terms, self._exact
        number = terms.get("#")
        firsts, pairs = self._firsts, self._pairs
        starting = terms.keys() & pieces.distinct if terms else set()
        numbers = pieces.numbers if number else set()
        starting |= numbers
        last = len(norms) - 1
        # Only tokens that can start a phrase are tried, with only the phrases that can match there
        # (the others' first two words differ; a number may start a '#' phrase); within a token,
        # terms come before abbreviations, as the text-order sort below keeps them.
        for i in compress(range(len(norms)), map(starting.__contains__, norms)) if starting else ():
            norm = norms[i]
            following = norms[i + 1] if i < last else ""
            candidates = pairs.get((norm, following)) or firsts.get(norm, ())
            if norm in numbers:
                candidates = [*candidates, *(pairs.get(("#", following)) or firsts.get("#", ()))]
            if not candidates:
                continue
            count = bounds[bisect_right(bounds, i)]     # the end of i's piece
            for rest, size, key, wild in candidates:
                if (key, i) in longest or i + size > count:
                    continue
                if (all(w == "#" and is_number(n) or n == w for w, n in zip(rest, norms[i + 1:i + size]))
                        if wild else norms[i + 1:i + size] == rest):
                    longest[key, i] = i + size - 1
        terms_found = len(longest)
        if exact:
            starting = self._exact_starts.intersection(texts)
            for i in compress(range(len(texts)), map(starting.__contains__, texts)) if starting else ():
                count = bounds[bisect_right(bounds, i)]
                text = texts[i]
                for word in (text, text[:-1]) if text[-1] == "s" else (text,):
                    for rest, size, key, _ in exact.get(word, ()):
                        if (key, i) in longest or i + size > count:
                            continue
                        if all(t == w or t == w + "s" for w, t in zip(rest, texts[i + 1:i + size])):
                            longest[key, i] = i + size - 1
        found: list[list[tuple[str, int, int]]] = [[] for _ in bounds[1:]]
        covered: dict[str, int] = {}
        k, start, end = 0, bounds[0], bounds[1]
        # Terms were found in text order, then abbreviations in text order: sorted by first token
        # (stable: terms first within a token) only when both were found.
        in_order = not terms_found or len(longest) == terms_found
        for (key, first), last in longest.items() if in_order else sorted(longest.items(), key=_first_token):
            if first > covered.get(key, -1):    # 'cyclosporin A' once, not also 'cyclosporin'
                while first >= end:
                    k += 1
                    start, end = end, bounds[k + 1]
                found[k].append((key, first - start, last - start))
                covered[key] = last
        return found

    def fullmatch(self, text: str) -> str | None:
        """The key whose phrase is the whole of `text`, if any."""
        norms, words, _, _ = scanned(text)
        for key, first, last in self.find_in(norms, words):
            if first == 0 and last == len(norms) - 1:
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
        # a text's cues and their categories, found once: extraction asks cues_in and modifies of the
        # same sentence many times
        self._cues = lru_cache(maxsize=4096)(self._find_cues)
        self._categories = lru_cache(maxsize=4096)(self._find_categories)

    def scope(self, tokens: Sequence[Token], spans: Sequence[tuple[int, int]],
              windows: Mapping[str, int] | None = None) -> list[frozenset[str]]:
        """The modifier categories that apply to each (first, last) token span of a sentence
        (`windows`: forward windows by category, instead of the lexicon's)."""
        return self.scope_of_words(list(map(_NORM, tokens)), spans, self.lexicon.find(tokens), windows)

    def scope_of_words(self, norms: Sequence[str], spans: Sequence[tuple[int, int]],
                       found: Sequence[tuple[str, int, int]], windows: Mapping[str, int] | None = None
                       ) -> list[frozenset[str]]:
        """`scope` of a sentence given as its tokens' norms, with the cue lexicon's `find` of it."""
        cues = [(self.cues[key], first, last) for key, first, last in found]
        if not cues:
            return [frozenset()] * len(spans)
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
        # 'without tacrolimus or ciclosporin': a carrier word passes the preceding span's negation on.
        order = sorted(range(len(spans)), key=lambda k: spans[k]) if any("negated" in f for f in result) else []
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

    def cues_in(self, text: str) -> frozenset[str]:
        """The categories of the cues a text holds ('will be randomised' -> hypothetical)."""
        return self._categories(text)

    def _find_categories(self, text: str) -> frozenset[str]:
        return frozenset(self.cues[key].category for key, _, _ in self._cues(text))

    def _find_cues(self, text: str) -> tuple[tuple[str, int, int], ...]:
        """The lexicon's `find` of a text's tokens."""
        norms, words, _, _ = scanned(text)
        return tuple(self.lexicon.find_in(norms, words))

    def modifies(self, text: str, start: int, end: int, category: str, windows: Mapping[str, int] | None = None) -> bool:
        """Whether a cue of `category` in `text` applies to the words between characters `start`
        and `end`; `windows` overrides a category's forward window for this use."""
        norms, _, starts, ends = scanned(text)
        inside = [i for i, (first, last) in enumerate(zip(starts, ends)) if first < end and start < last]
        return bool(inside) and category in self.scope_of_words(norms, [(inside[0], inside[-1])], self._cues(text),
                                                                windows)[0]


class TextSpan(NamedTuple):
    """A sentence of a field (or a keyword, or the whole field) with offsets into the field's
    text, tokenised: its tokens (`tokenize(text[start:end], start)`) as the four lists of `scan`."""
    field: str
    text: str           # the whole field's text (offsets refer to it)
    start: int
    end: int
    norms: list[str]
    words: list[str]
    starts: list[int]
    ends: list[int]

    @property
    def tokens(self) -> list[Token]:
        return list(map(Token, self.norms, self.words, self.starts, self.ends))


def field_spans(record: Mapping[str, str], fields: Sequence[str]) -> list[TextSpan]:
    """The record's text fields cut into sentences (abstract), items (keywords, ';') or one span;
    spans without a token are left out. Each field is tokenised once: no token crosses the
    whitespace between sentences or a keyword's ';', so a span's tokens are the field's within it."""
    spans: list[TextSpan] = []
    for name in fields:
        text = record.get(name, "") or ""
        if not text:
            continue
        if name == "abstract":
            parts = sentence_spans(text)
        elif name == "keywords":
            parts, start = [], 0
            for part in text.split(";"):
                parts.append((start, start + len(part)))
                start += len(part) + 1
        else:
            parts = [(0, len(text))]
        norms, words, starts, ends = scan(text)
        for start, end in parts:
            first, stop = bisect_left(starts, start), bisect_left(starts, end)
            if first < stop:
                spans.append(TextSpan(name, text, start, end, norms[first:stop], words[first:stop],
                                      starts[first:stop], ends[first:stop]))
    return spans

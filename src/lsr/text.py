"""The text layer shared by screening and extraction.

One way to read a record's text: sentences with their abstract section, tokens (case, accents,
British/American spelling, plurals and number words folded; Chinese and Japanese characters one
each), numbers written as words, typed age mentions (juvenile, adult, at onset), phrase lexicons
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
from functools import lru_cache
from pathlib import Path


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


@dataclass(frozen=True, slots=True)
class Token:
    norm: str
    text: str
    start: int
    end: int


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Word tokens with character offsets (plus %, /, #, ;); letters and digits are split
    ('FK506' = 'FK 506'), and 'twenty one' becomes one token '21'."""
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        word = match.group()
        norm = normalise_word(word)
        if (norm.isdigit() and 0 < int(norm) < 10 and tokens and tokens[-1].norm.isdigit()
                and fold(tokens[-1].text) in _TENS and match.start() + offset - tokens[-1].end <= 1):
            last = tokens.pop()
            tokens.append(Token(str(int(last.norm) + int(norm)), text[last.start - offset:match.end()],
                                last.start, match.end() + offset))
            continue
        tokens.append(Token(norm, word, match.start() + offset, match.end() + offset))
    return tokens


def phrase(text: str) -> tuple[str, ...]:
    """A lexicon entry as matched: its normalised tokens."""
    return tuple(t.norm for t in tokenize(text))


_IS_NUMBER = re.compile(r"\d+(?:\.\d+)?").fullmatch


def is_number(norm: str) -> bool:
    """Whether a normalised token is a number ('12', '0.5'; number words are digits by then)."""
    return _IS_NUMBER(norm) is not None


# --------------------------------------------------------------------------- typed mentions: ages

_AGE_UNITS = {"year": 1.0, "yr": 1.0, "month": 1 / 12, "week": 1 / 52, "day": 1 / 365, "ano": 1.0}
_AGE_BEFORE = {"age", "aged", "onset", "idade"}
# An age at onset or diagnosis ("diagnosed at the age of 15 years", "aged 9 years at onset"):
# a cue among the words since the previous number, or 'at onset' right after the unit.
_ONSET_BEFORE = {"onset", "diagnosed", "diagnosis", "began", "begun"}
_ONSET_AFTER = {("at", "onset"), ("at", "diagnosis"), ("at", "disease"), ("at", "presentation")}
_ONSET_WINDOW = 8
# Words after a number that make it a measure, not an age ('at 15 mg', 'at 40%').
_MEASURES = {"%", "mg", "g", "kg", "ml", "l", "ng", "mm", "cm", "m", "h", "hour", "min", "minute", "time",
             "dose", "u", "iu", "mmol", "umol", "µg", "mcg", "patient", "case", "child", "center", "centre",
             "site", "hospital", "week", "month", "day", "/"}
# '3 years earlier', '5 years ago': a time interval, not an age.
_INTERVAL_AFTER = {("ago",), ("earlier",), ("before",), ("after",), ("later",), ("previously",), ("prior",)}
_YOUNGER = {("or", "younger"), ("or", "less"), ("and", "under"), ("or", "below"), ("and", "younger")}
_OLDER = {("or", "older"), ("or", "more"), ("and", "over"), ("or", "above"), ("and", "older")}
_RANGE_JOINERS = {"to", "and", "or", "a"}


def stated_ages(tokens: Sequence[Token], juvenile_below: float = 18) -> list[tuple[int, int, str]]:
    """Typed age mentions of a sentence: (first token, last token, group), group 'juvenile' (below
    `juvenile_below` years, 'under 16'), 'adult', 'juvenile_onset' / 'adult_onset' for an age at onset or
    diagnosis, and 'mixed' for a range reaching both sides ('aged 8-60 years'). '3 years earlier' is an
    interval and 'at 15 mg' a dose, not ages."""
    words = [t.norm for t in tokens]
    found, i = [], 0
    while i < len(words):
        if not is_number(words[i]):
            i += 1
            continue
        first, values = i, [float(words[i])]
        j = i + 1
        while j + 1 < len(words) and (is_number(words[j]) or
                                      (words[j] in _RANGE_JOINERS and is_number(words[j + 1]))):
            if is_number(words[j]):
                values.append(float(words[j]))
            j += 1
        has_unit = j < len(words) and words[j] in _AGE_UNITS
        # 'aged 16', 'at the age of 16', 'diagnosed at 16': an age without a unit
        bare = (not has_unit and len(values) == 1 and values[0] < 100 and first > 0
                and (words[first - 1] in ("aged", "at") or tuple(words[first - 2:first]) == ("age", "of"))
                and (j >= len(words) or words[j] not in _MEASURES and not is_number(words[j])))
        if has_unit or bare:
            unit = _AGE_UNITS[words[j]] if has_unit else 1.0
            if bare:
                j -= 1      # the number is the last word of the age
            after = tuple(words[j + 1:j + 3])
            since = max([k + 1 for k in range(max(0, first - _ONSET_WINDOW), first)
                         if is_number(words[k])], default=max(0, first - _ONSET_WINDOW))
            at_onset = after in _ONSET_AFTER or (bool(_ONSET_BEFORE & set(words[since:first]))
                                                 and first > 0 and words[first - 1] in ("at", "age", "of"))
            in_context = after[:1] not in _INTERVAL_AFTER and (
                after[:1] == ("old",) or after == ("of", "age") or at_onset
                or any(w in _AGE_BEFORE for w in words[max(0, first - 4):first]))
            if bare:    # with no unit, only an explicit age: 'aged 16', 'age of 16', onset 'at 16'
                in_context = in_context and (at_onset or words[first - 1] != "at")
            if in_context:
                before = words[max(0, first - 2):first]
                ages = [v * unit for v in values]
                limit = juvenile_below
                if after in _YOUNGER or {"under", "below", "younger", "before"} & set(before):
                    groups = ["juvenile"]
                elif after in _OLDER or {"over", "above", "older"} & set(before):
                    groups = ["adult"]
                else:   # a range reaching the limit ('12-18 years') is still a children's range
                    groups = ["juvenile"] if min(ages) < limit else []
                    if (max(ages) > limit) if len(ages) > 1 else ages[0] >= limit:
                        groups.append("adult")
                last = j + 1 if after[:1] == ("old",) else j + 2 if after == ("of", "age") else j
                if len(ages) > 1 and groups == ["juvenile", "adult"]:
                    groups.append("mixed")
                if at_onset and len(groups) == 1:
                    groups.append(groups[0] + "_onset")
                found += [(first, last, group) for group in groups]
            i = j + 1
        else:
            i = j
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
        return any(self.section.startswith(word) for word in _BACKGROUND_SECTIONS)

    @property
    def is_conclusion(self) -> bool:
        return any(self.section.startswith(word) for word in _CONCLUSION_SECTIONS)

    @property
    def is_methods(self) -> bool:
        return any(word in self.section for word in _METHODS_SECTIONS)

    @property
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
        texts = None
        count = len(tokens)
        for i, norm in enumerate(norms):
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
                text = tokens[i].text
                for word in (text, text[:-1]) if text[-1] == "s" else (text,):
                    for rest, size, key, _ in exact.get(word, ()):
                        if (key, i) in longest or i + size > count:
                            continue
                        if texts is None:
                            texts = [t.text for t in tokens]
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
        return {self.cues[key].category for key, _, _ in self.lexicon.find(tokenize(text))}

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

"""Extraction stage: the Table 1 fields of every included record, with reviewer values.

Machine values come from the record's title and abstract only, by rules that read numbers,
drugs, doses, durations and outcomes the way authors write them. A field the text does not
state is `NR` — never a guess, never a default. Each machine value keeps the sentence(s) it
came from as evidence, and is unverified (empty `reviewer`) until a reviewer value
(config/extraction/values/<reviewer>.tsv) replaces it; reviewer values are also how facts
from full texts enter. Two reviewers who disagree on a field are a conflict: the machine
value stays (unverified), the evidence names both reviewer values, and the run log lists
the conflict until the reviewers agree.

Output: results/extraction.tsv, one row per included record and field (COLUMNS), records
in the order of unique_records.tsv, fields in FIELDS order.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field as dataclass_field
from functools import lru_cache
from itertools import islice
from operator import itemgetter

from .checks import RecordLookup, check_known, check_vocabulary, iso_date, record_lookup
from .fields import DRUG_CODES, EXTRACTION_COLUMNS, NAMES, NR, RULES, SOURCES, UNCLEAR, broken_rules, validate_value
from .keyed import Keyed, key_test, lower_case, words_of
from .papers import Case, Document, introduces_patient, read_document, split_cases
from .parallel import map_ordered
from .reviewers import applicable_rows, check_file_reviewer, latest_rows, read_reviewer_file, reviewer_files
from .state import recorded_record_ids
from .text import (DASH as _DASH, NUMBER, WORD_NUMBERS, AgeMention, Sentence, age_mentions, entry_lexicon,
                   entry_pattern, format_number, format_range, load_vocabularies, parse_number, record_sentences,
                   scanned, split_sentences)
from .tsv import InputError, Problems, iter_tsv, read_tsv, write_tsv

FIELDS = NAMES
COLUMNS = EXTRACTION_COLUMNS
REVIEWER_COLUMNS = ["pmid", "field", "value", "reviewer", "source", "note"]

# --------------------------------------------------------------------------- drugs (config/vocabularies/drugs.yaml)

_VOCABULARIES = load_vocabularies()
_TACROLIMUS_ENTRY = _VOCABULARIES.entry("drugs.tacrolimus")
_OTHER_DRUGS = [e for e in _VOCABULARIES.of("drugs") if e is not _TACROLIMUS_ENTRY and e.kind != "class"]
TACROLIMUS = entry_pattern([_TACROLIMUS_ENTRY])
_TACROLIMUS_RE = Keyed(TACROLIMUS, re.I)
_DRUGS = entry_lexicon(_OTHER_DRUGS)
_DRUG_RE = Keyed(entry_pattern(_OTHER_DRUGS), re.I)
_ANY_DRUG_RE = Keyed(rf"{_DRUG_RE.pattern}|{TACROLIMUS}", re.I)


@lru_cache(maxsize=4096)
def _tacrolimus_spans(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of every tacrolimus mention of a sentence, found once (many rules ask); also the
    test (`requires`) of the patterns every match of which names tacrolimus."""
    return tuple(match.span() for match in _TACROLIMUS_RE.finditer(text))


# 'tacrolimus (n = 7)': a count that ends a tacrolimus mention; 'dose of tacrolimus'.
_TACROLIMUS_ARM_RE = Keyed(rf"{TACROLIMUS}(?:\W{{0,3}}|\s*\([^()]*)$", re.I)
_OF_TACROLIMUS_RE = Keyed(rf"\bof\s+{TACROLIMUS}", re.I, _tacrolimus_spans)


# The rules ask the text layer about the same sentence (or clause) many times: it scans a text's
# tokens once (`scanned`) and finds its modifier cues once (ModifierLexicon.cues_in, .modifies).
_MODIFIERS = _VOCABULARIES.modifiers


def _modified(text: str, start: int, end: int, category: str, windows: Mapping[str, int] | None = None) -> bool:
    """ModifierLexicon.modifies, whose scope is worked out only for text holding a cue of the category
    (its memoised cues_in): a text without one has no such scope."""
    return category in _MODIFIERS.cues_in(text) and _MODIFIERS.modifies(text, start, end, category, windows)


@lru_cache(maxsize=4096)
def drug_mentions(text: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, canonical code or drug name) of every drug other than tacrolimus in a text, found
    once per sentence (the field rules ask for a sentence's drugs many times)."""
    norms, words, starts, ends = scanned(text)
    return tuple((starts[first], ends[last], code) for code, first, last in _DRUGS.find_in(norms, words))


def canonical_drug(name: str) -> str:
    """'ciclosporin' -> 'CSA', 'methylprednisolone pulses' -> 'CS'; unknown names are returned lower-cased."""
    return _DRUGS.fullmatch(name.strip()) or " ".join(name.lower().split())


@lru_cache(maxsize=4096)
def _tacrolimus_segments(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of text that belong to a tacrolimus mention: from it to the next other drug's mention."""
    mentions = _tacrolimus_spans(text)
    if not mentions:
        return ()
    others = sorted(start for start, _, _ in drug_mentions(text))
    segments = []
    for start, end in mentions:
        following = [other for other in others if other > end]
        segments.append((start, following[0] if following else len(text)))
    return tuple(segments)


_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=4096)
def _states_a_number(text: str) -> bool:
    """Whether a sentence may state a count: a number in digits or words (the text layer's tokens
    hold number words as digits), 'a couple of', 'a pair of'. The count patterns (NUMBER after a
    non-word character, then a space) need one; a dotless i, which the tokens do not fold but
    case-insensitive patterns take for 'i', leaves the answer to them."""
    if _DIGIT.search(text) or "\u0131" in text:
        return True
    norms = scanned(text)[0]
    return any(map(str.isdigit, map(itemgetter(0), norms))) or "couple" in norms or "pair" in norms


# --------------------------------------------------------------------------- field rules

@dataclass
class Finding:
    """A machine value and the sentences it was read from."""

    value: str = NR
    evidence: list[str] = dataclass_field(default_factory=list)

    def add_evidence(self, sentence: str) -> None:
        if sentence not in self.evidence:
            self.evidence.append(sentence)


# NUMBER led by a look-ahead at its first character (a digit or a number word's first letter): a scan
# then passes over other words without trying each number word.
_NUMBER = rf"(?=[\d{''.join(sorted({word[0] for word in WORD_NUMBERS}))}]){NUMBER}"
_COUNT_NOUNS = (r"(?:patients?|children|child|cases?|girls?|boys?|subjects?|adolescents?|individuals?|"
                r"infants?|participants?|persons?|pts|women|men|females?|males?|sisters?|brothers?|siblings?|twins?)")
_NOT_AGE = r"(?![- ]?(?:years?|yrs?|months?|weeks?|days?|y)\b)(?!\s*(?:%|mg|ng|µg|μg|ug|mcg|g\b))"
# A count: number, up to three describing words (or a parenthesis such as '(19 F, 7 M)'), a noun for people.
_COUNT_NOUN_WORDS = words_of(_COUNT_NOUNS)
_COUNT_RE = Keyed(
    rf"(?<![\w.\-])(?P<n>{_NUMBER}){_NOT_AGE}\s+(?:\((?:\d+(?:\.\d+)?\s*%|[^)]{{0,30}})\)\s+)?"
    rf"(?:(?!(?:of|in|with|and|or|to|for|from|who|were|was|had|at)\b)[\w'/\-]+\s+(?:\([^)]{{0,30}}\)\s+)?){{0,3}}?"
    rf"{_COUNT_NOUNS}\b(?!['’]s)", re.I)
# A count inside a larger group ('in 4 patients', '15 of the 21 patients') is not the study's size.
_SUBSET_RE = Keyed(rf"(?:\b(?:in|among|remaining|other|additional|all but)|(?<![\w.-]){NUMBER}\s+(?:of|among))"
                        r"\s+(?:the\s+|these\s+|them\s+)?$", re.I)
_COUNTED_THING_RE = Keyed(r"\b(?:to|than|least|most)\s*$", re.I)
_ADULT_COUNT_RE = Keyed(
    rf"(?<![\w.\-]){_NUMBER}\s+(?:(?:of\s+(?:them|whom|these)\s+)(?:were\s+)?|[\w\-]+\s+)?adults?\b(?!-onset)", re.I)
_JUVENILE_RE = Keyed(entry_pattern([_VOCABULARIES.entry("populations.juvenile")]), re.I)
_N_EQUALS_RE = Keyed(r"\(?\b[nN]\s*=\s*(?P<n>\d+)\b")
_SEX_NOUN = r"(?:girls?|boys?|females?|males?|wom[ae]n|m[ae]n|sisters?|brothers?)"
_SEX_PAIR_RE = Keyed(
    rf"(?<![\w\-])(?P<n1>{NUMBER}|an?|one)\s+(?P<s1>{_SEX_NOUN})\s*(?:,|and|&)\s*(?P<n2>{NUMBER}|an?|one)\s+"
    rf"(?P<s2>{_SEX_NOUN})\b", re.I)
# Wording that introduces the study's own patients ('We report three children', '11 patients were enrolled').
_REPORTING = Keyed(
    r"\bwe (?:\w+ )?(?:report|present|describe|reviewed|analy[sz]ed|studied|enrolled|included|identified|treated)\b|"
    r"\b(?:this|the|our|present) (?:study|series|report|cohort|trial) "
    r"(?:included|enrolled|comprised|involved|describes)\b|"
    r"\b(?:were|was) (?:included|enrolled|recruited|studied|reviewed|identified|treated|analy[sz]ed)\b|"
    r"\b(?:study|series|cohort|review|report|experience) (?:of|with|on)\b", re.I)
_SINGLE_NOUNS = r"(?:boy|girl|woman|man|patient|child|adolescent|infant|teenager|case)"
# _SINGLE_RE's article and noun are words between non-word characters: tokens of the sentence.
_SINGLE_WORDS = (words_of("a|an|one"), words_of(_SINGLE_NOUNS))
_STARTS_WITH_ONE_RE = re.compile(r"\s*(?:an?|one)\s", re.I)
_SINGLE_RE = Keyed(
    rf"(?:^|(?<=[\s(:]))(?:a|an|one)\s+(?:(?:{NUMBER})[- ](?:years?|months?)[- ]old\s+)?(?:[\w\-]+\s+){{0,2}}?"
    rf"{_SINGLE_NOUNS}\b(?!['’]s)(?!\s+series|[- ]control)", re.I)
_TREATED_COUNT_RE = Keyed(
    rf"(?<![\w.\-])(?P<n>{_NUMBER}){_NOT_AGE}\s+(?:(?!(?:and|or|who|which|whose|that|at|when|since|after)\b)"
    rf"(?:of\s+(?:them|these|the)\s+)?"
    rf"(?!(?:drugs?|agents?|medications?|courses?|doses?|centres?|centers?)\b)[\w/\-]+\s+)"
    rf"{{0,3}}?(?:(?:were|was|had been)\s+(?:treated|given|started|switched)|(?:had\s+)?received)\b"
    rf"[^.;]{{0,40}}?\b{TACROLIMUS}\b", re.I, _tacrolimus_spans)


@lru_cache(maxsize=4096)
def _words(text: str) -> frozenset[str]:
    """The words the rules look for (_READ_WORDS) among a sentence's tokens as written, lowered
    (`lower_case`): a word a case-insensitive pattern matches between non-word characters (a space
    before it, a word boundary after) is one of the tokens."""
    _, words, starts, ends = scanned(text)
    if text.isascii():
        return _READ_WORDS.intersection(map(str.lower, words))
    lowered = lower_case(text)     # as long as the text: its tokens' offsets hold
    return _READ_WORDS.intersection(lowered[start:end] for start, end in zip(starts, ends))


def _names_sex(text: str) -> bool:
    """Whether a sentence holds a word for a patient's sex ('girls', 'men', 'F'), as the sex patterns read it."""
    return not _SEX_TOKENS.isdisjoint(_words(text))


@lru_cache(maxsize=4096)
def _sex_pairs(text: str) -> tuple[re.Match, ...]:
    """'two girls and a boy', '19 girls, 7 boys': read for the number of patients and for their sex."""
    return tuple(_SEX_PAIR_RE.finditer(text)) if _names_sex(text) else ()


@lru_cache(maxsize=4096)
def _reports_patients(text: str) -> bool:
    return bool(_REPORTING.search(text))


def _reporting(sentence: Sentence) -> bool:
    """Whether a sentence introduces the study's own patients (or is the title)."""
    return sentence.in_title or _reports_patients(sentence.text)


def _count_mentions(sentence: Sentence) -> list[tuple[int, int, int, str]]:
    """(priority, position, count, wording) for every statement of how many patients a sentence makes."""
    text = sentence.text
    mentions = []
    tacrolimus = bool(_tacrolimus_spans(text))
    numbers = _states_a_number(text)
    paired = []
    for match in _sex_pairs(text):
        total = sum(int(parse_number("1" if n.lower() in ("a", "an") else n)) for n in (match["n1"], match["n2"]))
        paired.append((match.start(), match.end()))
        mentions.append((1 if _reporting(sentence) else 2, match.start(), total, match.group(0)))
    for match in _TREATED_COUNT_RE.finditer(text) if numbers else ():
        # 'refractory to at least two drugs were treated ...' counts drugs, not patients.
        if not _COUNTED_THING_RE.search(text[:match.start()]):
            mentions.append((0, match.start(), int(parse_number(match["n"])), match.group(0)))
    for position, listed, _, wording in _listed_ages(text):
        # '11- and 8-year-old boys': one patient per age listed.
        mentions.append((1 if tacrolimus or _reporting(sentence) else 2, position, listed, wording))
    for match in _COUNT_RE.finditer(text) if numbers and not _COUNT_NOUN_WORDS.isdisjoint(_words(text)) else ():
        if any(start <= match.start() < end for start, end in paired):
            continue
        subset = _SUBSET_RE.search(text[max(0, match.start() - 40):match.start()])
        value = parse_number(match["n"])
        if value != int(value) or value < 1:
            continue
        priority = 1 if tacrolimus or _reporting(sentence) else 2
        mentions.append((priority + (2 if subset else 0), match.start(), int(value), match.group(0)))
    for match in _N_EQUALS_RE.finditer(text):
        # 'tacrolimus (n = 7)', 'oral tacrolimus (target trough 5-10 ng/mL; n = 16)': the tacrolimus arm.
        owned = _TACROLIMUS_ARM_RE.search(text[:match.start()])
        wording = text[max(0, match.start() - 40):match.end()]
        mentions.append((0 if owned else 2, match.start(), int(match["n"]), wording))
    if not mentions and all(not words.isdisjoint(_words(text)) for words in _SINGLE_WORDS):
        single = _SINGLE_RE.search(text)
        if single and (_STARTS_WITH_ONE_RE.match(text) or _reporting(sentence)):
            mentions.append((1, single.start(), 1, single.group(0)))
    return mentions


def extract_n_patients(sentences: Sequence[Sentence]) -> Finding:
    """JDM patients treated with tacrolimus: the best-placed count statement (reports, tacrolimus, title).

    In a study that also counts adults, only a count of children (juvenile patients) is the
    table's number; without one the number is unclear.
    """
    candidates = []
    mixed = False
    for sentence in sentences:
        if sentence.about_literature or sentence.is_background:
            continue
        mixed = mixed or bool(_ADULT_COUNT_RE.search(sentence.text))
        for priority, position, count, wording in _count_mentions(sentence):
            if count < 10000:
                candidates.append((priority, sentence.index, position, count, sentence.text, wording))
    if mixed:
        counted = candidates
        candidates = [c for c in candidates if _JUVENILE_RE.search(c[5])]
        if counted and not candidates:
            # Adults and children counted together: how many were juvenile is for a reviewer.
            return Finding(UNCLEAR, list(dict.fromkeys(c[4] for c in counted)))
    if not candidates:
        return Finding()
    best = min(candidates)
    finding = Finding(str(best[3]))
    finding.add_evidence(best[4])
    return finding


_TRIAL_TYPES = Keyed(r"\btrial\b", re.I)
_TRIAL_WORDING_RE = Keyed(r"\brandomi[sz]ed\b|\b(?:open-label|single-arm|phase (?:I|II|III|IV|[1-4])[ab]?)\b[^.]*\b"
                           r"(?:trial|study)\b|\btrial\b", re.I)
_DESIGN_WORDING = [(design, Keyed(pattern, re.I)) for design, pattern in (
    ("cohort", r"\bcohort\b"), ("case series", r"\bcase series\b|\bseries of\b"),
    ("study", r"\bretrospective\w*|\bprospective\w*|\bmulti-?cent(?:er|re|ric)\b|\bregistry\b|\bobservational\b|"
              r"\bchart review\b"),
    ("case report", r"\bcase reports?\b"))]
_MAY_NAME_DESIGN = key_test(pattern for _, pattern in _DESIGN_WORDING)


_HEDGES = frozenset({"hypothetical", "uncertain"})


def _hedged(text: str) -> bool:
    """A sentence that plans, proposes or hedges (text layer cues: 'larger trials are needed')."""
    return not _HEDGES.isdisjoint(_MODIFIERS.cues_in(text))


def extract_design(sentences: Sequence[Sentence], publication_types: str, n_patients: Finding) -> Finding:
    """Trial (publication type or randomised/trial wording), else by the number of patients and wording."""
    types = [t.strip() for t in publication_types.split(";") if t.strip()]
    trial_types = [t for t in types if _TRIAL_TYPES.search(t)]
    if trial_types:
        return Finding("trial", [f"publication type: {'; '.join(trial_types)}"])
    for sentence in sentences:
        if sentence.about_literature or _hedged(sentence.text):
            continue
        text = sentence.text
        # The sentence itself unless there is a 'non-random' to drop: its key words are then read
        # from its memoised lower case.
        if _TRIAL_WORDING_RE.search(text.replace("non-random", "") if "non-random" in text else text):
            return Finding("trial", [sentence.text])
    n = _count(n_patients)
    if n == 1:
        return Finding("case report", list(n_patients.evidence))
    wording = {}
    for sentence in sentences:
        if sentence.about_literature and not sentence.in_title or not _MAY_NAME_DESIGN(sentence.text):
            continue
        text = sentence.text
        for design, pattern in _DESIGN_WORDING:
            if design not in wording and pattern.search(text) and not _hedged(text):
                wording[design] = text
    if "cohort" in wording and (n is None or n >= 2):
        return Finding("cohort", [wording["cohort"]])
    if n is not None:
        if n >= 10 and "study" in wording and "case series" not in wording:
            return Finding("cohort", [wording["study"], *n_patients.evidence])
        evidence = [wording["case series"]] if "case series" in wording else []
        return Finding("case series", evidence + list(n_patients.evidence))
    if "case series" in wording:
        return Finding("case series", [wording["case series"]])
    return Finding()


_TACROLIMUS_LEXICON = entry_lexicon([_TACROLIMUS_ENTRY])


@lru_cache(maxsize=4096)
def _ages_of(text: str) -> tuple[AgeMention, ...]:
    """The text layer's typed age mentions of a sentence (an age at tacrolimus start is 'start')."""
    return tuple(age_mentions(*scanned(text), text, _TACROLIMUS_LEXICON))


@lru_cache(maxsize=4096)
def _listed_ages(text: str) -> tuple[tuple[int, int, str, str], ...]:
    """'11- and 8-year-old boys': (position, patients, sex noun, wording) for ages listed before a plural
    sex noun, one patient per age."""
    _, words, starts, ends = scanned(text)
    found = []
    for mention in _ages_of(text):
        noun = words[mention.last + 1].lower() if mention.last + 1 < len(words) else ""
        if mention.old and len(mention.years) > 1 and noun in _PLURAL_SEX:
            found.append((starts[mention.first], len(mention.years), noun,
                          text[starts[mention.first]:ends[mention.last + 1]]))
    return tuple(found)


def extract_ages(sentences: Sequence[Sentence]) -> tuple[Finding, Finding]:
    """Youngest and oldest age in years: at tacrolimus start if stated, else as reported, else at onset
    (bounds such as 'under 16' and means without their range are no patient's age)."""
    read = [s for s in sentences if not s.about_literature and not s.in_title]
    mentions = [(mention, s.text) for s in read for mention in _ages_of(s.text)]
    for about in ("start", "reported", "onset"):
        chosen = [(years, text) for mention, text in mentions if mention.about == about for years in mention.extremes]
        if chosen and about == "onset":
            # 'diagnosed at 10 years; at 13 years the rash worsened': an age or a time point the rules
            # cannot place may be the age at tacrolimus start.
            unread = [text for mention, text in mentions if mention.about == "maybe"
                      and not any(text == t for _, t in chosen)]
            if unread:
                evidence = list(dict.fromkeys([text for _, text in chosen] + unread))
                return Finding(UNCLEAR, evidence), Finding(UNCLEAR, evidence)
        if chosen:
            youngest = min(chosen, key=lambda m: m[0])
            oldest = max(chosen, key=lambda m: m[0])
            return (Finding(format_number(youngest[0]), [youngest[1]]),
                    Finding(format_number(oldest[0]), [oldest[1]]))
    return Finding(), Finding()


_PLURAL_SEX = ("boys", "girls", "males", "females", "women", "men", "sisters", "brothers")
_SEX_WORDS = {"girl": "f", "girls": "f", "female": "f", "females": "f", "woman": "f", "women": "f", "f": "f",
              "sister": "f", "sisters": "f",
              "boy": "m", "boys": "m", "male": "m", "males": "m", "man": "m", "men": "m", "m": "m",
              "brother": "m", "brothers": "m"}
# Every word the sex patterns (_SEX_PAIR_RE, _SEX_COUNT_RE, _SEX_LETTER_RE, _SINGLE_SEX_RE, _listed_ages) read.
_SEX_TOKENS = frozenset(_SEX_WORDS)
# The words `_words` looks for: a set of a few words a sentence holds is quick to test.
_READ_WORDS = _COUNT_NOUN_WORDS | _SEX_TOKENS | frozenset().union(*_SINGLE_WORDS)
_SEX_COUNT_RE = Keyed(
    rf"(?<![\w\-])(?P<n>{_NUMBER}){_NOT_AGE}\s+(?:\(\d+(?:\.\d+)?\s*%\)\s+)?(?:(?!(?:of|in|with|and|or)\b)[\w\-]+\s+)?"
    r"(?P<sex>girls?|boys?|females?|males?|women|men|sisters|brothers)\b(?!\s*(?:to|-to-|:|ratio))", re.I)
# '8 (57%) were girls': a share of the whole study when the percentage matches the number of patients.
_SEX_SHARE_RE = Keyed(r"(?P<n>\d+)\s*\((?P<p>\d+(?:\.\d+)?)\s*%\)\s*(?:were\s+|are\s+)?"
                           r"(?:girls?|boys?|females?|males?)\b", re.I)
_SEX_LETTER_RE = Keyed(r"(?<=[(,;\s])(?P<n>\d+)\s*(?P<sex>[FM])\b(?=\s*[,;)/]|\s+and\b)")
_SINGLE_SEX_RE = Keyed(
    rf"(?:(?:^|(?<=[\s(]))(?:an?|one)\s+|(?:patient|case)\s+\d+\s*[:,]\s*)"
    rf"(?:(?:{NUMBER})[- ](?:years?|months?)[- ]old\s+"
    r"|(?:[\w\-]+\s+){0,2}?)(?P<sex>boy|girl|woman|man|male|female)\b", re.I)


def _sex_counts(sentence: Sentence) -> tuple[dict[str, int], int]:
    """Boys/girls a sentence counts ('two girls and a boy', '19 F, 7 M', "11- and 8-year-old boys"),
    and how many of those counts describe single patients ('a 13-year-old girl')."""
    counts: Counter = Counter()
    text = sentence.text
    if not _names_sex(text):
        return {}, 0
    for match in _sex_pairs(text):
        for n, sex in ((match["n1"], match["s1"]), (match["n2"], match["s2"])):
            counts[_SEX_WORDS[sex.lower()]] += int(parse_number("1" if n.lower() in ("a", "an") else n))
    if not counts:
        for match in _SEX_COUNT_RE.finditer(text) if _states_a_number(text) else ():
            counts[_SEX_WORDS[match["sex"].lower()]] += int(parse_number(match["n"]))
        for match in _SEX_LETTER_RE.finditer(text):
            counts[_SEX_WORDS[match["sex"].lower()]] += int(match["n"])
        for _, listed, sex, _ in _listed_ages(text):
            counts[_SEX_WORDS[sex]] += listed
    if counts:
        return dict(counts), 0
    singles: Counter = Counter(_SEX_WORDS[m["sex"].lower()] for m in _SINGLE_SEX_RE.finditer(text))
    return dict(singles), sum(singles.values())


def extract_sex(sentences: Sequence[Sentence], n_patients: Finding) -> tuple[Finding, Finding]:
    """Boys and girls: the first sentence that counts them, else single patients described one by one
    (in the abstract; the title's single patient only when the abstract describes none).

    The sex not named is 0 when the named count already accounts for every patient, and the
    difference when the count is plainly a part of the study's patients: stated in the sentence
    that gives the number of patients ('14 children (9 girls)'), or as a share that matches it
    ('8 (57%) were girls' of 14).
    """
    group: tuple[dict[str, int], list[str]] | None = None
    singles: dict[bool, Counter] = {True: Counter(), False: Counter()}
    single_evidence: dict[bool, list[str]] = {True: [], False: []}
    for sentence in sentences:
        if sentence.about_literature or sentence.is_background:
            continue
        counts, single = _sex_counts(sentence)
        if counts and not single and group is None:
            group = (counts, [sentence.text])
        elif single:
            singles[sentence.in_title].update(counts)
            single_evidence[sentence.in_title].append(sentence.text)
    in_title = not singles[False]
    counts, evidence = group if group else (dict(singles[in_title]), single_evidence[in_title])
    if not counts:
        return Finding(), Finding()
    n = _count(n_patients)
    total = sum(counts.values())
    if n is not None and total > n:
        return Finding(), Finding()
    complete = n is not None and total == n
    values = {sex: str(counts[sex]) if sex in counts else ("0" if complete else NR) for sex in ("m", "f")}
    if n is not None and group and len(counts) == 1 and _part_of_study(evidence[0], n_patients, n):
        values = {sex: str(counts.get(sex, n - total)) for sex in ("m", "f")}
    return tuple(Finding(values[sex], list(evidence) if values[sex] != NR else []) for sex in ("m", "f"))


def _part_of_study(text: str, n_patients: Finding, n: int) -> bool:
    """Whether a sentence's count of one sex is a part of the study's n patients."""
    if text in n_patients.evidence:
        return True
    return any(abs(100 * int(m["n"]) / n - float(m["p"])) <= 1 for m in _SEX_SHARE_RE.finditer(text))


_PRIOR_CUE_RE = Keyed(
    r"\b(?:refractory|recalcitrant|resistant|unresponsive|non-?respon\w*|intolerant|fail\w*|failure|inadequate\w*|"
    r"insufficient\w*|despite|in spite of|previously|previous|prior|pretreated|pre-treated|did not respond|"
    r"not respond\w*|poor response|lack of response|after (?:the )?(?:failure|ineffectiveness)|"
    r"had (?:also |previously |already )?(?:received|been (?:treated|given)))\b", re.I)
# Failure stated after the drugs ('IVIG and steroids were ineffective', 'ciclosporin had failed',
# 'had received MTX previously'): the drugs of the clause before it.
_PRIOR_AFTER_RE = Keyed(
    r"\b(?:(?:were|was|had been|proved|being)\s+(?:\w+\s+)?(?:ineffective|unsuccessful|insufficient|inadequate|"
    r"not effective)|(?:had|have)\s+failed|previously)\b", re.I)
# 'She received X and Y, then tacrolimus was added': the drugs before the sequence word.
_THEN_TACROLIMUS_RE = Keyed(
    rf"(?:,\s*|\s+and\s+)(?:then|subsequently|thereafter|later)\b[^.;]{{0,25}}?\b{TACROLIMUS}\b|"
    rf"\bfollowed by\s+(?:(?:oral|intravenous)\s+)?{TACROLIMUS}\b", re.I, _tacrolimus_spans)
_PRIOR_STOP_RE = Keyed(rf"{TACROLIMUS}|;|\.\s|\b(?:so|therefore|thus|then|hence|subsequently|whereas|but)\b",
                            re.I)
# The end of a list of drugs whose last item is tacrolimus: ', bisphosphonates and ' before it.
_CLAUSE_BOUNDARY_RE = Keyed(rf"{TACROLIMUS}|;|\bbut\b|\bwhereas\b", re.I)
_LIST_END_RE = Keyed(r"(?:,?\s+[a-z][\w\-]*){0,4}?,?\s+(?:and|or|plus)\s+", re.I)
_BEFORE_TACROLIMUS_RE = Keyed(
    rf"\b(?:before|prior to)\s+(?:the\s+)?(?:(?:start|initiation|introduction|use)\s+of\s+)?{TACROLIMUS}", re.I,
    _tacrolimus_spans)
_FIRST_LINE = r"(?:first-?line|front-?line|upfront|initial(?: combination)? (?:treatment|therapy|regimen))"
_FIRST_LINE_RE = Keyed(
    rf"\b{TACROLIMUS}\s+(?:was\s+(?:given|used|started)\s+)?as\s+(?:the\s+|an?\s+)?{_FIRST_LINE}|"
    rf"\b{_FIRST_LINE}\s+(?:(?:with|of|including|using|containing)\s+)?(?:[\w\-]+\s+){{0,2}}?{TACROLIMUS}\b", re.I,
    _tacrolimus_spans)


def extract_prior_treatments(sentences: Sequence[Sentence]) -> Finding:
    """Drugs given before tacrolimus, as canonical codes: named after 'refractory to', 'despite',
    'failed', 'previously treated with', 'before tacrolimus'...; 'none' when tacrolimus was first-line."""
    codes: set[str] = set()
    finding = Finding()
    for sentence in sentences:
        if sentence.about_literature:
            continue
        text = sentence.text
        if _FIRST_LINE_RE.search(text):
            return Finding("none", [text])
        mentions = drug_mentions(text)
        if not mentions:
            continue    # no drug the statements below could place before tacrolimus
        spans: list[tuple[int, int]] = []
        if _BEFORE_TACROLIMUS_RE.search(text):
            spans.append((0, len(text)))
        for cue in _PRIOR_CUE_RE.finditer(text):
            end = len(text)
            stop = _PRIOR_STOP_RE.search(text, cue.end())
            if stop:
                end = stop.start()
                listed = [e for s, e, _ in mentions if cue.end() <= s < end]
                # 'despite steroids, MTX and FK506': tacrolimus is one of the list, so no order is stated.
                if listed and _TACROLIMUS_RE.match(stop.group(0)) and _LIST_END_RE.fullmatch(text[max(listed):end]):
                    continue
            start = cue.start()
            # 'steroid-resistant', 'MTX-refractory': the drug stands just before the cue.
            adjective = re.search(r"([\w\-]+(?: [\w\-]+)?)[- ]$", text[max(0, start - 40):start])
            if adjective and _DRUGS.fullmatch(adjective.group(1).split()[-1].rstrip("-")):
                start -= len(adjective.group(0))
            spans.append((start, end))
        for cue in [*_PRIOR_AFTER_RE.finditer(text), *_THEN_TACROLIMUS_RE.finditer(text)]:
            clause_start = max([0] + [m.end() for m in _CLAUSE_BOUNDARY_RE.finditer(text[:cue.start()])])
            spans.append((clause_start, cue.start()))
        found = {code for start, end in spans for s, _, code in mentions if start <= s < end}
        found.discard("stem cell transplantation")
        if found:
            codes |= found
            finding.add_evidence(text)
    unexplained = _drugs_before_tacrolimus(sentences) - codes - {"stem cell transplantation"}
    if unexplained:
        # Drugs named before tacrolimus that no statement places before it (or beside it): a
        # reviewer decides whether they were prior treatments.
        unsettled = Finding(UNCLEAR, list(finding.evidence))
        for sentence in sentences:
            if not sentence.in_title and any(code in unexplained for _, _, code in drug_mentions(sentence.text)):
                unsettled.add_evidence(sentence.text)
        return unsettled
    if codes:
        finding.value = ";".join(sorted(codes))
    return finding


def _drugs_before_tacrolimus(sentences: Sequence[Sentence]) -> set[str]:
    """Codes of the drugs the abstract (not its background or literature) names before its first
    mention of tacrolimus, including earlier in that sentence."""
    found: set[str] = set()
    for sentence in sentences:
        if sentence.in_title or sentence.about_literature or sentence.is_background:
            continue
        tacrolimus = _tacrolimus_spans(sentence.text)
        end = tacrolimus[0][0] if tacrolimus else len(sentence.text)
        found |= {code for start, _, code in drug_mentions(sentence.text) if start < end}
        if tacrolimus:
            break
    return found


# Route words of config/vocabularies/routes.yaml: the entries whose code is a tacrolimus_route value.
_ROUTE_ENTRIES = [e for e in _VOCABULARIES.of("routes") if e.code in ("oral", "intravenous")]
_ROUTES = entry_lexicon(_ROUTE_ENTRIES)
_ROUTE = entry_pattern(_ROUTE_ENTRIES)
_ROUTE_BEFORE_RE = Keyed(
    rf"(?P<route>{_ROUTE})\s+(?:\(\w+\)\s+)?(?:(?:administration|use|dose|doses|"
    rf"low-dose|low dose|therapy|treatment|form|formulation)\s+(?:of\s+)?|(?:low-dose|daily|systemic)\s+)?"
    rf"{TACROLIMUS}", re.I, _tacrolimus_spans)
_ROUTE_AFTER_RE = Keyed(rf"(?<![\w.])(?P<route>{_ROUTE})", re.I)


def extract_route(sentences: Sequence[Sentence]) -> Finding:
    """Oral, intravenous or both, from route words attached to a tacrolimus mention."""
    routes: set[str] = set()
    finding = Finding()
    for sentence in sentences:
        text = sentence.text
        if not _tacrolimus_spans(text) or sentence.about_literature or not _ROUTE_AFTER_RE.may_match(text):
            continue    # route words count only beside a tacrolimus mention (and every match holds one)
        found = {_ROUTES.fullmatch(m["route"]) for m in _ROUTE_BEFORE_RE.finditer(text)}
        for start, end in _tacrolimus_segments(text):
            for match in _ROUTE_AFTER_RE.finditer(text, start, end):
                after = text[match.end():match.end() + 25]
                # 'tacrolimus and oral prednisolone': a route word naming the next drug is not tacrolimus's;
                # 'grade IV' is no route.
                if _DRUG_RE.match(after.strip()) or re.search(r"\b(?:grade|stage|class|type|phase)\s*$",
                                                               text[:match.start()], re.I):
                    continue
                found.add(_ROUTES.fullmatch(match["route"]))
        found.discard(None)
        if found:
            routes |= found
            finding.add_evidence(text)
    if routes:
        finding.value = "; ".join(sorted(routes))
    return finding


_PER_DAY = r"(?:/\s*(?:day|d)\b|\s*per\s+day\b|\s*/24\s*h\b|\s+day-1|\s+daily|\s+a\s+day|\s*d-1)"
_TWICE = r"(?:\s*/\s*dose)?\s*(?:twice\s+(?:a\s+)?(?:daily|day)|b\.?i\.?d\.?\b|every\s+12\s*h(?:ours?)?|q12h)"
_DOSE_RE = Keyed(
    rf"(?P<a>\d+(?:\.\d+)?)(?:{_DASH}(?P<b>\d+(?:\.\d+)?))?\s*mg\s*(?P<kg>(?:/|per\s+)\s*kg|kg-1|/kg)?"
    rf"(?:(?P<day>{_PER_DAY})|(?P<twice>{_TWICE}))", re.I)
_CONCENTRATION_UNIT = r"(?:ng\s*/\s*m[lL]|[µμu]g\s*/\s*[lL]|mcg\s*/\s*[lL])"
_LEVEL_RE = Keyed(
    rf"(?P<a>\d+(?:\.\d+)?)(?:\s*{_CONCENTRATION_UNIT})?(?:(?:{_DASH}|\s+and\s+)(?P<b>\d+(?:\.\d+)?))?\s*"
    rf"{_CONCENTRATION_UNIT}", re.I)
# 'levels above 5 ng/mL': a threshold, not a target.
_INEQUALITY = Keyed(r"(?:before|under|below|<|≤|less than|younger than|over|above|>|≥|older than|up to|"
                         r"at least|more than)\s*$", re.I)
_LEVEL_CUE_RE = Keyed(r"\btrough|\blevels?\b|\bconcentrations?\b|\bC0\b|\btherapeutic range\b", re.I)




def extract_dose(sentences: Sequence[Sentence]) -> Finding:
    """Tacrolimus dose in mg/kg/day (or mg/day) and target trough in ng/mL (µg/L is the same unit).

    A dose counts when it stands in a tacrolimus mention's stretch of text; per-dose amounts
    given twice daily are doubled into a daily dose. A trough range is preferred to a single target.
    """
    doses: list[str] = []
    troughs: list[tuple[int, int, str]] = []
    finding = Finding()
    for sentence in sentences:
        # 'A target trough of 5-10 ng/mL may be appropriate' recommends a dose; nobody was given it.
        if sentence.about_literature or _hedged(sentence.text):
            continue
        text = sentence.text
        segments = _tacrolimus_segments(text)
        before_of = [m.start() for m in _OF_TACROLIMUS_RE.finditer(text)]
        other_drugs = drug_mentions(text)
        used = False
        # A dose counts only beside a tacrolimus mention (`before_of` needs one too).
        for match in _DOSE_RE.finditer(text) if segments else ():
            owned = any(start <= match.start() < end for start, end in segments) or any(
                0 <= position - match.end() <= 3 for position in before_of)
            if not owned:
                continue
            factor = 2 if match["twice"] else 1
            low, high = float(match["a"]) * factor, float(match["b"]) * factor if match["b"] else None
            unit = "mg/kg/day" if match["kg"] else "mg/day"
            value = f"{format_range(low, high, 3)} {unit}"
            if value not in doses:
                doses.append(value)
            used = True
        names_tacrolimus = bool(segments)
        # A trough counts only after a level cue: a sentence without the cues' key words has none.
        for match in _LEVEL_RE.finditer(text) if _LEVEL_CUE_RE.may_match(text) else ():
            owned = any(start <= match.start() < end for start, end in segments) or (
                not names_tacrolimus and not other_drugs)
            cue = _LEVEL_CUE_RE.search(text[max(0, match.start() - 60):match.start()])
            # 'levels above 5 ng/mL had ...' is a threshold of an analysis, not the dose given.
            if not owned or not cue or _INEQUALITY.search(text[:match.start()]):
                continue
            if not names_tacrolimus and not any(_tacrolimus_spans(s.text) for s in sentences):
                continue
            low, high = float(match["a"]), float(match["b"]) if match["b"] else None
            ranked = 0 if high is not None else 1
            troughs.append((ranked, len(troughs), f"trough {format_range(low, high)} ng/mL"))
            used = True
        if used:
            finding.add_evidence(text)
    parts = list(doses)
    if troughs:
        parts.append(min(troughs)[2])
    if parts:
        finding.value = "; ".join(parts)
    return finding


_DURATION_RE = Keyed(
    rf"(?<![\d.])(?P<a>{_NUMBER})(?:\s*(?:±|\+/-)\s*\d+(?:\.\d+)?)?(?:\s*(?P<unit_a>weeks?|months?|years?))?"
    rf"(?:{_DASH}(?P<b>{NUMBER}))?[\s-]*(?P<unit>weeks?|wks?|months?|mo|years?|yrs?)\b", re.I)
_FOLLOWUP_CUE_RE = Keyed(r"\bfollow(?:ed)?[- ]?(?:up|-up)\b|\bfollowed\b|\bobservation period\b|"
                              r"\bobserved for\b|\bmonitored for\b", re.I)
_TREATMENT_SPAN_RE = Keyed(
    rf"\b(?:after|within|for|over)\s+(?P<d>{NUMBER}(?:{_DASH}{NUMBER})?[\s-]*(?:weeks?|months?|years?))\s+(?:of\s+)?"
    rf"(?:(?:oral|intravenous|continued)\s+)?(?:{TACROLIMUS}|treatment|therapy)", re.I)


_SPREAD_RE = Keyed(rf"\s*[(\[,;]\s*(?:range[sd]?|from)[:,]?\s*(?P<a>{NUMBER}){_DASH}(?P<b>{NUMBER})\s*"
                        rf"(?P<unit>weeks?|months?|years?)?", re.I)
_PER_PATIENT_RE = Keyed(r"\s+(?:for|in)\s+(?:the|one|patient|case|her|his)\b", re.I)
# 'At 12 months, ...', 'After 6 months of treatment, ...', 'Over the next 4 months ...', 'During 6 months of therapy'
_TIME_POINT_RE = Keyed(
    rf"(?:at|after|during|over)\s+(?:the\s+)?(?:(?:next|following|first|subsequent)\s+)?"
    rf"(?P<d>{NUMBER}(?:{_DASH}{NUMBER})?[\s-]*(?:weeks?|months?|years?))\b"
    rf"(?:\s+of\s+(?:(?:oral|intravenous|continued)\s+)?(?:{TACROLIMUS}|treatment|therapy))?"
    rf"\s*(?:,|\s(?!before|prior|of age|old))",
    re.I)


def _months(match) -> str:
    def convert(number: str, unit: str) -> float:
        value = parse_number(number)
        unit = unit.lower()
        if unit.startswith("w"):
            return value * 12 / 52
        if unit.startswith("y"):
            return value * 12
        return value
    unit = match["unit"]
    low = convert(match["a"], match["unit_a"] or unit)
    high = convert(match["b"], unit) if match["b"] else None
    return format_range(low, high, 1)


def _followup_value(window: str, duration: re.Match) -> str:
    """A stated follow-up: the range given with a mean or median ('26 months (range 12-60)'), the
    span of per-patient values ('2 years for the elder and 15 months for the younger'), else the value."""
    after = window[duration.end():]
    spread = _SPREAD_RE.match(after)
    if spread:
        unit = spread["unit"] or duration["unit"]
        return _months({"a": spread["a"], "b": spread["b"], "unit": unit, "unit_a": None})
    per_patient = _PER_PATIENT_RE.match(after)
    if per_patient:
        values = []
        for match in [duration, *_DURATION_RE.finditer(after)]:
            if match is duration or _PER_PATIENT_RE.match(after[match.end():]):
                values.extend(float(v) for v in _months(match).split("-"))
        return format_range(min(values), max(values), 1)
    return _months(duration)


_FOLLOWUP_OTHER_RE = Keyed(r"\d|\b(?:age|aged|old|duration|onset|diagnos\w*|disease|evolution|born)\b", re.I)


def extract_followup(sentences: Sequence[Sentence]) -> Finding:
    """Follow-up after tacrolimus start in months ('7 to 9 months' -> 7-9; weeks and years converted).

    Stated follow-up first, then time on tacrolimus ('after 6 months of tacrolimus'), then the
    latest time point results are reported at ('At 12 months, ...') once tacrolimus is introduced.
    A follow-up statement whose duration is not plainly the follow-up after tacrolimus (an age or a
    disease duration in between, time before tacrolimus) makes the field unclear.
    """
    unsettled = Finding(UNCLEAR)
    for sentence in sentences:
        if sentence.about_literature or sentence.is_background:
            continue
        text = sentence.text
        for cue in _FOLLOWUP_CUE_RE.finditer(text):
            before = _DURATION_RE.search(text[max(0, cue.start() - 25):cue.start()])
            if before and re.fullmatch(r"[\s-]*(?:of\s+)?", text[max(0, cue.start() - 25) + before.end():cue.start()]):
                return Finding(_months(before), [text])
            window = text[cue.end():cue.end() + 120]
            duration = _DURATION_RE.search(window[:80])
            unsettled.add_evidence(text)
            # Time followed before the drug was started is not follow-up after tacrolimus; a number or
            # an age, onset or disease duration between cue and duration belongs to something else.
            between = window[:duration.start()] if duration else ""
            if duration and not re.search(r"\b(?:before|prior)\b", between, re.I) \
                    and not re.match(r"\s*(?:before|prior to)\b", window[duration.end():], re.I) \
                    and not _FOLLOWUP_OTHER_RE.search(between) and len(between) <= 45:
                return Finding(_followup_value(window, duration), [text])
    if unsettled.evidence:
        return unsettled
    for sentence in sentences:
        if sentence.about_literature or sentence.is_background or not _tacrolimus_spans(sentence.text):
            continue
        span = _TREATMENT_SPAN_RE.search(sentence.text)
        if span:
            return Finding(_months(_DURATION_RE.search(span["d"])), [sentence.text])
    points = []
    for sentence in _after_tacrolimus(sentences):
        point = _TIME_POINT_RE.match(sentence.text)
        if point and not sentence.in_title:
            duration = _DURATION_RE.search(point["d"])
            points.append((float(_months(duration).split("-")[-1]), _months(duration), sentence.text))
    if points:
        latest = max(points, key=lambda point: point[0])
        return Finding(latest[1], [latest[2]])
    return Finding()


# Outcome domains: (regex, tier, polarity). Tier 1 is clinical (strength, rash), tier 2 laboratory;
# polarity says what a fall means: for 'weakness' (-1) it is an improvement, for 'strength' (+1) a loss.
_SKIN_TERMS = [(Keyed(p, re.I), tier, polarity) for p, tier, polarity in [
    # A disease activity score falls when the disease improves.
    (r"\b(?:skin|cutaneous|rash)(?: disease)? activity(?: scores?| index)?\b", 1, -1),
    (r"\bskin\b|\bcutaneous\b|\bdermatolog\w*|\bmucocutaneous\b", 1, 0),
    (r"\brash(?:es)?\b|\berythema\b|\bgottron\w*|\bheliotrope\b|\blesions?\b|\bulcer\w*|\bcalcinos\w*|\bcalcif\w*|"
     r"\bvasculitis\b|"
     r"\bcdasi\b|\bdas-?s\b", 1, -1),
]]
_MUSCLE_TERMS = [(Keyed(p, re.I), tier, polarity) for p, tier, polarity in [
    (r"\b(?:muscle|muscular)(?: disease)? activity(?: scores?| index)?\b", 1, -1),
    (r"\bmuscle strength\b|\bmuscular strength\b|\bmuscle power\b|\bstrength\b|\bcmas\b|\bmmt-?8?\b|"
     r"\bmotor function\b|\bphysical function\b", 1, 1),
    (r"\b(?:muscle )?weakness\b|\bmyalgia\b|\bmyositis\b|\bdas-?m\b", 1, -1),
    (r"\bmuscle enzymes?\b|\benzyme levels?\b|\bcreatine kinase\b|\bck\b|\bcpk\b|\baldolase\b", 2, -1),
    (r"\bmuscles?\b|\bmuscular\b", 1, 0),
]]
_MAY_NAME_DOMAIN = key_test(pattern for pattern, _, _ in (*_SKIN_TERMS, *_MUSCLE_TERMS))
_OUTCOME_TRIGGERS = [(Keyed(p, re.I), label) for p, label in [
    (r"\bno (?:significant |major |relevant )?change\b|\bunchanged\b|\bstable\b|\bstabili[sz]\w*|\bpersist\w*|"
     r"\bremained\b|\bstatic\b|\bpreserved\b", "no change"),
    (r"\bresol\w*|\bresolution\b|\bdisappear\w*|\bclear(?:ed|ance)\b|\bcomplete (?:remission|response|recovery)\b|"
     r"\bnormali[sz]\w*|\bnormal\b|\bfull recovery\b|\bheal(?:ed|ing)\b", "resolved"),
    (r"\bimprov\w*|\bbetter\b|\bamelior\w*|\brespond(?:ed|ing)\b|\brecover\w*|\bregress\w*|\bremission\b|"
     r"\b(?:good|favou?rable|excellent|significant|marked|clinical|dramatic) response\b|\bpartial\w*|"
     r"\bbenefi\w*|\beffective\w*", "improved"),
    (r"\bworsen\w*|\bdeteriorat\w*|\bprogress(?:ed|ion)\b|\bflares?\b|\baggravat\w*|\benlarg\w*", "worsened"),
    (r"\bdecreas\w*|\breduc\w*|\bdeclin\w*|\bdrop\w*|\bfell\b|\bfall\w*|\blower\w*|\bdiminish\w*|\bsubsid\w*", "down"),
    (r"\bincreas\w*|\brose\b|\brise\b|\bgain\w*|\bhigher\b|\bregain\w*", "up"),
]]
# Outcome statements put adverbs between a negation and its verb ('did not fully resolve').
_OUTCOME_NEGATION_WINDOW = {"negated": 4}


def _negated(clause: str, match: re.Match) -> bool:
    """Whether a negation cue (config/vocabularies/modifiers.yaml) applies to a matched word."""
    return _modified(clause, match.start(), match.end(), "negated", _OUTCOME_NEGATION_WINDOW)
_CLAUSE_SPLIT_RE = Keyed(r";|:|\bbut\b|\bhowever\b|\bwhereas\b|\bwhile\b|\balthough\b|\bthough\b|, and\b|"
                              r"\bwhich\b", re.I)
_BASELINE_RE = Keyed(r"\brelaps\w*|\bflare\w*|\brecurr\w*|\bat (?:diagnosis|presentation|baseline|onset)\b|"
                          r"\bpresented with\b", re.I)


def _trigger_class(clause: str, trigger: re.Match, label: str) -> str | None:
    negated = _negated(clause, trigger)
    if label in ("improved", "resolved") and negated:
        # 'did not resolve completely' says only that it is not resolved: no class of its own.
        if label == "resolved" or re.search(r"\bcomplete(?:ly)?\b|\bfull(?:y)?\b", clause[trigger.start():][:40]):
            return None
        return "no change"
    if label == "worsened" and negated:
        return None
    if label == "no change" and negated and not trigger.group(0).lower().startswith("no "):
        return None
    return label


def _domain_mentions(clause: str) -> list[tuple[int, int, str, int, int]]:
    """(start, end, domain, tier, polarity) of skin and muscle words; the most specific wording wins."""
    mentions: list[tuple[int, int, str, int, int]] = []
    for domain, terms in (("skin", _SKIN_TERMS), ("muscle", _MUSCLE_TERMS)):
        for pattern, tier, polarity in terms:
            for term in pattern.finditer(clause):
                if not any(s < term.end() and term.start() < e for s, e, *_ in mentions):
                    mentions.append((term.start(), term.end(), domain, tier, polarity))
    return mentions


_IN_SOME_RE = Keyed(
    rf"(?:\s+[\w\-]+){{0,3}}?\s+in\s+(?P<k>{NUMBER})(?:\s*(?:of|/|out of)\s*(?:the\s+)?(?P<m>{NUMBER}))?(?!\s*%)\b",
    re.I)


def _only_some(after: str, n_patients: int | None) -> bool:
    """'... in four of five', 'in 6/7', 'in five' (of six patients): a part of the patients, not all."""
    some = _IN_SOME_RE.match(after)
    if not some:
        return False
    total = parse_number(some["m"]) if some["m"] else n_patients
    return total is not None and parse_number(some["k"]) < total


def _clause_outcomes(clause: str, n_patients: int | None = None) -> list[tuple[str, int, str]]:
    """(domain, tier, class) stated in a clause.

    Each domain word takes its nearest outcome word, and each outcome word also counts for the
    nearest domain word before it, so 'resolved in two and improved in one' gives the skin both.
    """
    mentions = _domain_mentions(clause)
    if not mentions:
        return []
    triggers = []
    for pattern, label in _OUTCOME_TRIGGERS:
        for match in pattern.finditer(clause):
            if not any(start <= match.start() < end for start, end, _, _ in triggers):
                triggers.append((match.start(), match.end(), match, label))
    if not triggers:
        return []

    def distance(mention, trigger) -> int:
        return max(trigger[0] - mention[1], mention[0] - trigger[1], 0)

    def attached(mention, trigger) -> bool:
        # 'CMAS 30/52 ... and the steroid dose reduced': a fall or rise across a drug is the drug's.
        between = clause[min(mention[1], trigger[1]):max(mention[0], trigger[0])]
        return trigger[3] not in ("down", "up") or not _ANY_DRUG_RE.search(between)

    pairs = {(m, t) for m in mentions for t in [min(triggers, key=lambda t: distance(m, t))] if attached(m, t)}
    for trigger in triggers:
        # A verb after its subject ('rash resolved in two and improved in one'); a verb before the
        # domain word belongs to an earlier subject ('lung disease improved and the rash resolved').
        before = [m for m in mentions if m[1] <= trigger[0]]
        if before:
            subject = min(before, key=lambda m: distance(m, trigger))
            if attached(subject, trigger):
                pairs.add((subject, trigger))
    results = []
    for (_, _, domain, tier, polarity), (_, _, match, label) in sorted(pairs, key=lambda p: (p[0][0], p[1][0])):
        if label in ("down", "up"):
            if polarity == 0 or _negated(clause, match):
                continue
            direction = -1 if label == "down" else 1
            results.append((domain, tier, "improved" if direction * polarity > 0 else "worsened"))
            continue
        if label == "resolved" and (tier == 2 or _only_some(clause[match.end():], n_patients)):
            label = "improved"  # normal enzymes alone, or resolution in only some patients
        outcome = _trigger_class(clause, match, label)
        if outcome:
            results.append((domain, tier, outcome))
    return results


_HEADING_RE = Keyed(r"^(\s*(?:[\w\-]+\s+){0,2}[\w\-]+):\s+")
_REASON_RE = Keyed(r"^\s*(?:because|as|since|given that)\b[^,]*,\s*", re.I)


@lru_cache(maxsize=4096)
def _clauses(text: str) -> tuple[str, ...]:
    """A sentence's clauses, as outcome and steroid statements are read (split once for both)."""
    return tuple(_CLAUSE_SPLIT_RE.split(text))


@lru_cache(maxsize=4096)
def _outcome_text(text: str) -> str:
    """A sentence without what cannot be an outcome: a heading's colon ('Skin: improved in 6/7') and a
    leading reason for the treatment ('Because his weakness persisted, tacrolimus was added')."""
    return _REASON_RE.sub("", _HEADING_RE.sub(r"\1 ", text))


@lru_cache(maxsize=4096)
def _is_baseline(text: str) -> bool:
    """A sentence about the disease before or apart from treatment ('relapsed', 'at diagnosis');
    'without relapse' is not one."""
    return any(not re.search(r"\b(?:without|no|free of|nor)\s+(?:\w+\s+)?$", text[:m.start()], re.I)
               for m in _BASELINE_RE.finditer(text))


def outcome_statements(after: Sequence[Sentence], n_patients: int | None = None
                       ) -> list[tuple[str, int, bool, int, str, str]]:
    """(domain, tier, whether a conclusion or the title, sentence index, class, sentence) of every skin
    and muscle outcome stated after tacrolimus (in `after`: `_after_tacrolimus`), in text order (read
    once for both domains)."""
    statements = []
    for sentence in after:
        text = _outcome_text(sentence.text)
        if not _MAY_NAME_DOMAIN(text) or _prior_context(text) or _is_baseline(text):
            continue    # no skin or muscle word in any clause, or not an outcome
        for clause in _clauses(text):
            for mentioned, tier, outcome in dict.fromkeys(_clause_outcomes(clause, n_patients)):
                statements.append((mentioned, tier, sentence.is_conclusion or sentence.in_title, sentence.index,
                                   outcome, sentence.text))
    return statements


def extract_outcome(statements: Sequence[tuple[str, int, bool, int, str, str]], domain: str) -> Finding:
    """Skin or muscle outcome after tacrolimus, as the study-level summary of `outcome_statements`.

    Clinical statements outrank laboratory ones, results outrank conclusions and the title;
    'resolved in some, improved in others' (or resolved in only some: 'normalised in four of
    five') is 'improved'; otherwise the most frequent class, the earliest on a tie.
    """
    statements = [statement[1:] for statement in statements if statement[0] == domain]
    if not statements:
        return Finding()
    best = min((tier, conclusion) for tier, conclusion, *_ in statements)
    chosen = [s for s in statements if (s[0], s[1]) == best]
    classes = Counter(s[3] for s in chosen)
    if set(classes) == {"resolved", "improved"}:
        value = "improved"
    else:
        ranked = classes.most_common()
        # Better and worse both stated, or two classes stated equally often: for a reviewer.
        if ("worsened" in classes and classes.keys() & {"improved", "resolved"}) or (
                len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
            return Finding(UNCLEAR, list(dict.fromkeys(statement[4] for statement in chosen)))
        value = ranked[0][0]
    finding = Finding(value)
    for statement in chosen:
        if statement[3] == value or (value == "improved" and statement[3] == "resolved"):
            finding.add_evidence(statement[4])
    return finding


def _after_tacrolimus(sentences: Sequence[Sentence]) -> list[Sentence]:
    """Sentences that can report what followed tacrolimus: a title naming it, and the abstract
    from its first mention of tacrolimus on (background, methods and literature sentences left out)."""
    kept = [s for s in sentences if s.in_title and _tacrolimus_spans(s.text)]
    started = False
    for sentence in sentences:
        if sentence.in_title:
            continue
        started = started or bool(_tacrolimus_spans(sentence.text))
        if started and not (sentence.is_background or sentence.is_methods or sentence.about_literature):
            kept.append(sentence)
    return kept


@lru_cache(maxsize=4096)
def _prior_context(text: str) -> bool:
    """A sentence about treatment before tacrolimus ('refractory to steroids and MTX')."""
    for cue in _PRIOR_CUE_RE.finditer(text):
        following = _ANY_DRUG_RE.search(text, cue.end())
        if following and not _TACROLIMUS_RE.fullmatch(following.group(0)):
            return True
    return False


_STEROID_RE = Keyed(r"\b(?:corticosteroids?|glucocorticoids?|steroids?|prednisolone|prednisone|"
                         r"methylprednisolone|psl|gcs?|cortico\w*)\b", re.I)
_MAY_NAME_STEROID = key_test([_STEROID_RE])
_SPARING_YES_RE = Keyed(r"\btaper\w*|\breduc\w*|\bdecreas\w*|\bdiscontinu\w*|\bstop\w*|\bwithdr[ae]w\w*|"
                             r"\bwean\w*|\blower\w*|\bspar\w*|\boff\b|\bceased\b|\bsuspend\w*|\bdropped\b|\bfree\b|"
                             r"\bhalv\w*",
                             re.I)
_SPARING_NO_RE = Keyed(r"\bincreas\w*|\bescalat\w*|\bdependen\w*\s+(?:remained|persisted)", re.I)


def extract_steroid_sparing(after: Sequence[Sentence]) -> Finding:
    """Whether steroids could be tapered or stopped after tacrolimus (`after`: `_after_tacrolimus`): yes,
    no (negated or increased), NR."""
    answers = []
    for sentence in after:
        text = _outcome_text(sentence.text)
        if not _MAY_NAME_STEROID(text) or _is_baseline(text) or _prior_context(text):
            continue    # no steroid named in any clause, or not after tacrolimus
        for clause in _clauses(text):
            steroid = _STEROID_RE.search(clause)
            if not steroid:
                continue
            for match in _SPARING_YES_RE.finditer(clause):
                negated = _negated(clause, match)
                answers.append(("no" if negated else "yes", sentence.index, text))
            for match in _SPARING_NO_RE.finditer(clause):
                if not _negated(clause, match):
                    answers.append(("no", sentence.index, text))
    if not answers:
        return Finding()
    counts = Counter(answer for answer, _, _ in answers)
    if counts["yes"] == counts["no"]:
        return Finding(UNCLEAR, list(dict.fromkeys(text for _, _, text in answers)))
    value = "yes" if counts["yes"] > counts["no"] else "no"
    return Finding(value, list(dict.fromkeys(text for answer, _, text in answers if answer == value)))


_AE_CUE = r"(?:adverse (?:drug )?(?:effects?|events?|reactions?)|side[- ]effects?|toxicit(?:y|ies)|complications?)"
_AE_NONE_RE = Keyed(
    rf"\b(?:no|without(?: any)?|free of|nor|neither|none of the patients (?:had|developed|experienced|showed))\s+"
    rf"(?:[\w\-]+\s+){{0,3}}?{_AE_CUE}"
    rf"|{_AE_CUE}\s+(?:\w+\s+){{0,3}}?(?:were|was|have been|had been)\s+(?:not|never)\s+(?:\w+\s+)?"
    rf"(?:observed|seen|noted|detected|found|encountered)"
    rf"|\bnone of the patients (?:had|developed|experienced)\s+(?:any\s+)?{_AE_CUE}", re.I)
_AE_CUE_RE = Keyed(_AE_CUE, re.I)
_AE_NOT_STATED_RE = Keyed(r"\bnot (?:reported|described|mentioned|available|assessed)\b", re.I)
_AE_QUALIFIED_RE = Keyed(r"\b(?:serious|major|severe|significant|grave|life-threatening|unexpected|new|"
                              r"relevant|important)\b", re.I)
_AE_TERMS = {
    "hypertension": r"hypertension|high blood pressure",
    "nephrotoxicity": r"nephrotoxicity|renal (?:dysfunction|impairment|toxicity|insufficiency|failure)|"
                      r"(?:elevated|increased|rising) (?:serum )?creatinine|acute kidney injury",
    "tremor": r"tremors?",
    "headache": r"headaches?",
    "hyperglycaemia": r"hyperglyc(?:a)?emia|diabetes(?: mellitus)?|glucose intolerance|impaired glucose",
    "hyperkalaemia": r"hyperkal(?:a)?emia",
    "hypomagnesaemia": r"hypomagnes(?:a)?emia",
    "infection": r"infections?|(?<!interstitial )pneumonia|sepsis|cytomegalovirus|cmv",
    "gastrointestinal symptoms": r"diarrh(?:o)?ea|nausea|vomiting|gastrointestinal (?:symptoms|upset|intolerance)",
    "neurotoxicity": r"neurotoxicity|posterior reversible encephalopathy|pres",
    "seizures": r"seizures?|convulsions?",
    "hepatotoxicity": r"hepatotoxicity|(?:abnormal|deranged) liver (?:function|enzymes|tests)|liver dysfunction|"
                      r"(?:elevated|raised|increased) (?:liver enzymes|transaminases|aminotransferases)",
    "hypertrichosis": r"hypertrichosis",
    "herpes zoster": r"herpes zoster|zoster|shingles",
    "hirsutism": r"hirsutism", "alopecia": r"alopecia", "paraesthesia": r"pa?resthesias?",
    "lymphoproliferative disorder": r"lymphoproliferative disorders?|ptld",
    "renal damage": r"renal damage|kidney damage",
    "cardiomyopathy": r"cardiomyopathy", "anaemia": r"an(?:a)?emia",
}
_AE_TERMS_RE = {name: Keyed(rf"\b(?:{pattern})\b", re.I) for name, pattern in _AE_TERMS.items()}
_AE_GENERIC_RE = Keyed(r"\b(?:may|can|could|might|known to|most common|such as|have been reported|"
                            r"are reported|include[sd]? [a-z]+ such)\b", re.I)
_AE_EVENT_RE = Keyed(rf"{_AE_CUE}|\bdevelop\w*|\bexperienc\w*|\boccurr\w*|\bdiscontinu\w*|\bwithdraw\w*|"
                          r"\bobserved\b|\bnoted\b|\bencountered\b|\bseen\b|\b(?:stopped|ceased)\b|"
                          r"\b(?:minor|mild|moderate|transient|other) (?:events|effects)\b", re.I)
_MAY_STATE_EVENTS = key_test([_AE_NONE_RE, _AE_CUE_RE, _AE_EVENT_RE])

_OTHER_DRUG_CAUSE_RE = Keyed(rf"\b(?:with|on|from|after|due to|caused by|under)\s+(?:\w+\s+)?{_DRUG_RE.pattern}",
                                  re.I)


def extract_adverse_events(after: Sequence[Sentence]) -> Finding:
    """Adverse events under tacrolimus (`after`: `_after_tacrolimus`): 'none' when the text says none
    occurred, else the events named."""
    events: list[str] = []
    none_evidence: list[str] = []
    unsettled = Finding(UNCLEAR)
    finding = Finding()
    for sentence in after:
        text = sentence.text
        if not _MAY_STATE_EVENTS(text) or _AE_GENERIC_RE.search(text):
            continue    # no word the statements below need, or events in general
        for none in _AE_NONE_RE.finditer(text):
            # 'no serious adverse events' leaves the others open.
            (unsettled.evidence if _AE_QUALIFIED_RE.search(none.group(0)) else none_evidence).append(text)
        spoken = [m for m in _AE_CUE_RE.finditer(text)
                  # 'monitoring of possible adverse events' and 'side effects may occur' report none.
                  if not _modified(text, m.start(), m.end(), "uncertain")
                  and not re.search(r"\bmonitor\w*\s+(?:\w+\s+){0,2}$", text[:m.start()], re.I)]
        if (spoken and not _AE_NONE_RE.search(text)
                and not _AE_NOT_STATED_RE.search(text)):
            unsettled.add_evidence(text)
        named = []
        for clause in text.split(";"):
            # 'infections were more frequent with cyclophosphamide': another drug's events.
            if not _AE_EVENT_RE.search(clause) or (_OTHER_DRUG_CAUSE_RE.search(clause)
                                                   and not _TACROLIMUS_RE.search(clause)):
                continue
            for name, pattern in _AE_TERMS_RE.items():
                for match in pattern.finditer(clause):
                    if not _negated(clause, match):
                        named.append(name)
                        break
        if named:
            events.extend(n for n in named if n not in events)
            finding.add_evidence(text)
    if events:
        finding.value = "; ".join(sorted(events))
        return finding
    if unsettled.evidence:
        # Adverse events spoken of (or only serious ones denied) without one the rules can name.
        return unsettled
    if none_evidence:
        return Finding("none", none_evidence)
    return finding


def extract_study(record: Mapping[str, str]) -> Finding:
    """'<first author surname> <year>' from the record; NR without an author (no guess from elsewhere)."""
    author = " ".join((record.get("first_author") or "").split())
    year = (record.get("year") or "").strip()
    if author and year:
        return Finding(f"{author} {year}", [f"record: first author {author}, year {year}"])
    return Finding()


def _count(finding: Finding) -> int | None:
    return int(finding.value) if finding.value.isdigit() else None


class Source:
    """What a field's extractor reads: the record, its sentences, and the other fields' findings
    (each extracted once, on first use: the design reads the number of patients)."""

    def __init__(self, record: Mapping[str, str]):
        self.record = record
        # What is planned or proposed ('120 children will be randomised') reports no patient's values.
        self.sentences = [sentence for sentence in record_sentences(record.get("title", ""), record.get("abstract", ""))
                          if sentence.in_title or "hypothetical" not in _MODIFIERS.cues_in(sentence.text)]
        self._found: dict[str, Finding] = {}
        self._shared: dict[Callable, object] = {}

    def finding(self, field_name: str) -> Finding:
        if field_name not in self._found:
            self._found[field_name] = EXTRACTORS[field_name](self)
        return self._found[field_name]

    def count(self) -> int | None:
        """The number of patients, when it is a number."""
        return _count(self.finding("n_patients"))

    def once(self, read: Callable[["Source"], object]):
        """What `read` finds for this record, read once for the fields that share it."""
        if read not in self._shared:
            self._shared[read] = read(self)
        return self._shared[read]

    def pair(self, extract: Callable[["Source"], tuple[Finding, Finding]], index: int) -> Finding:
        """One finding of an extractor that reads two fields at once (youngest and oldest age)."""
        return self.once(extract)[index]


def _ages(source: Source) -> tuple[Finding, Finding]:
    return extract_ages(source.sentences)


def _sexes(source: Source) -> tuple[Finding, Finding]:
    return extract_sex(source.sentences, source.finding("n_patients"))


def _after(source: Source) -> list[Sentence]:
    return _after_tacrolimus(source.sentences)


def _outcomes(source: Source) -> list[tuple[str, int, bool, int, str, str]]:
    return outcome_statements(source.once(_after), source.count())


EXTRACTORS: dict[str, Callable[[Source], Finding]] = {
    "study": lambda source: extract_study(source.record),
    "design": lambda source: extract_design(source.sentences, source.record.get("publication_types", ""),
                                            source.finding("n_patients")),
    "n_patients": lambda source: extract_n_patients(source.sentences),
    "age_min": lambda source: source.pair(_ages, 0),
    "age_max": lambda source: source.pair(_ages, 1),
    "sex_m": lambda source: source.pair(_sexes, 0),
    "sex_f": lambda source: source.pair(_sexes, 1),
    "prior_treatments": lambda source: extract_prior_treatments(source.sentences),
    "tacrolimus_route": lambda source: extract_route(source.sentences),
    "tacrolimus_dose": lambda source: extract_dose(source.sentences),
    "followup_months": lambda source: extract_followup(source.sentences),
    "skin_outcome": lambda source: extract_outcome(source.once(_outcomes), "skin"),
    "muscle_outcome": lambda source: extract_outcome(source.once(_outcomes), "muscle"),
    "steroid_sparing": lambda source: extract_steroid_sparing(source.once(_after)),
    "adverse_events": lambda source: extract_adverse_events(source.once(_after)),
}
"""The extractor of each Table 1 field (the field registry's names): a new field is one entry here."""


def extract_record(record: Mapping[str, str]) -> dict[str, Finding]:
    """All Table 1 fields of one record from its title and abstract (machine values)."""
    source = Source(record)
    return {field_name: source.finding(field_name) for field_name in FIELDS}


# --------------------------------------------------------------------------- reviewer values

def treatment_hint(value: str) -> str | None:
    """For prior_treatments: the canonical code of a drug written by name ('methotrexate' -> MTX)."""
    for item in (part.strip() for part in value.split(";")):
        code = canonical_drug(item) if item and item not in DRUG_CODES else None
        if code in DRUG_CODES:
            return f"the canonical code {code} for '{item}' (codes: {', '.join(DRUG_CODES)})"
    return None


def normalise_value(field: str, value: str) -> str:
    """A valid reviewer value in the form machine values take (treatments sorted, ';' without spaces)."""
    if field == "prior_treatments" and value not in (NR, "none"):
        return ";".join(sorted({part.strip() for part in value.split(";")}))
    return value


def read_reviewer_values(path, records: Iterable[Mapping[str, str]], as_of: str | None = None,
                         seen: Collection[str] = ()) -> list[dict[str, str]]:
    """Read and check the reviewers' values: a folder of per-reviewer files
    (config/extraction/values/<reviewer>.tsv; or one file; '#' lines are comments).

    Every row must name a known record (PubMed digits or a record_id), a Table 1 field, a
    value allowed for that field, the reviewer the file is named after and a source, plausible alone and with the
    reviewer's other values for the record (fields.RULES). A later
    row for the same record and field replaces the earlier one (reviewers.latest_rows). Any
    problem raises InputError naming the file, line and field. Values this run cannot apply
    (`as_of`, records `seen` before but not retrieved now) are left out: see
    reviewers.applicable_rows.
    """
    lookup = record_lookup(records)
    problems = Problems()
    checked = []
    for file in reviewer_files(path):
        rows = []
        with problems.check():
            rows = applicable_rows(file, read_reviewer_file(file, REVIEWER_COLUMNS), lookup, as_of, seen=seen)
        mine = []
        for row in rows:
            with problems.check():
                mine.append(check_reviewer_value(file, row, lookup))
        mine = latest_rows(mine, key=lambda row: (row["record_id"], row["field"]))
        for error in implausible_together(file, mine):
            with problems.check():
                raise error
        checked += mine
    problems.raise_any()
    return checked


def implausible_together(path, rows: Sequence[Mapping[str, str]]) -> list[InputError]:
    """Rules over several fields (age_min <= age_max, boys + girls <= patients) broken by the values
    one reviewer gave for one record: an error on the last line involved, naming the others."""
    given: dict[tuple[str, str], dict[str, Mapping[str, str]]] = {}
    for row in rows:
        given.setdefault((row["record_id"], row["reviewer"]), {})[row["field"]] = row
    errors = []
    for (record_id, reviewer), by_field in given.items():
        values = {name: row["value"] for name, row in by_field.items()}
        for rule in broken_rules(values):
            involved = sorted((by_field[name].get("_line") or 0, name) for name in rule.fields if name in by_field)
            if len(rule.fields) > 1 and len(involved) > 1:
                shown = ", ".join(f"{name} {values[name]}" + (f" (line {line})" if line else "")
                                  for line, name in involved)
                errors.append(InputError(path, involved[-1][0] or None, "value",
                                         f"implausible values for {record_id} from {reviewer}: {shown}; "
                                         f"expected: {rule.sentence}"))
    return errors


def check_reviewer_value(path, row: Mapping[str, str], lookup: RecordLookup) -> dict[str, str]:
    """One reviewer value checked (rules of `read_reviewer_values`; every problem of the row
    reported together), with its record_id, normalised."""
    problems = Problems()
    record_id = None
    with problems.check():
        record_id = check_known(path, row, "pmid", lookup, "PMID or record id (not in the records table)")
    with problems.check():
        check_vocabulary(path, row, "field", FIELDS)
    with problems.check():
        check_file_reviewer(path, row)
    with problems.check():
        check_vocabulary(path, row, "source", SOURCES)
    if row["field"] in FIELDS:
        problem = validate_value(row["field"], row["value"])
        if row["field"] == "prior_treatments" and row["value"] not in (NR, "none"):
            problem = treatment_hint(row["value"]) or problem
        with problems.check():
            if problem:
                raise InputError(path, row.get("_line"), "value",
                                 f"{row['value']!r} is not allowed for {row['field']}; expected {problem}")
            for rule in broken_rules({row["field"]: row["value"]}, [row["field"]]):
                raise InputError(path, row.get("_line"), "value",
                                 f"{row['value']!r} is implausible for {row['field']}: {rule.sentence}")
    problems.raise_any()
    return {**row, "record_id": record_id, "value": normalise_value(row["field"], row["value"])}


# --------------------------------------------------------------------------- the stage

@dataclass
class ExtractionRun:
    """The extraction table (`rows`, when held) and what the log should tell the review team."""

    rows: list[dict[str, str]] = dataclass_field(default_factory=list)
    overridden: int = 0
    unclear: int = 0
    conflicts: list[str] = dataclass_field(default_factory=list)
    not_applied: list[str] = dataclass_field(default_factory=list)
    values: int = 0
    statuses: Counter = dataclass_field(default_factory=Counter)
    unverified: int = 0
    not_reported: int = 0
    left_unclear: int = 0

    def tally(self, rows: Sequence[Mapping[str, str]]) -> None:
        """Count one record's rows for the log."""
        self.values += len(rows)
        self.statuses[rows[0]["status"]] += 1
        machine = [row["value"] for row in rows if not row["reviewer"]]
        self.unverified += len(machine)
        self.not_reported += machine.count(NR)
        self.left_unclear += machine.count(UNCLEAR)


def extraction_status(screening: Iterable[Mapping[str, str]], known: Collection[str], screening_path="screening"
                      ) -> tuple[dict[str, str], dict[str, str]]:
    """(the status of each record to extract: `included` (decision include) or `proposed`
    (needs_review, the rules leaning to include); every screened record's decision). A record to
    extract that is not `known` is an InputError naming the screening file's line."""
    status, decisions = {}, {}
    for row in screening:
        decisions[row["record_id"]] = row.get("decision", "")
        if row.get("decision") == "include":
            status[row["record_id"]] = "included"
        elif row.get("decision") == "needs_review" and row.get("leaning") == "include":
            status[row["record_id"]] = "proposed"
        else:
            continue
        if row["record_id"] not in known:
            raise InputError(screening_path, row.get("_line"), "record_id",
                             f"{status[row['record_id']]} record '{row['record_id']}' is not in the records table")
    return status, decisions


def extracted_records(records: Sequence[Mapping[str, str]], screening: Iterable[Mapping[str, str]],
                      screening_path="screening") -> list[tuple[Mapping[str, str], str]]:
    """(record, status) of the records to extract (`extraction_status`), in records order."""
    status, _ = extraction_status(screening, {record["record_id"] for record in records}, screening_path)
    return [(record, status[record["record_id"]]) for record in records if record["record_id"] in status]


def build_extraction(records: Sequence[Mapping[str, str]], screening: Sequence[Mapping[str, str]],
                     reviewer_values: Sequence[Mapping[str, str]] = (),
                     fulltext_values: Sequence[Mapping[str, str]] = (), jobs: int = 1) -> ExtractionRun:
    """The rows of `extraction_rows` for the records to extract, held in the run."""
    status, decisions = extraction_status(screening, {record["record_id"] for record in records})
    run = ExtractionRun()
    to_extract = ((record, status[record["record_id"]]) for record in records if record["record_id"] in status)
    run.rows = list(extraction_rows(to_extract, status, decisions, run, reviewer_values, fulltext_values, jobs))
    return run


BATCH_SIZE = 4000
"""Records extracted together (by `jobs` processes) while the rows stream out: memory stays flat."""


def extraction_rows(to_extract: Iterable[tuple[Mapping[str, str], str]], status: Mapping[str, str],
                    decisions: Mapping[str, str], run: ExtractionRun,
                    reviewer_values: Sequence[Mapping[str, str]] = (),
                    fulltext_values: Sequence[Mapping[str, str]] = (), jobs: int = 1) -> Iterator[dict[str, str]]:
    """Extraction rows for the (record, status) pairs in order: machine values, replaced by reviewer
    values, one record at a time (`run` counts them and gathers conflicts and values not applied).

    Machine values come from the full text where the full-text stage read one
    (`fulltext_values`: rows record_id, field, value, evidence; source `full text`), else from
    the abstract (also when the paper gives NR but the abstract a value).

    Reviewers who agree are listed together ('A; B'); reviewers who disagree leave the machine
    value in place (unverified) and the conflict is reported. Records are read BATCH_SIZE at a time
    by `jobs` processes in chunks, merged in order: the same rows whatever `jobs`.
    """
    by_record: dict[tuple[str, str], list[Mapping[str, str]]] = {}
    for value in reviewer_values:
        by_record.setdefault((value["record_id"], value["field"]), []).append(value)
    waiting = Counter(record_id for record_id, _ in by_record if record_id not in status)
    for record_id, count in sorted(waiting.items()):
        decision = decisions.get(record_id) or "not screened"
        run.not_applied.append(f"{record_id}: {count} reviewer value(s) wait until the record is included "
                               f"(screening decision: {decision})")
    from_paper = {(row["record_id"], row["field"]): row for row in fulltext_values}
    pairs = iter(to_extract)
    while batch := list(islice(pairs, BATCH_SIZE)):
        for (record, record_status), findings in zip(batch, map_ordered(extract_record, [r for r, _ in batch], jobs)):
            rows = [_row(record, record_status, field_name, findings[field_name], from_paper,
                         by_record.get((record["record_id"], field_name), []), run) for field_name in FIELDS]
            run.unclear += mark_implausible(rows)
            run.tally(rows)
            yield from rows


def _row(record: Mapping[str, str], status: str, field_name: str, finding: Finding,
         from_paper: Mapping[tuple[str, str], Mapping[str, str]], values: Sequence[Mapping[str, str]],
         run: ExtractionRun) -> dict[str, str]:
    """One field's row: the machine value (the paper's, else the abstract's), or the reviewers'."""
    row = {"record_id": record["record_id"], "pmid": record.get("pmid", ""), "status": status,
           "field": field_name,
           "value": finding.value, "evidence": " | ".join(finding.evidence), "source": "abstract",
           "reviewer": ""}
    paper = from_paper.get((record["record_id"], field_name))
    if paper and (paper["value"] != NR or finding.value == NR):  # NR in the paper: the abstract's stands
        row.update(value=paper["value"], evidence=paper["evidence"], source="full text")
    distinct = sorted({v["value"] for v in values})
    if len(distinct) == 1:
        reviewers = sorted(values, key=lambda v: v["reviewer"])
        sources = [v["source"] for v in reviewers]
        row.update(value=distinct[0], reviewer="; ".join(v["reviewer"] for v in reviewers),
                   source=sources[0] if len(set(sources)) == 1 else _strongest_source(sources),
                   evidence=" | ".join(dict.fromkeys(v["note"] for v in reviewers if v["note"])))
        run.overridden += 1
    elif len(distinct) > 1:
        given = "; ".join(f"{v['reviewer']}: {v['value']}" for v in sorted(values, key=lambda v: v["reviewer"]))
        run.conflicts.append(f"{record['record_id']} {field_name}: {given}")
        row["evidence"] = " | ".join(filter(None, [f"reviewer conflict ({given}); machine value kept "
                                                   "until the reviewers agree", row["evidence"]]))
    return row


def mark_implausible(rows: Sequence[dict[str, str]]) -> int:
    """One record's rows: machine values that break a plausibility rule (fields.RULES) become
    `unclear`, never published as values; the evidence keeps the value and names the rule.
    Returns how many values were marked."""
    marked = 0
    for rule in RULES:
        if not rule.broken_by({row["field"]: row["value"] for row in rows}):
            continue
        for row in rows:
            if row["field"] in rule.fields and not row["reviewer"] and row["value"] not in (NR, UNCLEAR):
                row["evidence"] = " | ".join(filter(None, [
                    row["evidence"], f"machine value {row['value']!r} not published: expected {rule.sentence}"]))
                row["value"] = UNCLEAR
                marked += 1
    return marked


def _strongest_source(sources: Sequence[str]) -> str:
    """Agreeing reviewers who read different sources: the fullest source they read."""
    for source in ("full text", "reviewer", "abstract"):
        if source in sources:
            return source
    return sources[0]


def configure_cli(parser) -> None:
    parser.add_argument("--records", required=True, help="unique records (results/unique_records.tsv)")
    parser.add_argument("--screening", required=True, help="screening decisions (results/screening.tsv)")
    parser.add_argument("--reviewer-values", required=True,
                        help="reviewer values: the folder of per-reviewer files (config/extraction/values/); read, never written")
    parser.add_argument("--fulltext-values", help="values read from full texts (results/fulltext/values.tsv)")
    parser.add_argument("--out", required=True, help="extraction table to write (results/extraction.tsv)")
    parser.add_argument("--as-of", type=iso_date, help="YYYY-MM-DD: rebuild as of that day (skip values about records not yet retrieved)")
    parser.add_argument("--history", help="the review's history (data/history): values about records it has seen "
                                          "but this run does not hold are skipped, not errors")
    parser.add_argument("--jobs", type=int, default=1, help="processes to extract with (same output whatever the number)")


def run_cli(args) -> int:
    columns = ["record_id", "pmid", "title", "abstract", "year", "first_author", "publication_types"]
    # The records are read twice, never held: their ids first (checking the whole table), then one batch at a time.
    ids = [(r["record_id"], r["pmid"]) for r in iter_tsv(args.records, required=columns, only=True)]
    screening = [{"record_id": row["record_id"], "decision": row["decision"], "leaning": row.get("leaning"),
                  "_line": row["_line"]} for row in iter_tsv(args.screening, required=["record_id", "decision"])]
    values = read_reviewer_values(args.reviewer_values, ({"record_id": record_id, "pmid": pmid} for record_id, pmid in ids),
                                  args.as_of, recorded_record_ids(args.history))
    status, decisions = extraction_status(screening, {record_id for record_id, _ in ids}, args.screening)
    del ids, screening
    paper_values = read_tsv(args.fulltext_values, required=["record_id", "field", "value", "evidence"]) \
        if args.fulltext_values else []
    to_extract = ((record, status[record["record_id"]])
                  for record in iter_tsv(args.records, required=columns, only=True) if record["record_id"] in status)
    run = ExtractionRun()
    write_tsv(args.out, extraction_rows(to_extract, status, decisions, run, values, paper_values, args.jobs), COLUMNS)
    print(f"extraction: {run.statuses['included']} included and {run.statuses['proposed']} proposed record(s), "
          f"{run.values} values ({run.overridden} from reviewers, {run.unverified} unverified machine values, "
          f"{run.not_reported} of them NR, {run.left_unclear} unclear for a reviewer: {run.unclear} implausible ones "
          f"made unclear) -> {args.out}")
    for conflict in run.conflicts:
        print(f"CONFLICT {conflict}")
    for note in run.not_applied:
        print(f"not applied: {note}")
    return 0


# --------------------------------------------------------------------------- Table 1 from full texts
# The papers the full-text stage found (results/fulltext/availability.tsv) are read with the same
# extractors, case by case (lsr.papers.split_cases: case headings, a sentence introducing the next
# patient, rows of a patients table), and the cases aggregated into the study's row, each value's
# evidence stating the rule used (`aggregate_study`). A field the paper does not settle is `unclear`;
# one it never speaks of is NR.

_LABEL_CHARS_RE = re.compile(r"[^A-Z0-9 ,&/()\-]+")


def _label(section: str) -> str:
    """A section path as the upper-case `LABEL:` the text engine reads; the innermost title wins."""
    name = section.split(" > ")[-1] if section else "TEXT"
    label = " ".join(_LABEL_CHARS_RE.sub(" ", name.upper()).split())[:60]
    return label if len(label) >= 3 and label[0].isalpha() else f"SECTION {label}".strip()


def _labelled(paragraphs: Iterable[tuple[str, str]]) -> str:
    """(section, text) pairs as abstract text with `LABEL: text` sections."""
    parts = []
    for section, text in paragraphs:
        text = text.strip()
        if text and not re.search(r"[.!?]['\")\]]?$", text):
            text += "."
        parts.append(f"{_label(section)}: {text}")
    return " ".join(parts)


def _locate(sentence: str, blocks: Sequence[tuple[str, str]]) -> str:
    """'<section>: <sentence>' for an evidence sentence, naming the section it stands in."""
    probe = " ".join(sentence.split())[:80]
    for section, text in blocks:
        if probe and probe in " ".join(text.split()):
            return f"{section or 'text'}: {sentence}"
    return sentence


_CITATION_RE = re.compile(r"\s?\[\d+(?:\s*[–\-,]\s*\d+)*\](?:,?\s?\[\d+(?:\s*[–\-,]\s*\d+)*\])*")
_CITATION_AFTER_END_RE = re.compile(r"([.!?])((?:\[\d+(?:\s*[–\-,]\s*\d+)*\],?)+)")


def _without_citations(text: str) -> str:
    """Running text without numbered citation marks ('... disorders.[9] No ...'), which hide sentence ends."""
    return _CITATION_RE.sub("", text)


def _own_statements(text: str) -> str:
    """A paragraph without its sentences that cite references (the bracketed numbers lsr.papers writes
    for every citation it recognises): those speak of other studies."""
    text = _CITATION_AFTER_END_RE.sub(r"\2\1", text)  # 'disorders.[9] No' -> 'disorders[9]. No'
    return " ".join(sentence for sentence in split_sentences(text) if not _CITATION_RE.search(sentence))


@dataclass(frozen=True)
class Value:
    """A value and the sentences it was read from (the shape of the text engine's findings)."""

    value: str
    evidence: list[str]


@dataclass
class CaseFindings:
    """A case and its Table 1 fields ({field: object with .value and .evidence})."""

    case: Case
    findings: Mapping[str, object]


def _case_parts(case: Case) -> tuple[str, str]:
    """A case's history (before its first tacrolimus mention) and its course (from that mention on)."""
    text = _without_citations(case.text)
    start = _TACROLIMUS_RE.search(text)
    if not start:
        return text, ""
    return text[:start.start()], text[start.start():]


def _history_treatments(history: str) -> tuple[set[str], list[str]]:
    """Drugs a case's history names before tacrolimus is started, and the sentences naming them."""
    codes, evidence = set(), []
    for sentence in split_sentences(history):
        found = {code for _, _, code in drug_mentions(sentence)} - {"stem cell transplantation"}
        if found:
            codes |= found
            evidence.append(sentence)
    return codes, evidence


def _patient_sentences(text: str) -> str:
    """The sentences of a case that give the patient's age: the one introducing the patient and those
    about tacrolimus (age at its start); other ages in a case (a parent's, a sibling's) are not hers."""
    sentences = split_sentences(text)
    if not any(introduces_patient(s) for s in sentences):
        return ""  # no sentence introduces the patient (a table row): the whole case is read
    return " ".join(s for s in sentences if introduces_patient(s) or _TACROLIMUS_RE.search(s))


def read_case(case: Case) -> CaseFindings:
    """The text engine on one case: who the patient is from the whole case (the age from the
    sentence introducing the patient and those about tacrolimus), what followed tacrolimus from
    the course only, and prior treatments from the history (every drug the narrative names
    before tacrolimus, with what the engine reads as prior)."""
    history, course = _case_parts(case)
    whole = extract_record({"title": "", "abstract": _labelled([(case.label, history + course)]),
                            "publication_types": "Case Reports", "first_author": "", "year": ""})
    about_patient = _patient_sentences(history + course)
    if about_patient:
        ages = extract_record({"title": "", "abstract": _labelled([(case.label, about_patient)]),
                               "publication_types": "Case Reports", "first_author": "", "year": ""})
    after = extract_record({"title": "", "abstract": _labelled([(case.label, course)]) if course else "",
                            "publication_types": "Case Reports", "first_author": "", "year": ""})
    findings = dict(whole)
    for name in ("followup_months", "skin_outcome", "muscle_outcome", "steroid_sparing", "adverse_events"):
        findings[name] = after[name]
    if about_patient:
        findings["age_min"], findings["age_max"] = ages["age_min"], ages["age_max"]
    codes, evidence = _history_treatments(history)
    engine = whole["prior_treatments"]
    if engine.value not in (NR, "none", UNCLEAR):
        codes |= set(engine.value.split(";"))
        evidence += [e for e in engine.evidence if e not in evidence]
    if codes:
        findings["prior_treatments"] = Value(";".join(sorted(codes)), evidence)
    elif course and engine.value == NR and history.strip():
        findings["prior_treatments"] = Value("none", ["the case names no drug before tacrolimus"])
    return CaseFindings(case, findings)


def paper_findings(record: Mapping[str, str], document: Document) -> dict[str, tuple[str, list[str]]]:
    """Table 1 fields of one study from its paper: {field: (value, evidence)}.

    Each case is read on its own (`read_case`); the paper's own sections outside the cases
    (abstract, results, discussion; back matter is not in the document) give the study-level
    statements, together with each case's course for outcomes; `aggregate_study` combines them.
    """
    cases = split_cases(document)
    case_sections = {case.section for case in cases}
    paper = [(b.section, _own_statements(b.text)) for b in document.own_blocks()
             if b.kind != "heading" and b.section not in case_sections]
    courses = [(case.section, _case_parts(case)[1]) for case in cases]
    base = {**record, "title": record.get("title") or document.title}
    study = dict(extract_record({**base, "abstract": _labelled(paper + courses)}))
    if cases:
        # Follow-up is the paper's statement outside the cases (each case's is aggregated apart).
        study["followup_months"] = extract_record({**base, "abstract": _labelled(paper)})["followup_months"]
    blocks = [(b.section, _without_citations(b.text)) for b in document.own_blocks() if b.kind != "heading"]
    return aggregate_study(study, [read_case(case) for case in cases], blocks)


def _value(finding) -> str:
    return getattr(finding, "value", NR) or NR


def _evidence(finding, blocks, prefix: str = "") -> list[str]:
    return [prefix + _locate(sentence, blocks) for sentence in getattr(finding, "evidence", [])]


def _case_evidence(cases: Sequence[CaseFindings], name: str) -> list[str]:
    items = []
    for c in cases:
        value = _value(c.findings[name])
        sentences = getattr(c.findings[name], "evidence", [])
        if value != NR:
            items.append(f"{c.case.label} ({c.case.section}): {value}: " + " / ".join(sentences))
        else:
            items.append(f"{c.case.label} ({c.case.section}): not stated")
    return items


_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$")
_RANGE_RE = re.compile(r"^\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?$")


def _number(text: str) -> float:
    return float(text)


def _range_ends(value: str) -> tuple[float, float]:
    low, _, high = value.partition("-")
    return float(low), float(high or low)


def _format(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def aggregate_study(study: Mapping[str, object], cases: Sequence[CaseFindings],
                    blocks: Sequence[tuple[str, str]]) -> dict[str, tuple[str, list[str]]]:
    """The study's row from its cases and its study-level statements; every value's evidence
    starts with the rule that made it. `unclear` where cases and statements do not settle it."""
    out: dict[str, tuple[str, list[str]]] = {}
    k = len(cases)

    def study_level(name: str, rule: str = "study-level statement of the paper") -> tuple[str, list[str]]:
        finding = study[name]
        value = _value(finding)
        return value, ([f"rule: {rule}"] + _evidence(finding, blocks)) if value != NR else []

    def from_cases(name: str) -> list[str]:
        return [_value(c.findings[name]) for c in cases]

    out["study"] = (_value(study["study"]), list(getattr(study["study"], "evidence", [])))

    # patients: the cases, checked against the paper's own count
    stated = _value(study["n_patients"])
    if k:
        if stated not in (NR, str(k)):
            out["n_patients"] = (UNCLEAR, [f"rule: the paper describes {k} case(s) one by one but states {stated} "
                                           "patients", *_evidence(study["n_patients"], blocks)])
        else:
            agree = "; the paper's own count agrees" if stated == str(k) else ""
            out["n_patients"] = (str(k), [f"rule: {k} case(s) described one by one{agree}: "
                                          + ", ".join(c.case.label for c in cases),
                                          *_evidence(study["n_patients"], blocks)])
    else:
        out["n_patients"] = study_level("n_patients")

    design, design_evidence = study_level("design")
    if k == 1 and design in (NR, "case report", "case series"):
        design, design_evidence = "case report", ["rule: one patient described (case report)"]
    elif k >= 2 and design in (NR, "case report", "case series") and out["n_patients"][0] == str(k):
        design, design_evidence = "case series", [f"rule: {k} patients described one by one (case series)"]
    out["design"] = (design, design_evidence)

    # ages: youngest and oldest of the cases; every case must give one
    if k:
        ages = [(_value(c.findings["age_min"]), _value(c.findings["age_max"])) for c in cases]
        if all(_NUMBER_RE.match(low) and low == high for low, high in ages):
            numbers = [_number(low) for low, _ in ages]
            evidence = ["rule: youngest and oldest of the cases' ages (at tacrolimus start where the case "
                        "gives it, else as reported, at diagnosis)", *_case_evidence(cases, "age_min")]
            out["age_min"] = (_format(min(numbers)), evidence)
            out["age_max"] = (_format(max(numbers)), evidence)
        else:
            missing = [c.case.label for c, (low, high) in zip(cases, ages) if not _NUMBER_RE.match(low) or low != high]
            evidence = [f"rule: every case must give one age; not settled for {', '.join(missing)}",
                        *_case_evidence(cases, "age_min")]
            out["age_min"] = out["age_max"] = (UNCLEAR, evidence)
    else:
        out["age_min"], out["age_max"] = study_level("age_min"), study_level("age_max")

    # boys and girls: each case one sex
    if k:
        sexes = []
        for c in cases:
            m, f = _value(c.findings["sex_m"]), _value(c.findings["sex_f"])
            sexes.append("m" if (m, f) in (("1", "0"), ("1", NR)) else "f" if (m, f) in (("0", "1"), (NR, "1")) else "")
        if all(sexes):
            counts = Counter(sexes)
            evidence = ["rule: boys and girls counted over the cases",
                        *(f"{c.case.label}: {'boy' if s == 'm' else 'girl'}" for c, s in zip(cases, sexes))]
            out["sex_m"], out["sex_f"] = (str(counts["m"]), evidence), (str(counts["f"]), evidence)
        else:
            missing = [c.case.label for c, s in zip(cases, sexes) if not s]
            out["sex_m"] = out["sex_f"] = (UNCLEAR, [f"rule: every case must give its sex; not settled for "
                                                    f"{', '.join(missing)}"])
    else:
        out["sex_m"], out["sex_f"] = study_level("sex_m"), study_level("sex_f")

    # prior treatments: the union over the cases
    values = from_cases("prior_treatments")
    if k and all(v not in (NR, UNCLEAR) for v in values):
        codes = sorted({code for v in values if v != "none" for code in v.split(";")})
        value = ";".join(codes) if codes else "none"
        out["prior_treatments"] = (value, ["rule: union of the cases' treatments before tacrolimus",
                                           *_case_evidence(cases, "prior_treatments")])
    elif k and any(v != NR for v in values):
        out["prior_treatments"] = (UNCLEAR, ["rule: union of the cases' treatments before tacrolimus; not every "
                                             "case names them", *_case_evidence(cases, "prior_treatments")])
    else:
        out["prior_treatments"] = study_level("prior_treatments")

    # route: every statement (cases and paper) must agree
    route, route_evidence = study_level("tacrolimus_route")
    stated_routes = {v for v in from_cases("tacrolimus_route") if v != NR} | ({route} if route != NR else set())
    routes = {part for v in stated_routes for part in v.split("; ")}
    if stated_routes and routes <= {"intravenous", "oral"}:
        value = "; ".join(sorted(routes))
        out["tacrolimus_route"] = (value, ["rule: the routes the paper and its cases give, together",
                                           *route_evidence[1:], *[e for e in _case_evidence(cases, "tacrolimus_route")
                                                                  if "not stated" not in e]])
    elif stated_routes:
        out["tacrolimus_route"] = (UNCLEAR, ["rule: the routes the paper and its cases give, together; not "
                                             "settled: " + ", ".join(sorted(stated_routes)), *route_evidence[1:],
                                             *_case_evidence(cases, "tacrolimus_route")])
    else:
        out["tacrolimus_route"] = (NR, [])

    # dose: the doses and troughs the cases report, else the paper's
    doses = list(dict.fromkeys(v for v in from_cases("tacrolimus_dose") if v != NR))
    if UNCLEAR in doses:
        out["tacrolimus_dose"] = (UNCLEAR, ["rule: the doses and target troughs the cases report; not settled "
                                            "for every case", *_case_evidence(cases, "tacrolimus_dose")])
    elif doses:
        out["tacrolimus_dose"] = ("; ".join(doses), ["rule: the doses and target troughs the cases report",
                                                     *[e for e in _case_evidence(cases, "tacrolimus_dose")
                                                       if "not stated" not in e]])
    else:
        out["tacrolimus_dose"] = study_level("tacrolimus_dose")

    # follow-up: range over the cases, or the paper's range when the cases' lie inside it
    values = from_cases("followup_months")
    paper_value, paper_evidence = study_level("followup_months", "the paper's follow-up statement outside the "
                                                                 "cases, which holds every case's follow-up")
    given = [_range_ends(v) for v in values if _RANGE_RE.match(v)]
    if not _RANGE_RE.match(paper_value):
        paper_value, paper_evidence = NR, []
    if not k:
        out["followup_months"] = study_level("followup_months")
    elif UNCLEAR in values:
        out["followup_months"] = (UNCLEAR, ["rule: range of the cases' follow-up; not settled for every case",
                                            *_case_evidence(cases, "followup_months")])
    elif given and len(given) == k:
        low, high = min(g[0] for g in given), max(g[1] for g in given)
        out["followup_months"] = (_format(low) if low == high else f"{_format(low)}-{_format(high)}",
                                  ["rule: range of the cases' follow-up after tacrolimus start",
                                   *_case_evidence(cases, "followup_months")])
    elif paper_value != NR and all(_range_ends(paper_value)[0] <= g[0] and g[1] <= _range_ends(paper_value)[1]
                                   for g in given):
        out["followup_months"] = (paper_value, paper_evidence + [e for e in _case_evidence(cases, "followup_months")
                                                                 if "not stated" not in e])
    elif given:
        out["followup_months"] = (UNCLEAR, ["rule: range of the cases' follow-up; not every case states it",
                                            *_case_evidence(cases, "followup_months"), *paper_evidence[1:]])
    else:
        out["followup_months"] = (NR, [])

    # study-level outcomes, checked against every case that states one
    for name, compatible in (("skin_outcome", _outcome_compatible), ("muscle_outcome", _outcome_compatible),
                             ("steroid_sparing", lambda study_value, case_value: study_value == case_value),
                             ("adverse_events", _events_compatible)):
        value, evidence = study_level(name, "the study-level result over the paper's own sections (cases, "
                                            "results, discussion of its patients), consistent with each case")
        case_values = [(c, v) for c, v in zip(cases, from_cases(name)) if v != NR]
        if value == NR and case_values:
            value, evidence = _combine_cases(name, cases, [v for _, v in case_values])
        elif value != NR:
            against = [c.case.label for c, v in case_values if not compatible(value, v)]
            if against:
                value = UNCLEAR
                evidence = [f"rule: the study-level result does not hold for {', '.join(against)}", *evidence[1:]]
            evidence += _case_evidence(cases, name)
        out[name] = (value, evidence)
    return out


def _outcome_compatible(study_value: str, case_value: str) -> bool:
    """A case agrees with the study's outcome: the same, or resolved in a study summarised as improved."""
    return case_value == study_value or (study_value == "improved" and case_value == "resolved")


def _events_compatible(study_value: str, case_value: str) -> bool:
    if study_value == "none" or case_value == "none":
        return study_value == case_value
    return set(case_value.split("; ")) <= set(study_value.split("; "))


def _combine_cases(name: str, cases: Sequence[CaseFindings], values: Sequence[str]) -> tuple[str, list[str]]:
    """A study-level value from the cases alone, when the paper states none: every case must state it."""
    evidence = _case_evidence(cases, name)
    if len(values) < len(cases):
        return UNCLEAR, [f"rule: no study-level statement and not every case states {name}", *evidence]
    distinct = set(values)
    if len(distinct) == 1:
        return values[0], [f"rule: every case: {values[0]}", *evidence]
    if name.endswith("_outcome") and distinct == {"resolved", "improved"}:
        return "improved", ["rule: resolved in some cases, improved in the others: improved", *evidence]
    if name == "adverse_events" and "none" not in distinct:
        events = sorted({e for v in values for e in v.split("; ")})
        return "; ".join(events), ["rule: the events the cases name", *evidence]
    return UNCLEAR, [f"rule: the cases differ ({', '.join(sorted(distinct))})", *evidence]

PAPER_VALUE_COLUMNS = ["record_id", "field", "value", "evidence"]


def configure_paper_values_cli(parser) -> None:
    parser.add_argument("--records", required=True, help="unique records (results/unique_records.tsv)")
    parser.add_argument("--availability", required=True,
                        help="full texts of the records sought (results/fulltext/availability.tsv)")
    parser.add_argument("--out", required=True, help="TSV to write: Table 1 values read from the full texts "
                                                     "(results/fulltext/values.tsv)")


def run_paper_values_cli(args) -> int:
    # Held: the papers found and their records only (the records stream past).
    found = [row for row in iter_tsv(args.availability, required=["record_id", "full_text", "file"])
             if row["full_text"] == "yes"]
    wanted = {row["record_id"] for row in found}
    records = {record["record_id"]: record for record in iter_tsv(
        args.records, required=["record_id", "title", "year", "first_author", "publication_types"])
        if record["record_id"] in wanted}
    values, papers = [], 0
    for row in found:
        if row["record_id"] not in records:
            raise InputError(args.availability, row["_line"], "record_id",
                             f"record '{row['record_id']}' is not in {args.records}")
        papers += 1
        for name, (value, evidence) in paper_findings(records[row["record_id"]], read_document(row["file"])).items():
            values.append({"record_id": row["record_id"], "field": name, "value": value,
                           "evidence": " | ".join(evidence)})
    write_tsv(args.out, values, PAPER_VALUE_COLUMNS)
    print(f"paper values: {papers} full text(s) read, {len(values)} values -> {args.out}")
    return 0

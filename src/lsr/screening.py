"""Screening stage: title/abstract screening by eligibility rules, with reviewer decisions on top.

Reads results/unique_records.tsv, the criteria (config/eligibility.yaml, data only: concepts
and the rules combining them) and the reviewers' decisions (config/screening/decisions/<reviewer>.tsv,
read only; title/abstract and full-text stages). Writes results/screening.tsv (one row per record,
input order), the overview of records awaiting review results/to_review.tsv, and
results/screening_summary.md.

Safety rule: the rules exclude a record only when a criterion definitely fails; anything
the abstract cannot settle (or a record without an abstract) goes to a reviewer.
"""
from __future__ import annotations

import dataclasses
import datetime
import io
import pickle
import re
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from itertools import tee
from pathlib import Path
from typing import IO, NamedTuple


from .checks import check_unique, iso_date, require_value
from .parallel import imap_ordered
from .state import recorded_record_ids
from . import pages, reviewers
from .text import (VOCABULARY_DIR, Lexicon, ModifierLexicon, Pieces, TextSpan, abstract_is_complete, field_spans,
                   age_groups, age_mentions, load_vocabularies, tokenize)
from .tsv import InputError, atomic_write_text, iter_tsv, read_yaml, write_tsv

SCREENING_COLUMNS = ["record_id", "pmid", "title", "decision", "decided_by", "conflict", "reasons",
                     "evidence", "exclusion_reason", "priority", "leaning", "full_text", "full_text_reason",
                     "full_text_by"]
"""Columns of results/screening.tsv. `decision` is the title/abstract stage. `leaning` is `include`
for a record the rules send to a reviewer while leaning to include it (see screen_record):
extraction proposes its values for checking. `full_text` is the full-text stage of the records
included at title/abstract (FULL_TEXT_STATES): only `include` enters Table 1."""

TO_REVIEW_COLUMNS = ["priority", "record_id", "title", "abstract", "conflict", "reasons", "evidence", "pmid"]
"""Columns of results/to_review.tsv, the team's overview of what awaits a reviewer (votes included);
`pmid` is the key a reviewer writes (the PMID, or the record id of a record from another source).
Reviewers screen blind in their own queue: `lsr review` or `lsr queue` (lsr.reviewing)."""

RECORD_COLUMNS = ["record_id", "pmid", "title", "abstract", "journal", "publication_types",
                  "mesh_terms", "keywords"]
DEFAULT_SCHEMA = "workflow/schemas/eligibility.schema.yaml"
TEXT_FIELDS = ("title", "abstract", "keywords", "journal")
FIELD_NAMES = {"title": "title", "abstract": "abstract", "keywords": "keywords", "journal": "journal",
               "mesh": "MeSH", "publication_types": "publication type"}

# --- the criteria -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Reference:
    """A concept found anywhere, in some fields only, or qualifying (near) another concept."""
    concept: str
    fields: tuple[str, ...] | None = None
    near: str | None = None


@dataclass(frozen=True)
class Condition:
    any: tuple[Reference, ...] = ()
    all: tuple[Reference, ...] = ()
    none: tuple[Reference, ...] = ()


@dataclass(frozen=True)
class Rule:
    condition: Condition | None
    outcome: str
    reason: str
    note: str
    needs_full_abstract: bool


@dataclass(frozen=True)
class Criterion:
    name: str
    label: str
    rules: tuple[Rule, ...]
    applies_if: Condition | None


@dataclass
class Concept:
    name: str
    label: str
    drug: bool
    terms: list[str]
    abbreviations: list[str]
    mesh: set[str]
    publication_types: set[str]
    ages: str | None
    ignore: frozenset[str] = frozenset({"negated"})


@dataclass
class Eligibility:
    """Compiled eligibility criteria (see config/eligibility.yaml for their meaning)."""
    question: str
    exclusion_reasons: list[str]
    concepts: dict[str, Concept]
    criteria: list[Criterion]
    modifiers: ModifierLexicon
    window: int = 6
    focus_sentences: int = 2
    juvenile_age_below: float = 18
    unsettled_by: frozenset[str] = frozenset()
    full_text_exclusion_reasons: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.lexicon = Lexicon({c.name: c.terms for c in self.concepts.values()},
                               {c.name: c.abbreviations for c in self.concepts.values()})
        # The concepts each MeSH heading and publication type (casefolded) names, in concept order.
        self.listed: dict[str, dict[str, list[str]]] = {"mesh": {}, "publication_types": {}}
        for concept in self.concepts.values():
            for field_name, headings in (("mesh", concept.mesh), ("publication_types", concept.publication_types)):
                for heading in headings:
                    self.listed[field_name].setdefault(heading, []).append(concept.name)


def _reference(value) -> Reference:
    if isinstance(value, str):
        return Reference(value)
    return Reference(value["concept"], tuple(value["in"]) if "in" in value else None, value.get("near"))


def _condition(value) -> Condition | None:
    if value is None:
        return None
    return Condition(*(tuple(_reference(v) for v in value.get(key, ())) for key in ("any", "all", "none")))


def load_eligibility(path: str | Path, schema_path: str | Path = DEFAULT_SCHEMA) -> Eligibility:
    """Read, validate (JSON schema, then references and reasons) and compile the criteria, with
    the vocabularies its concepts name (`vocabularies`: a folder, relative to the file)."""
    path = Path(path)
    data = read_yaml(path, "the eligibility criteria (YAML)", schema_path)
    folder = path.parent / data["vocabularies"] if "vocabularies" in data else VOCABULARY_DIR
    vocabularies = load_vocabularies(folder, Path(schema_path).parent / "vocabulary.schema.yaml")

    concepts = {}
    for name, spec in data["concepts"].items():
        terms, abbreviations = list(spec.get("terms", [])), list(spec.get("abbreviations", []))
        for reference in spec.get("vocabulary", []):
            if reference not in vocabularies.entries:
                raise InputError(path, None, f"concepts/{name}/vocabulary",
                                 f"unknown vocabulary entry {reference!r}; expected one of "
                                 f"{', '.join(sorted(vocabularies.entries))}")
            entry = vocabularies.entry(reference)
            terms += entry.terms
            abbreviations += entry.abbreviations
        concepts[name] = Concept(
            name=name, label=spec["label"], drug=spec.get("kind") == "drug", terms=terms,
            abbreviations=abbreviations, mesh={m.casefold() for m in spec.get("mesh", [])},
            publication_types={p.casefold() for p in spec.get("publication_types", [])},
            ages=spec.get("ages"), ignore=frozenset(spec.get("ignore", ["negated"])))
    reasons = data["exclusion_reasons"]
    criteria = []
    for number, spec in enumerate(data["criteria"]):
        where = f"criteria/{number}"
        rules = []
        for rule_number, rule in enumerate(spec["rules"]):
            reason = rule.get("reason", spec.get("exclusion_reason", ""))
            if rule["then"] == "fail" and reason not in reasons:
                raise InputError(path, None, f"{where}/rules/{rule_number}",
                                 f"a failing rule needs an exclusion reason from exclusion_reasons "
                                 f"({', '.join(reasons)}); got {reason or 'none'!r}")
            rules.append(Rule(_condition(rule.get("if")), rule["then"], reason, rule.get("note", ""),
                              rule.get("needs_full_abstract", False)))
        criterion = Criterion(spec["name"], spec["label"], tuple(rules), _condition(spec.get("applies_if")))
        for condition in [criterion.applies_if] + [r.condition for r in criterion.rules]:
            for ref in (condition.any + condition.all + condition.none) if condition else ():
                for name in (ref.concept, ref.near):
                    if name is not None and name not in concepts:
                        raise InputError(path, None, where, f"unknown concept {name!r}; expected one of "
                                         f"{', '.join(sorted(concepts))}")
        criteria.append(criterion)
    names = [c.name for c in criteria]
    if len(set(names)) != len(names):
        raise InputError(path, None, "criteria", f"criterion names must be unique: {', '.join(names)}")
    settings = data.get("settings", {})
    return Eligibility(
        question=data["question"], exclusion_reasons=reasons, concepts=concepts, criteria=criteria,
        modifiers=vocabularies.modifiers, window=settings.get("window", 6),
        focus_sentences=settings.get("focus_sentences", 2),
        juvenile_age_below=settings.get("juvenile_age_below", 18),
        unsettled_by=frozenset(settings.get("unsettled_by", [])),
        full_text_exclusion_reasons=data.get("full_text_exclusion_reasons", reasons))


# --- finding concepts in a record --------------------------------------------------------------

class Mention(NamedTuple):
    """Where a concept is named (a named tuple: a record has dozens, cheap to build)."""
    concept: str
    field: str
    text: str
    sentence: int = -1          # index into the record's sentences; -1 for MeSH / publication types
    first: int = 0              # token span within the sentence
    last: int = 0
    modifiers: frozenset[str] = frozenset()     # ConText modifiers in whose scope the mention lies

    @property
    def negated(self) -> bool:
        return "negated" in self.modifiers


_ABBREVIATION = re.compile(r"\s*\(\s*([A-Za-z][A-Za-z0-9\-]{0,9})\s*[),;]")


class RecordText:
    """A record's text cut into sentences, with every concept mention found in it."""

    def __init__(self, record: Mapping[str, str], eligibility: Eligibility):
        self.record = record
        self.eligibility = eligibility
        self.abstract_complete = abstract_is_complete(record.get("abstract", ""))
        self.sentences: list[TextSpan] = field_spans(record, TEXT_FIELDS)
        self.mentions = self._find()
        self._by_concept: dict[str, list[Mention]] = {}
        for mention in self.mentions:
            self._by_concept.setdefault(mention.concept, []).append(mention)
        self._heeded: dict[str, list[Mention]] = {}     # by concept: its mentions not under a modifier it ignores

    def _defined_abbreviations(self, concept_spans: Sequence[list[tuple[str, int, int]]]) -> Lexicon:
        """'tacrolimus (TAC)': abbreviations this record defines for a concept."""
        found = Lexicon()
        for sentence, spans in zip(self.sentences, concept_spans):
            if sentence.field not in ("title", "abstract") or sentence.text.find("(", sentence.start, sentence.end) < 0:
                continue
            for name, first, last in spans:
                match = _ABBREVIATION.match(sentence.text, sentence.ends[last])
                if match and any(c.isupper() for c in match.group(1)):
                    found.add(name, tuple(t.text for t in tokenize(match.group(1))), exact=True)
        return found

    def _find(self) -> list[Mention]:
        """The concepts' mentions: lexicon phrases, abbreviations the record defines and stated ages
        in its sentences, each with the modifiers in whose scope it lies; then MeSH headings and
        publication types. A record's sentences are matched together, one pass per lexicon."""
        concepts = self.eligibility.concepts
        sentences = self.sentences
        if not sentences:
            return self._headings()
        pieces = Pieces.of([s.norms for s in sentences], [s.words for s in sentences])
        found = self.eligibility.lexicon.find_each(pieces)
        defined = self._defined_abbreviations(found)
        if defined:
            found = [spans + more for spans, more in zip(found, defined.find_each(pieces))]
        for index, sentence in enumerate(sentences):
            ages = age_groups(age_mentions(sentence.norms, sentence.words, sentence.starts, sentence.ends,
                                           sentence.text), self.eligibility.juvenile_age_below)
            for concept in concepts.values() if ages else ():
                found[index] = found[index] + [(concept.name, a, b) for a, b, group in ages if group == concept.ages]
        context = self.eligibility.modifiers
        mentions: list[Mention] = []
        for index, (sentence, spans, cues) in enumerate(zip(sentences, found, context.lexicon.find_each(pieces))):
            if not spans:
                continue
            scopes = context.scope_of_words(sentence.norms, [(first, last) for _, first, last in spans], cues)
            for (name, first, last), modifiers in zip(spans, scopes):
                text = sentence.text[sentence.starts[first]:sentence.ends[last]]
                mentions.append(Mention(name, sentence.field, text, index, first, last, modifiers))
        return mentions + self._headings()

    def _headings(self) -> list[Mention]:
        """The concepts the record's MeSH headings and publication types name."""
        mentions: list[Mention] = []
        headings = [(h.rstrip("*").strip(), "mesh") for h in self.record.get("mesh_terms", "").split(";")]
        headings += [(p.strip(), "publication_types") for p in self.record.get("publication_types", "").split(";")]
        listing = self.eligibility.listed
        for heading, field_name in headings:
            for name in listing[field_name].get(heading.casefold(), ()) if heading else ():
                mentions.append(Mention(name, field_name, heading))
        return mentions

    # references ------------------------------------------------------------------------------
    def found(self, ref: Reference) -> list[Mention]:
        """The mentions a reference finds (those under a modifier the concept ignores left out)."""
        mentions = self._heeded.get(ref.concept)
        if mentions is None:
            ignore = self.eligibility.concepts[ref.concept].ignore
            mentions = self._heeded[ref.concept] = [m for m in self._by_concept.get(ref.concept, ())
                                                    if not (m.modifiers & ignore)]
        if ref.near is not None:
            mentions = [m for m in mentions if self._qualifies(m, ref.near)]
        if ref.fields is None:
            return mentions[:]
        fields = set(ref.fields)
        if "focus" in fields:
            strong = [m for m in mentions if m.field in ("title", "keywords", "mesh")]
            in_abstract = [m for m in mentions if m.field == "abstract"]
            if strong:
                fields |= {"title", "keywords", "mesh"}
            elif len({m.sentence for m in in_abstract}) >= self.eligibility.focus_sentences:
                fields.add("abstract")
        return [m for m in mentions if m.field in fields]

    def _qualifies(self, modifier: Mention, target: str) -> bool:
        """Does a cue (e.g. 'oral') qualify a mention of `target`: the nearest drug mention in its
        sentence, within the window? For MeSH, both headings are present."""
        if modifier.sentence < 0:
            return any(m.concept == target and m.field == modifier.field for m in self.mentions)
        drugs = {name for name, c in self.eligibility.concepts.items() if c.drug} | {target}
        candidates = [m for m in self.mentions if m.sentence == modifier.sentence and m.concept in drugs]
        if not candidates:
            return False

        def distance(m: Mention) -> tuple[int, int]:
            gap = max(m.first - modifier.last - 1, modifier.first - m.last - 1, 0)
            return gap, 0 if m.first >= modifier.first else 1   # ties: the drug after the cue

        nearest = min(distance(m) for m in candidates)
        return nearest[0] <= self.eligibility.window and any(
            m.concept == target and not m.negated and distance(m) == nearest for m in candidates)

    def holds(self, condition: Condition) -> tuple[bool, list[Mention]]:
        """Whether a condition holds, and the mentions that make it hold."""
        evidence: list[Mention] = []
        if condition.any:
            found = [m for ref in condition.any for m in self.found(ref)]
            if not found:
                return False, []
            evidence += found
        for ref in condition.all:
            found = self.found(ref)
            if not found:
                return False, []
            evidence += found
        if any(self.found(ref) for ref in condition.none):
            return False, []
        return True, evidence

    def span_text(self, mention: Mention, near: str | None) -> str:
        """A mention's text; for a cue qualifying a drug, the words from cue to drug ('oral tacrolimus')."""
        if near is None or mention.sentence < 0:
            return mention.text
        sentence = self.sentences[mention.sentence]
        targets = [m for m in self.mentions if m.sentence == mention.sentence and m.concept == near]
        target = min(targets, key=lambda m: abs(m.first - mention.first))
        first, last = min(mention.first, target.first), max(mention.last, target.last)
        return sentence.text[sentence.starts[first]:sentence.ends[last]]

    def snippet(self, mention: Mention, width: int = 70) -> str:
        """The sentence around a mention, cut to about `width` characters either side."""
        sentence = self.sentences[mention.sentence]
        start, end = sentence.starts[mention.first], sentence.ends[mention.last]
        left, right = max(sentence.start, start - width), min(sentence.end, end + width)
        while left > sentence.start and not sentence.text[left - 1].isspace():
            left -= 1
        while right < sentence.end and not sentence.text[right].isspace():
            right += 1
        text = sentence.text[left:right].strip()
        return ("…" if left > sentence.start else "") + text + ("…" if right < sentence.end else "")


# --- screening one record ----------------------------------------------------------------------

@dataclass
class CriterionResult:
    name: str
    label: str
    status: str                 # met | unclear | fail | n/a
    note: str = ""
    reason: str = ""
    evidence: list[tuple[Mention, str | None]] = field(default_factory=list)   # (mention, near)


@dataclass
class Screened:
    record_id: str
    decision: str
    exclusion_reason: str
    results: list[CriterionResult]
    reasons: str
    evidence: str
    priority: int
    leaning: str = ""


def _evaluate(text: RecordText, criterion: Criterion) -> CriterionResult:
    if criterion.applies_if is not None and not text.holds(criterion.applies_if)[0]:
        return CriterionResult(criterion.name, criterion.label, "n/a")
    for rule in criterion.rules:
        holds, mentions = text.holds(rule.condition) if rule.condition else (True, [])
        if not holds:
            continue
        refs = (rule.condition.any + rule.condition.all) if rule.condition else ()
        near = {ref.concept: ref.near for ref in refs}
        evidence = [(m, near.get(m.concept)) for m in mentions]
        unsettled = [m for m in mentions if m.modifiers & text.eligibility.unsettled_by]
        if rule.outcome == "met" and mentions and len(unsettled) == len(mentions):
            which = sorted(set().union(*(m.modifiers & text.eligibility.unsettled_by for m in unsettled)))
            note = f"named only in {' or '.join(w.replace('_', ' ') for w in which)} statements"
            return CriterionResult(criterion.name, criterion.label, "unclear", note, "", evidence)
        if rule.outcome == "fail" and rule.needs_full_abstract and not text.abstract_complete:
            note = (rule.note + "; " if rule.note else "") + "but the abstract is missing or cut off"
            return CriterionResult(criterion.name, criterion.label, "unclear", note, "", evidence)
        return CriterionResult(criterion.name, criterion.label, rule.outcome, rule.note,
                               rule.reason if rule.outcome == "fail" else "", evidence)
    return CriterionResult(criterion.name, criterion.label, "unclear", "no rule applies")


def _describe(text: RecordText, result: CriterionResult) -> str:
    shown: list[str] = []
    for mention, near in result.evidence:
        item = f"{text.span_text(mention, near)} [{FIELD_NAMES[mention.field]}]"
        if item not in shown:
            shown.append(item)
    found = ", ".join(shown[:3])
    if result.status == "met":
        body = found or result.note
        if found and result.note and "presumed" in result.note:
            body = f"{found} ({result.note})"
    elif result.status == "unclear":
        body = "unclear, " + (result.note or "not settled") + (f": {found}" if found else "")
    else:
        body = f"fails ({result.reason}), {result.note}" + (f": {found}" if found else "")
    return f"{result.label}: {body}"


MAX_SNIPPETS = 6


def screen_record(record: Mapping[str, str], eligibility: Eligibility) -> Screened:
    """The rules' decision on one record, with the reasons and the text that support it."""
    return _screen(record, eligibility)[0]


@dataclass(frozen=True)
class Highlight:
    """Where a criterion matched: characters start:end of a record's field (title, abstract...)."""
    field: str
    start: int
    end: int
    criterion: str
    status: str                 # the criterion's status: met | unclear | fail


def explain(record: Mapping[str, str], eligibility: Eligibility) -> tuple[Screened, list[CriterionResult],
                                                                           list[Highlight]]:
    """The rules' decision on one record, each criterion's result, and the words each criterion
    matched in the record's text (for a reviewer's screen), in text order."""
    screened, text, results = _screen(record, eligibility)
    spans = []
    for result in results:
        for mention, _ in result.evidence:
            if mention.sentence >= 0:
                sentence = text.sentences[mention.sentence]
                spans.append(Highlight(mention.field, sentence.starts[mention.first],
                                       sentence.ends[mention.last], result.label, result.status))
    return screened, results, sorted(set(spans), key=lambda h: (h.field, h.start, -h.end, h.criterion, h.status))


def _screen(record: Mapping[str, str], eligibility: Eligibility) -> tuple[Screened, RecordText, list[CriterionResult]]:
    text = RecordText(record, eligibility)
    results = [_evaluate(text, criterion) for criterion in eligibility.criteria]
    failed = [r for r in results if r.status == "fail"]
    has_abstract = bool(record.get("abstract", "").strip())
    if not has_abstract:
        decision, reason = "needs_review", ""
    elif failed:
        decision, reason = "exclude", failed[0].reason
    elif all(r.status in ("met", "n/a") for r in results):
        decision, reason = "include", ""
    else:
        decision, reason = "needs_review", ""
    reasons = [_describe(text, r) for r in results if r.status != "n/a"]
    if not has_abstract:
        reasons.insert(0, "no abstract: not decided by the rules")
    snippets: dict[int, str] = {}     # one snippet per sentence, the first evidence in it
    for result in results:
        for mention, _ in result.evidence:
            if mention.sentence >= 0 and mention.sentence not in snippets and len(snippets) < MAX_SNIPPETS:
                snippets[mention.sentence] = f"[{FIELD_NAMES[mention.field]}] {text.snippet(mention)}"
    priority = 0
    leaning = ""
    if decision == "needs_review":
        priority = 1 + sum({"met": 2, "unclear": 1}.get(r.status, 0) for r in results)
        # Leaning to include: an abstract, no criterion failing and at most one not settled.
        if has_abstract and not failed and sum(r.status == "unclear" for r in results) <= 1:
            leaning = "include"
    return Screened(record["record_id"], decision, reason, results, "; ".join(reasons),
                    " | ".join(snippets.values()), priority, leaning), text, results


# --- reviewer decisions on top of the rules ----------------------------------------------------

CONFLICT_PRIORITY = 100
"""Added to the priority of a record reviewers disagree on: conflicts come first in the queue."""


FULL_TEXT_STATES = ("awaiting", "conflict", "include", "exclude", "not_retrieved")
"""The `full_text` column of a record included at title/abstract (empty for the others)."""


def settle(votes: Sequence[Mapping[str, str]]) -> tuple[str, str, str] | None:
    """(decision, exclusion_reason, decided_by) of one stage's votes on a record; None when they disagree.

    Final decisions (`final` = yes, a resolver settling a conflict) outrank the other votes."""
    finals = [d for d in votes if d.get("final") == "yes"]
    counted = sorted(finals or votes, key=lambda d: d["reviewer"])
    verdicts = {(d["decision"], d["exclusion_reason"]) for d in counted}
    if len(verdicts) != 1:
        return None
    decided_by = "; ".join(d["reviewer"] + (" (final)" if finals else "") for d in counted)
    return (*next(iter(verdicts)), decided_by)


def _said(votes: Sequence[Mapping[str, str]]) -> str:
    return "; ".join(f"{d['reviewer']}{' (final)' if d.get('final') == 'yes' else ''}: {d['decision']}"
                     + (f" ({d['exclusion_reason']})" if d["exclusion_reason"] else "")
                     for d in sorted(votes, key=lambda d: d["reviewer"]))


def by_stage(decisions: Iterable[Mapping[str, str]]) -> dict[tuple[str, str], list[Mapping[str, str]]]:
    """Reviewer decisions by (record id, stage)."""
    grouped: dict[tuple[str, str], list[Mapping[str, str]]] = {}
    for decision in decisions:
        grouped.setdefault((decision["record_id"], decision["stage"]), []).append(decision)
    return grouped


def combine(records: Sequence[Mapping[str, str]], screened: Sequence[Screened],
            decisions: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    """screening.tsv rows of `records` (see combine_row)."""
    grouped = by_stage(decisions)
    return [combine_row(record, rules, grouped) for record, rules in zip(records, screened)]


def combine_row(record: Mapping[str, str], rules: Screened,
                decisions: Mapping[tuple[str, str], Sequence[Mapping[str, str]]]) -> dict[str, str]:
    """A record's screening.tsv row: the rules' title/abstract decision, overridden by the
    reviewers' when they agree (or by a final decision); reviewers who disagree make the record
    needs_review with conflict=yes. A record included at title/abstract gets its full-text state
    (FULL_TEXT_STATES) from the full-text decisions: the human gate before Table 1. `decisions`:
    the reviewers' by (record id, stage) (by_stage)."""
    row = {"record_id": record["record_id"], "pmid": record.get("pmid", ""), "title": record.get("title", ""),
           "decision": rules.decision, "decided_by": "rules", "conflict": "no", "reasons": rules.reasons,
           "evidence": rules.evidence, "exclusion_reason": rules.exclusion_reason,
           "priority": rules.priority, "leaning": rules.leaning, "full_text": "", "full_text_reason": "",
           "full_text_by": ""}
    human = decisions.get((record["record_id"], reviewers.TITLE_ABSTRACT), [])
    if human:
        row["reasons"] = f"reviewers: {_said(human)}; rules: {rules.decision}; {rules.reasons}"
        settled = settle(human)
        if settled:
            row["decision"], row["exclusion_reason"], row["decided_by"] = settled
            row["priority"] = max(rules.priority, 1) if row["decision"] == "needs_review" else 0
        else:
            row.update(decision="needs_review", conflict="yes", exclusion_reason="",
                       decided_by="; ".join(sorted(d["reviewer"] for d in human)),
                       priority=CONFLICT_PRIORITY + max(rules.priority, 1))
    if row["decision"] == "include":
        votes = decisions.get((record["record_id"], reviewers.FULL_TEXT), [])
        settled = settle(votes) if votes else None
        if not votes:
            row["full_text"] = "awaiting"
        elif settled is None:
            row.update(full_text="conflict", full_text_by=_said(votes))
        else:
            row["full_text"], row["full_text_reason"], row["full_text_by"] = settled
    return row


def unapplied_full_text(rows: Sequence[Mapping[str, str]], decisions: Iterable[Mapping[str, str]]) -> list[str]:
    """Full-text decisions about records not included at title/abstract: kept in the files, not applied."""
    stage_one = {row["record_id"]: row["decision"] for row in rows}
    return [f"{d['reviewer']}'s full-text decision on {d['record_id']} waits until the record is included at "
            f"title/abstract (now: {stage_one.get(d['record_id'], 'not screened')})"
            for d in decisions if d["stage"] == reviewers.FULL_TEXT and stage_one.get(d["record_id"]) != "include"]


def decision_key(record: Mapping[str, str]) -> str:
    """What a reviewer writes in the `pmid` column of a decisions file for this record."""
    return record.get("pmid") or record["record_id"]


def queue_entry(record: Mapping[str, str], row: Mapping) -> dict:
    """A to_review.tsv row: what a reviewer needs to decide on a record."""
    return {"priority": row["priority"], "record_id": row["record_id"], "title": record.get("title", ""),
            "abstract": record.get("abstract", ""), "conflict": row["conflict"], "reasons": row["reasons"],
            "evidence": row["evidence"], "pmid": decision_key(record)}


class ReviewQueue:
    """Queue entries gathered while the records stream past, held on disk (one temporary file
    per priority; a queue has a few priorities) so that memory does not grow with the queue.
    `entries()` gives them highest priority first, then in input order.
    Use it as a context manager: its files are deleted on leaving."""

    def __init__(self) -> None:
        self._files: dict[int, IO[bytes]] = {}
        self._stack = ExitStack()

    def __enter__(self) -> "ReviewQueue":
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def add(self, entry: dict) -> None:
        priority = int(entry["priority"])
        if priority not in self._files:
            self._files[priority] = self._stack.enter_context(tempfile.TemporaryFile())
        pickle.dump(entry, self._files[priority])

    def entries(self) -> Iterator[dict]:
        for priority in sorted(self._files, reverse=True):
            spill = self._files[priority]
            spill.seek(0)
            while True:
                try:
                    yield pickle.load(spill)
                except EOFError:
                    break


# --- outputs -----------------------------------------------------------------------------------

_XLSX_WIDTHS = {"priority": 9, "record_id": 16, "title": 45, "abstract": 90, "conflict": 9, "reasons": 70,
                "evidence": 70, "pmid": 14, "reviewer": 14, "decision": 14, "exclusion_reason": 26,
                "note": 30, "date": 12}
_FIXED_TIME = datetime.datetime(2000, 1, 1)


EXCEL_CELL_LIMIT = 32767
"""Characters an Excel cell holds."""


def _excel_cell(text: str) -> str:
    """Text that fits an Excel cell; a longer text is cut and says so (results/unique_records.tsv has it all)."""
    if len(text) <= EXCEL_CELL_LIMIT:
        return text
    note = (f" … [cut at Excel's cell limit: {len(text)} characters; the full text is in "
            "results/unique_records.tsv]")
    return text[:EXCEL_CELL_LIMIT - len(note)] + note


def xlsx_bytes(rows: Sequence[Mapping], columns: Sequence[str], sheet: str = "to_review") -> bytes:
    """A workbook of `rows`: header frozen, text wrapped, columns sized; byte-identical for the
    same rows (fixed document dates and zip entry times)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    worksheet.append(list(columns))
    for row in rows:
        worksheet.append([_excel_cell(ILLEGAL_CHARACTERS_RE.sub(" ", str(row.get(c, "") or ""))) for c in columns])
    wrap = Alignment(wrap_text=True, vertical="top")
    for cells in worksheet.iter_rows(min_row=2):
        for cell in cells:
            cell.alignment = wrap
            cell.number_format = "@"    # reviewers' dates and PMIDs stay text
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top")
    for number, name in enumerate(columns, start=1):
        worksheet.column_dimensions[get_column_letter(number)].width = _XLSX_WIDTHS.get(name, 15)
    worksheet.freeze_panes = "A2"
    worksheet.auto_filter.ref = worksheet.dimensions
    return workbook_bytes(workbook)


def workbook_bytes(workbook) -> bytes:
    """An openpyxl workbook as XLSX bytes that depend on its content only: fixed document dates and
    zip entry times (Workbook.save would stamp the time of saving)."""
    from openpyxl.writer.excel import ExcelWriter

    workbook.properties.created = workbook.properties.modified = _FIXED_TIME
    workbook.properties.creator = "lsr"
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    fixed = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)),
                            source.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
    return fixed.getvalue()


OUTCOME_COLUMNS = ("decision", "decided_by", "conflict", "exclusion_reason", "full_text")
"""What the screening summary counts of each screening row."""


class Outcome(NamedTuple):
    """A screening row's OUTCOME_COLUMNS."""
    decision: str
    decided_by: str
    conflict: str
    exclusion_reason: str
    full_text: str


def outcome(row: Mapping) -> Outcome:
    return Outcome(*(row[column] for column in OUTCOME_COLUMNS))


def summary_markdown(counted: Counter[Outcome], decisions: Sequence[Mapping], eligibility: Eligibility) -> str:
    """results/screening_summary.md (lsr/templates/screening_summary.md.j2) from how many screening rows
    have each `outcome`: counts per decision, reason and decider; reviewer agreement."""
    import pandas as pd  # ~0.2 s to import: loaded when the summary is written, not when `lsr` starts

    table = pd.DataFrame([(*kind, records) for kind, records in counted.items()],
                         columns=[*OUTCOME_COLUMNS, "records"]).astype({"records": "int64"})

    def records_by(column: str, labels: Sequence[str], rows=table) -> dict[str, int]:
        """Records per value of `column` among `rows`, in the order of `labels` (0 where none)."""
        return rows.groupby(column)["records"].sum().reindex(labels, fill_value=0).to_dict()

    deciders = table.pivot_table(index="decided_by", columns="decision", values="records", aggfunc="sum",
                                 fill_value=0).reindex(columns=reviewers.DECISIONS, fill_value=0)
    votes = [d for d in reviewers.stage_decisions(decisions, reviewers.TITLE_ABSTRACT) if d["final"] != "yes"]
    return pages.render_markdown(
        "screening_summary.md.j2", question=eligibility.question, total=table["records"].sum(),
        auto=table["records"][(table["decided_by"] == "rules") & (table["decision"] != "needs_review")].sum(),
        conflicts=table["records"][table["conflict"] == "yes"].sum(),
        decisions=records_by("decision", reviewers.DECISIONS),
        exclusion_reasons=records_by("exclusion_reason", eligibility.exclusion_reasons,
                                     table[table["decision"] == "exclude"]),
        full_text=records_by("full_text", FULL_TEXT_STATES),
        deciders=[(who, list(deciders.loc[who])) for who in sorted(deciders.index, key=lambda w: (w != "rules", w))],
        agreement=reviewers.pairwise_agreement(votes))


def read_records(path: str | Path) -> list[dict[str, str]]:
    """The records to screen (unique_records.tsv), in file order (read line by line)."""
    rows = list(iter_tsv(path, required=RECORD_COLUMNS, only=True))  # the columns screening reads
    _check_ids(path, rows)
    return rows


def read_record_ids(path: str | Path) -> list[dict[str, str]]:
    """The records' record_id and pmid (and '_line'), checked as read_records checks them: what
    reviewers' decisions may name, without holding the records' text."""
    rows = [{"record_id": row["record_id"], "pmid": row["pmid"], "_line": row["_line"]}
            for row in iter_tsv(path, required=RECORD_COLUMNS)]
    _check_ids(path, rows)
    return rows


def _check_ids(path: str | Path, rows: Sequence[Mapping]) -> None:
    check_unique(path, rows, ["record_id"])
    for row in rows:
        require_value(path, row, "record_id", "a record id such as pmid:123 or doi:10.1/x")


def _rules_decision(record: Mapping[str, str], eligibility: Eligibility) -> Screened:
    """screen_record without each criterion's mentions: what a screening row needs, cheap to
    send from a worker process."""
    return dataclasses.replace(screen_record(record, eligibility), results=[])


def screen(records_path, decisions: Iterable[Mapping[str, str]], eligibility: Eligibility, jobs: int = 1
           ) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """(record, screening row) of every record of a records file (checked: read_record_ids), in
    file order, as a stream: records are read a few chunks ahead of the rows given, and screened
    by `jobs` processes (the same rows whatever `jobs`). `decisions`: the reviewers'
    (reviewers.read_decisions)."""
    grouped = by_stage(decisions)
    records, to_screen = tee(iter_tsv(records_path, required=RECORD_COLUMNS, only=True))
    for record, rules in zip(records, imap_ordered(partial(_rules_decision, eligibility=eligibility),
                                                   to_screen, jobs)):
        yield record, combine_row(record, rules, grouped)


def configure_cli(parser) -> None:
    parser.add_argument("--records", required=True, help="records to screen (results/unique_records.tsv)")
    parser.add_argument("--eligibility", required=True, help="eligibility criteria (config/eligibility.yaml)")
    parser.add_argument("--decisions", required=True,
                        help="reviewer decisions: the folder of per-reviewer files (config/screening/decisions/)")
    parser.add_argument("--schema", default=DEFAULT_SCHEMA, help="JSON schema of the eligibility file")
    parser.add_argument("--out", required=True, help="screening table (results/screening.tsv)")
    parser.add_argument("--to-review", required=True, help="reviewer queue, TSV (results/to_review.tsv)")
    parser.add_argument("--summary", required=True, help="summary (results/screening_summary.md)")
    parser.add_argument("--as-of", type=iso_date, help="YYYY-MM-DD: only the decisions dated up to that day (rebuild the past)")
    parser.add_argument("--history", help="the review's history (data/history): decisions about records it has "
                                          "seen but this run does not hold are skipped, not errors")
    parser.add_argument("--jobs", type=int, default=1, help="processes to screen with (same output whatever the number)")


def run_cli(args) -> int:
    """Screen the records into screening.tsv row by row (memory does not grow with the records:
    counts are kept, and the queue of records awaiting a reviewer waits on disk); then the queue and the
    summary. With --as-of, only the reviewer decisions the review had on that day count;
    decisions about records seen earlier in the review (--history) but not in this run are skipped."""
    eligibility = load_eligibility(args.eligibility, args.schema)
    decisions = reviewers.read_decisions(args.decisions, read_record_ids(args.records), eligibility.exclusion_reasons,
                                         args.as_of, recorded_record_ids(args.history),
                                         eligibility.full_text_exclusion_reasons)
    full_text_ids = {d["record_id"] for d in decisions if d["stage"] == reviewers.FULL_TEXT}
    counted, stage_one = Counter(), []
    with ReviewQueue() as queue:

        def rows() -> Iterator[dict[str, str]]:
            for record, row in screen(args.records, decisions, eligibility, args.jobs):
                if row["decision"] == "needs_review":
                    queue.add(queue_entry(record, row))
                counted[outcome(row)] += 1
                if row["record_id"] in full_text_ids:
                    stage_one.append({"record_id": row["record_id"], "decision": row["decision"]})
                yield row

        write_tsv(args.out, rows(), SCREENING_COLUMNS)
        write_tsv(args.to_review, queue.entries(), TO_REVIEW_COLUMNS)
    atomic_write_text(args.summary, summary_markdown(counted, decisions, eligibility))
    counts = Counter()
    for decided, count in counted.items():
        counts[decided.decision] += count
    print(f"screened {counts.total()} records: " + ", ".join(f"{counts[d]} {d}" for d in ("include", "exclude", "needs_review")))
    for note in unapplied_full_text(stage_one, decisions):
        print(f"not applied: {note}")
    return 0

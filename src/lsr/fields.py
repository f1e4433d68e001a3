"""The Table 1 fields as data (../shared/TABLE1.md): one definition per field, and the plausibility rules.

Every stage that reads or writes Table 1 values uses this registry: the extraction stage checks
reviewer values against it (form and plausibility; an error names file, line, field and the rule)
and turns a machine value that breaks a rule into `unclear` (evidence kept, rule named); the
table1 stage takes its columns, headers and vocabularies from it. Nothing here extracts anything.

    field = FIELD["age_max"]
    field.problem("250")            # None: the form is right (an age in years)
    broken_rules({"age_min": "4", "age_max": "250"})   # [the age range rule]
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

NR = "NR"
"""Not reported in the source the row was built from."""
UNCLEAR = "unclear"
"""The source speaks of the field but its value is not settled (a reviewer decides); `?` for people."""

SOURCES = ("abstract", "full text", "reviewer")
"""Where a value comes from: the `source` of an extraction row, the `evidence` column of Table 1."""
DESIGNS = ("case report", "case series", "cohort", "trial")
ROUTES = ("oral", "intravenous", "intravenous; oral")
OUTCOMES = ("resolved", "improved", "no change", "worsened")
STEROID_SPARING = ("yes", "no")
DRUG_CODES = ("CS", "MTX", "IVIG", "CYC", "CSA", "MMF", "RTX", "HCQ", "AZA", "TNFi", "JAKi", "PLEX")

_INTEGER = re.compile(r"^\d+$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_RANGE = re.compile(r"^\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?$")


def _one_of(values: Sequence[str], nr: bool = True) -> Callable[[str], str | None]:
    allowed = (*values, NR) if nr else tuple(values)
    return lambda value: None if value in allowed else f"one of {', '.join(allowed)}"


def _matching(pattern: re.Pattern, expected: str, nr: bool = True) -> Callable[[str], str | None]:
    return lambda value: None if (nr and value == NR) or pattern.match(value) else expected


def _treatments(value: str) -> str | None:
    if value in (NR, "none"):
        return None
    for item in (part.strip() for part in value.split(";")):
        if not item:
            return "';'-separated codes without empty items"
        if item in DRUG_CODES:
            continue
        if item.upper() in (code.upper() for code in DRUG_CODES):
            return f"codes as written in TABLE1.md ({', '.join(DRUG_CODES)}), not '{item}'"
        if not re.fullmatch(r"[a-z][a-z0-9 \-]*", item):
            return f"canonical codes ({', '.join(DRUG_CODES)}) or other drugs by lower-case name, not '{item}'"
    return None


@dataclass(frozen=True)
class Field:
    """A Table 1 field: its name (extraction.tsv, table1.csv), header for people, kind, and form.

    `check(value)` is None for a value of the right form, else what was expected (the literal
    `unclear` is not a value a reviewer writes; machine rows may hold it)."""

    name: str
    header: str
    kind: str  # "number" (a count, age or months: the plausibility rules read it) or "text"
    check: Callable[[str], str | None]

    def problem(self, value: str) -> str | None:
        return self.check(value)


FIELDS: tuple[Field, ...] = (
    Field("study", "Study", "text", lambda v: None if v else "first author and year, e.g. Hassan 2008"),
    Field("design", "Design", "text", _one_of(DESIGNS, nr=False)),
    Field("n_patients", "Patients, n", "number",
          lambda v: None if _INTEGER.match(v) and int(v) > 0 else "a whole number of patients (1 or more)"),
    Field("age_min", "Age min, y", "number", _matching(_NUMBER, "an age in years (e.g. 4 or 8.5) or NR")),
    Field("age_max", "Age max, y", "number", _matching(_NUMBER, "an age in years (e.g. 4 or 8.5) or NR")),
    Field("sex_m", "Boys, n", "number", _matching(_INTEGER, "a whole number or NR")),
    Field("sex_f", "Girls, n", "number", _matching(_INTEGER, "a whole number or NR")),
    Field("prior_treatments", "Prior treatments", "text", _treatments),
    Field("tacrolimus_route", "Tacrolimus route", "text", _one_of(ROUTES)),
    Field("tacrolimus_dose", "Tacrolimus dose", "text", lambda v: None if v else "a dose as reported, or NR"),
    Field("followup_months", "Follow-up, months", "number",
          _matching(_RANGE, "months as a number or range (e.g. 12 or 7-9) or NR")),
    Field("skin_outcome", "Skin outcome", "text", _one_of(OUTCOMES)),
    Field("muscle_outcome", "Muscle outcome", "text", _one_of(OUTCOMES)),
    Field("steroid_sparing", "Steroid sparing", "text", _one_of(STEROID_SPARING)),
    Field("adverse_events", "Adverse events", "text", lambda v: None if v else "none, a short list, or NR"),
)
FIELD = {field.name: field for field in FIELDS}
NAMES = [field.name for field in FIELDS]
"""Field names in TABLE1.md order."""
EXTRACTION_COLUMNS = ["record_id", "pmid", "status", "field", "value", "evidence", "source", "reviewer"]
"""Columns of results/extraction.tsv (long format: one row per record and field): the contract
between the extraction stage, which writes it, and the table1 stage, which reads it. `status` is
`included` (screening decision include) or `proposed` (awaiting a reviewer, the rules leaning to
include: values to check, not published)."""


def validate_value(field: str, value: str) -> str | None:
    """None if `value` has the form TABLE1.md allows for `field`, else what was expected."""
    return FIELD[field].problem(value)


def numbers(value: str) -> list[float] | None:
    """The number(s) a numeric value holds (a range '7-9' gives both ends); None for NR, unclear, text."""
    if not _RANGE.match(value or ""):
        return None
    return [float(part) for part in value.split("-")]


@dataclass(frozen=True)
class Rule:
    """A plausibility rule over numeric fields, with the sentence that explains it to people.

    It applies when every field in `needs` holds a number; `holds` gets each field's numbers
    (fields given as NR or text are left out)."""

    fields: tuple[str, ...]
    sentence: str
    holds: Callable[[Mapping[str, list[float]]], bool]
    needs: tuple[str, ...] = ()

    def broken_by(self, values: Mapping[str, str]) -> bool:
        given = {name: numbers(values.get(name, "")) for name in self.fields}
        given = {name: found for name, found in given.items() if found is not None}
        if not all(name in given for name in (self.needs or self.fields)) or not given:
            return False
        return not self.holds(given)


def _within(low: float, high: float) -> Callable[[Mapping[str, list[float]]], bool]:
    return lambda given: all(low <= number <= high for found in given.values() for number in found)


RULES: tuple[Rule, ...] = (
    Rule(("n_patients",), "a study reports at most 1000 patients with juvenile dermatomyositis", _within(1, 1000)),
    Rule(("age_min",), "ages are between 0 and 30 years (onset before 18; ages at tacrolimus start up to 30)",
         _within(0, 30)),
    Rule(("age_max",), "ages are between 0 and 30 years (onset before 18; ages at tacrolimus start up to 30)",
         _within(0, 30)),
    Rule(("age_min", "age_max"), "the youngest age (age_min) is not above the oldest (age_max)",
         lambda given: given["age_min"][0] <= given["age_max"][0]),
    Rule(("sex_m", "sex_f", "n_patients"), "boys plus girls (sex_m + sex_f) are not more than the patients",
         lambda given: sum(given.get(name, [0])[0] for name in ("sex_m", "sex_f")) <= given["n_patients"][0],
         needs=("n_patients",)),
    Rule(("followup_months",), "follow-up is between 0 and 600 months, a range written low-high",
         lambda given: all(0 <= n <= 600 for n in given["followup_months"])
         and given["followup_months"] == sorted(given["followup_months"])),
)


def broken_rules(values: Mapping[str, str], fields: Sequence[str] | None = None) -> list[Rule]:
    """The rules a record's values (field -> value) break; only rules about one of `fields` if given."""
    return [rule for rule in RULES
            if (fields is None or set(rule.fields) & set(fields)) and rule.broken_by(values)]

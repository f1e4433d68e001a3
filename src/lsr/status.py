"""`lsr status`: what awaits the review team, read from the last run's outputs in a few lines.

Reads results/screening.tsv (records awaiting review, conflicts, the full-text stage: studies
proposed for Table 1 that await a reviewer's full-text decision), results/table1_marked.csv with
<data_dir>/table_versions.tsv (the published table version), results/search_log.tsv (last search),
results/extraction.tsv (values no reviewer has checked yet, those left unclear, records proposed
for inclusion) and <data_dir>/history/log.tsv (when the review state last changed), then says what
to do next. The data folder and the reviewers' files are the config's (config/config.yaml). Reads
only text files and imports no heavy library, so it answers at once; a missing file means that
stage has not run yet.
"""
from __future__ import annotations

from pathlib import Path

from .state import PROPOSAL_FIELDS, proposed_studies, table_hash
from .tsv import read_tsv, read_yaml
from .workflow import CONFIG_FILE, data_dir

DECISIONS = "config/screening/decisions"
REVIEWER_VALUES = "config/extraction/values"
"""The reviewers' folders (one file each) when the config does not name them."""
WORKSPACE = "`lsr review --reviewer <your name>` (or `make review REVIEWER=<your name>`)"


def _count(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def _rows(path: Path, required: list[str]) -> list[dict[str, str]] | None:
    return read_tsv(path, required=required) if path.exists() else None


def table_version(table1: Path, table_versions: Path) -> tuple[str, str] | None:
    """(date, hash) of the published Table 1: its content hash, dated by the version registry."""
    if not table1.exists():
        return None
    content_hash = table_hash(table1.read_bytes())
    versions = _rows(table_versions, ["version_date", "content_hash"]) or []
    dates = [row["version_date"] for row in versions if row["content_hash"] == content_hash]
    return (min(dates) if dates else "not yet registered", content_hash)


def review_paths(root: Path, config: Path | None = None) -> tuple[Path, str, str]:
    """(data folder, your decisions file, your values file) of the review in `root`, from its config file."""
    config = root / CONFIG_FILE if config is None else config
    settings = (read_yaml(config, "the workflow's config") if config.is_file() else None) or {}
    return (root / data_dir(settings),
            _own_file((settings.get("screening") or {}).get("decisions") or DECISIONS),
            _own_file((settings.get("extraction") or {}).get("reviewer_values") or REVIEWER_VALUES))


def _own_file(folder: str) -> str:
    """Where a reviewer writes: their file in the folder of per-reviewer files (or the one file named)."""
    return folder if folder.endswith(".tsv") else f"{folder.rstrip('/')}/<your name>.tsv"


def status_lines(root: Path, config: Path | None = None) -> list[str]:
    """The status report for the review in folder `root` (its config: root/config/config.yaml unless
    `config` names another), one line per item."""
    results = root / "results"
    data, decisions_file, values_file = review_paths(root, config)
    screening = _rows(results / "screening.tsv", ["record_id", "decision", "conflict"])
    if screening is None:
        return ["No screening results yet (results/screening.tsv is missing): the pipeline has not run "
                "in this folder, or stopped before screening (see results/logs/).",
                "Next step: run `make run` (bundled snapshot) or `lsr update --cores 2` "
                "(Snakemake), then `lsr status` again."]
    searches = _rows(results / "search_log.tsv", ["date", "source"]) or []
    awaiting = [row for row in screening if row["decision"] == "needs_review"]
    conflicts = [row for row in screening if row["conflict"] == "yes"]
    included = sum(row["decision"] == "include" for row in screening)
    lines = []
    if searches:
        last = searches[-1]
        logged = _count(len(searches), "search", "searches")
        lines.append(f"Last search:      {last['date']} ({last['source']}; {logged} logged)")
    else:
        lines.append("Last search:      none logged (results/search_log.tsv missing)")
    version = table_version(results / "table1_marked.csv", data / "table_versions.tsv")
    lines.append(f"Table 1 version:  {version[0]} · {version[1]}" if version
                 else "Table 1 version:  not built yet (results/table1_marked.csv missing)")
    history = _rows(data / "history" / "log.tsv", ["date", "state"])
    if history:
        lines.append(f"Review state:     {history[-1]['state']} since {history[-1]['date']} "
                     "(what changed: results/changes.md)")
    admitted = sum(row.get("full_text") == "include" for row in screening)
    lines.append(f"Records:          {len(screening)} screened, {included} included at title/abstract, "
                 f"{admitted} at full text (Table 1)")
    lines.append(f"Awaiting review:  {_count(len(awaiting), 'record')} (decision needs_review)")
    lines.append(f"Conflicts:        {_count(len(conflicts), 'record')} where reviewers disagree (conflict=yes)")
    extraction = _rows(results / "extraction.tsv", ["record_id", "field", "reviewer"])
    at_full_text = proposed_studies([{"pmid": "", "title": "", "full_text": "", **row} for row in screening],
                                    extraction or [])
    lines.append(f"Full text:        {_count(len(at_full_text), 'study', 'studies')} proposed for Table 1, awaiting "
                 "a reviewer's full-text decision (not in the table)")
    for study in at_full_text:
        values = study["values"]
        shown = ", ".join(f"{field} {values[field]}" for field in PROPOSAL_FIELDS if field in values)
        state = " (reviewers disagree)" if study["full_text"] == "conflict" else ""
        lines.append(f"                  - {values.get('study') or study['record_id']} ({study['record_id']}){state}"
                     + (f": {shown}" if shown else ""))
    records = _rows(results / "unique_records.tsv", ["record_id", "retracted", "erratum"]) or []
    included_ids = {row["record_id"] for row in screening if row["decision"] == "include"}
    flagged = [row for row in records
               if row["record_id"] in included_ids and (row["retracted"] == "yes" or row["erratum"])]
    if flagged:
        lines.append(f"WARNING:          {_count(len(flagged), 'included study', 'included studies')} retracted "
                     "or corrected: " + ", ".join(row["record_id"] for row in flagged))
    unchecked = [row for row in extraction or [] if not row["reviewer"]]
    unverified = [row for row in unchecked if row.get("status") != "proposed"]
    if extraction is not None:
        studies = len({row["record_id"] for row in unverified})
        lines.append(f"Unverified:       {_count(len(unverified), 'Table 1 value')} in "
                     f"{_count(studies, 'study', 'studies')} that no reviewer has checked")
        unclear = [row for row in unchecked if row.get("value") == "unclear"]
        if unclear:
            shown = ", ".join(f"{row['record_id']} {row['field']}" for row in unclear[:5])
            lines.append(f"Unclear:          {_count(len(unclear), 'value')} the machine could not settle, for a "
                         f"reviewer (`?` in Table 1): {shown}{', ...' if len(unclear) > 5 else ''}")
        proposed = {row["record_id"] for row in extraction if row.get("status") == "proposed"}
        if proposed:
            lines.append(f"Proposed:         {_count(len(proposed), 'record')} awaiting review with values extracted "
                         "to check (status proposed in results/extraction.tsv)")
    lines.append("")
    if flagged:
        lines.append("First: read the retraction or erratum notices (results/changes.md) and decide whether "
                     f"those studies stay in Table 1 (record the decision in {decisions_file}).")
    if awaiting or conflicts or at_full_text:
        lines.append(f"Next step: screen in the workspace, {WORKSPACE}: title/abstract queue, conflicts and "
                     f"full-text decisions, written to {decisions_file}; then rebuild (its button, or `make run`).")
    elif unverified:
        lines.append(f"Next step: check the unverified values in the workspace's value check, {WORKSPACE} "
                     f"(results/extraction.tsv keeps each value's sentence; corrections go to {values_file}), "
                     "then rebuild.")
    else:
        lines.append("Nothing awaits the team: the next scheduled update will look for new records.")
    return lines


def configure_cli(parser) -> None:
    parser.add_argument("--root", default=".", help="the review's folder (default: the current folder)")
    parser.add_argument("--configfile", help=f"the workflow's config (default: <root>/{CONFIG_FILE})")


def run_cli(args) -> int:
    print("\n".join(status_lines(Path(args.root), Path(args.configfile) if args.configfile else None)))
    return 0

"""Speed of the text layer (src/lsr/text.py) on one core: abstracts per second.

    .venv/bin/python bench/text_bench.py [--repeat 5] [--copies 50]

Reads the bundled PubMed snapshot and times, over `--copies` copies of its records (each copy
with its words shuffled between records' titles, and a copy-specific made-up word ending every
abstract sentence, new for every timed run, so the layer's caches of titles and sentences never
help), what screening asks of the text layer for every record: sentences of title, abstract, keywords and
journal, tokens, the eligibility concepts' lexicon (config/eligibility.yaml, with the
vocabularies it names) and the ConText modifier scopes of every mention. Then the same plus
screening's whole decision (lsr.screening.screen_record) and extraction's
(lsr.extraction.extract_record, on a fifth of the copies). CPU time (time.process_time), best of --repeat. Targets:
>= 2,000 abstracts/s for the text layer, 5,000 for screening and 1,000 for extraction.
"""
from __future__ import annotations

import argparse
import time
from collections import deque
from pathlib import Path

from lsr import extraction, screening, text
from lsr.records import collect_records

REPO = Path(__file__).resolve().parents[1]
TARGET = 2000
SCREENING_TARGET, EXTRACTION_TARGET = 5000, 1000      # issue 10, on one core
_LETTERS_FOR_DIGITS = str.maketrans("0123456789", "bcdfghjklm")


def text_layer(records, eligibility) -> int:
    """What screening asks of the text layer for each record (lsr.screening.RecordText): its
    sentences' tokens, the concepts' lexicon and the cues' over all of them, each sentence's scopes."""
    mentions = 0
    for record in records:
        spans = text.field_spans(record, screening.TEXT_FIELDS)
        if not spans:
            continue
        pieces = text.Pieces.of([span.norms for span in spans], [span.words for span in spans])
        cues = eligibility.modifiers.lexicon.find_each(pieces)
        for span, found, sentence_cues in zip(spans, eligibility.lexicon.find_each(pieces), cues):
            eligibility.modifiers.scope_of_words(span.norms, [(first, last) for _, first, last in found], sentence_cues)
            mentions += len(found)
    return mentions


def copies(base, count: int, run: int) -> list[dict]:
    """`count` copies of the records, their titles shuffled and a made-up word (unique to this copy
    and `run`; letters only, as a new word in a new record would be) ending every abstract sentence,
    so no cache of a title or a sentence helps."""
    records = []
    for copy in range(count):
        for number, record in enumerate(base):
            other = base[(number + copy) % len(base)]
            marker = f"zq{run}x{copy}w".translate(_LETTERS_FOR_DIGITS)
            records.append({**record, "title": f"{record['title']} {other['journal']} {marker}",
                            "abstract": record["abstract"].replace(". ", f" {marker}. ")})
    return records


def best_rate(function, base, count: int, repeat: int, measurement: int) -> float:
    """Records/s of `function`, best of `repeat` runs, each on records no earlier run has seen."""
    best, size = float("inf"), 0
    for run in range(repeat):
        records = copies(base, count, measurement * 100 + run)
        size = len(records)
        start = time.process_time()
        function(records)
        best = min(best, time.process_time() - start)
    return size / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--copies", type=int, default=50)
    args = parser.parse_args()
    eligibility = screening.load_eligibility(REPO / "config/eligibility.yaml",
                                             REPO / "workflow/schemas/eligibility.schema.yaml")
    base = [{**r, "record_id": f"pmid:{r['pmid']}"}
            for r in collect_records([REPO / "resources/snapshot/tacrolimus-jdm-2024.xml"])]
    print(f"{len(base) * args.copies} records ({len(base)} bundled abstracts x {args.copies}, every run on unseen "
          f"copies), best of {args.repeat}, one core")
    layer = best_rate(lambda rs: text_layer(rs, eligibility), base, args.copies, args.repeat, 1)
    print(f"text layer (sentences, tokens, concept lexicon, modifier scopes): {layer:,.0f} abstracts/s "
          f"(target >= {TARGET:,}: {'met' if layer >= TARGET else 'NOT met'})")
    # Each decision is dropped once made, as the screen stage writes its row and moves on.
    screen = best_rate(lambda rs: deque((screening.screen_record(r, eligibility) for r in rs), maxlen=0),
                       base, args.copies, args.repeat, 2)
    print(f"screening, whole decision (screen_record):                    {screen:,.0f} abstracts/s "
          f"(target >= {SCREENING_TARGET:,}: {'met' if screen >= SCREENING_TARGET else 'NOT met'})")
    extract = best_rate(lambda rs: deque(map(extraction.extract_record, rs), maxlen=0), base, max(1, args.copies // 5),
                        args.repeat, 3)
    print(f"extraction, all Table 1 fields (extract_record):              {extract:,.0f} abstracts/s "
          f"(target >= {EXTRACTION_TARGET:,}: {'met' if extract >= EXTRACTION_TARGET else 'NOT met'})")


if __name__ == "__main__":
    main()

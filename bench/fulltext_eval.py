"""Full texts measured: Table 1 read from the seed papers, and the JATS parser on real PMC articles.

    .venv/bin/python bench/fulltext_eval.py

1. The two seed papers (shared/seeds/*.txt), as text and as a PDF made from the text (fpdf2,
   as tests/test_fulltext.py makes it), read by the extraction stage (`lsr paper-values`) with no reviewer value:
   each of the 14 Table 1 fields (study label aside) against the shipped reviewer value:
   match, `unclear` (handed to a reviewer) or wrong.
2. The eight PMC articles of shared/ncbi/pmc: blocks, sections, paragraphs, table rows,
   captions, the non-space characters of body, abstract and floats not found in a block
   (0 = no text lost), and the words of <body>: the parser's blocks lie between a plain
   itertext() glued together (words across element boundaries merge) and one split at every
   element boundary ('H<sub>2</sub>O' counts 2).
"""
from __future__ import annotations

import csv
import sys
import tempfile
from collections import Counter
from pathlib import Path

from lxml import etree

from lsr.extraction import paper_findings
from lsr.fields import UNCLEAR
from lsr.papers import iter_jats_articles, read_document

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO / "tests"))
from test_fulltext import PMC_FILES, SEEDS, TABLE_FIELDS, body_words, make_pdf  # noqa: E402


def shipped_values() -> dict[str, dict[str, str]]:
    values: dict[str, dict[str, str]] = {}
    for path in sorted((REPO / "config" / "extraction").rglob("*.tsv")):
        lines = [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
        for row in csv.DictReader(lines, delimiter="\t"):
            if row["pmid"] in SEEDS:
                values.setdefault(row["pmid"], {})[row["field"]] = row["value"]
    return values


def seeds() -> None:
    shipped = shipped_values()
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("txt", "pdf"):
            for record, name in SEEDS.items():
                path = SHARED / "seeds" / name
                if kind == "pdf":
                    path = Path(folder) / name.replace(".txt", ".pdf")
                    make_pdf((SHARED / "seeds" / name).read_text(), path)
                found = paper_findings({"title": "", "publication_types": ""}, read_document(path))
                tally = Counter()
                print(f"\n{name} ({kind})")
                for field in TABLE_FIELDS:
                    value, expected = found[field][0], shipped[record][field]
                    verdict = "match" if value == expected else "unclear" if value == UNCLEAR else "WRONG"
                    tally[verdict] += 1
                    print(f"  {field:17} {value:30} reviewer {expected:30} {verdict}")
                print(f"  -> {tally['match']}/14 match, {tally['unclear']} unclear, {tally['WRONG']} wrong")


def articles() -> None:
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
    print(f"\n{'article':24} {'blocks':>6} {'sections':>8} {'paras':>5} {'rows':>5} {'capt':>4} "
          f"{'chars lost':>10}   body words: {'glued':>6} {'blocks':>6} {'split':>6}")
    for name in PMC_FILES:
        path = SHARED / "ncbi" / "pmc" / name
        article = etree.parse(str(path), parser).getroot()
        for identifier in list(article.iter("object-id")):
            identifier.getparent().remove(identifier)
        parts = [article.find("body"), *article.findall("front/article-meta/abstract"), article.find("floats-group")]
        plain = Counter(c for part in parts if part is not None for c in "".join(part.itertext()) if not c.isspace())
        [(_, document)] = list(iter_jats_articles(str(path), name))
        got = Counter(c for b in document.blocks for c in b.text if not c.isspace())
        got["|"] -= sum(len(b.cells) - 1 for b in document.blocks if b.kind == "table_row")
        kinds = Counter(b.kind for b in document.blocks)
        glued, blocks, split = body_words(article)
        print(f"{name:24} {len(document.blocks):6} {len({b.section for b in document.blocks}):8} "
              f"{kinds['paragraph']:5} {kinds['table_row']:5} {kinds['caption']:4} {sum((plain - got).values()):10}"
              f"   {'':11} {glued:6} {blocks:6} {split:6}")


if __name__ == "__main__":
    seeds()
    articles()

"""A fake NCBI E-utilities server for tests: esearch, epost and efetch over PubMed records.

It listens on 127.0.0.1 (a free port) in a thread and answers in NCBI's layout (the DOCTYPEs
of the real answers in shared/ncbi/). Tests set which PMIDs the query finds, which were
modified (datetype=mdat), script faults (HTTP status codes, truncated bodies, canned bodies),
and read back every request made (utility, parameters, time).
"""
from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from lxml import etree

ESEARCH_HEAD = (b'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC '
                b'"-//NLM//DTD esearch 20060628//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n')
EPOST_HEAD = (b'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE ePostResult PUBLIC '
              b'"-//NLM//DTD epost 20090526//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20090526/epost.dtd">')
EFETCH_HEAD = (b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
               b'1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
               b"<PubmedArticleSet>\n")
EFETCH_TAIL = b"</PubmedArticleSet>\n"


def split_articles(path: str | Path) -> dict[str, bytes]:
    """PMID -> the XML of its PubmedArticle, for every article of a PubMed XML file."""
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True))
    return {article.findtext("MedlineCitation/PMID"): etree.tostring(article, encoding="UTF-8",
                                                                      xml_declaration=False, with_tail=False)
            for article in tree.getroot().iterfind("PubmedArticle")}


class FakeEutils:
    """The fake server. `faults[utility]` is a list consumed one per request of that utility:
    an int (answer that HTTP status), "truncate" (a 200 whose body stops half-way), or bytes (a
    canned 200 body); `None` in the list lets a request through."""

    def __init__(self, articles: dict[str, bytes], found: list[str] | None = None,
                 translation: str = '"tacrolimus"[MeSH Terms] AND "dermatomyositis"[MeSH Terms]'):
        self.articles = dict(articles)
        self.found = list(found if found is not None else sorted(articles, key=int, reverse=True))
        self.modified: set[str] = set()
        self.translation = translation
        self.faults: dict[str, list] = {}
        self.requests: list[dict] = []
        self._history: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # A short poll: shutdown() returns within 0.02 s instead of serve_forever's default 0.5 s.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/entrez/eutils/"

    def __enter__(self) -> FakeEutils:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def calls(self, utility: str) -> list[dict]:
        return [r for r in self.requests if r["utility"] == utility]

    # --- answers ---------------------------------------------------------------------------------

    def _store(self, pmids: list[str]) -> tuple[str, str]:
        webenv = f"MCID_fake{len(self._history) + 1:06d}"
        self._history[webenv] = pmids
        return webenv, "1"

    def esearch(self, params: dict[str, str]) -> bytes:
        found = [p for p in self.found if p in self.modified] if params.get("datetype") == "mdat" else self.found
        start, size = int(params.get("retstart", 0)), int(params.get("retmax", 20))
        webenv, query_key = self._store(list(found))
        ids = "".join(f"<Id>{p}</Id>\n" for p in found[start:start + size])
        return ESEARCH_HEAD + (
            f"<eSearchResult><Count>{len(found)}</Count><RetMax>{min(size, len(found))}</RetMax>"
            f"<RetStart>{start}</RetStart><QueryKey>{query_key}</QueryKey><WebEnv>{webenv}</WebEnv>"
            f"<IdList>\n{ids}</IdList><TranslationSet/><QueryTranslation>{self.translation}</QueryTranslation>"
            "</eSearchResult>\n").encode()

    def epost(self, params: dict[str, str]) -> bytes:
        webenv, query_key = self._store([p for p in params.get("id", "").split(",") if p])
        return EPOST_HEAD + (f"<ePostResult>\n\t<QueryKey>{query_key}</QueryKey>\n"
                             f"\t<WebEnv>{webenv}</WebEnv>\n</ePostResult>\n").encode()

    def efetch(self, params: dict[str, str]) -> bytes:
        if "id" in params:
            pmids = params["id"].split(",")
        else:
            pmids = self._history[params.get("webenv") or params["WebEnv"]]
            start = int(params.get("retstart", 0))
            pmids = pmids[start:start + int(params.get("retmax", 20))]
        # Like NCBI: PMIDs that do not exist are left out silently.
        return EFETCH_HEAD + b"".join(self.articles[p] + b"\n" for p in pmids if p in self.articles) + EFETCH_TAIL

    def _handler(self):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self._answer(urlsplit(self.path).query)

            def do_POST(self):
                self._answer(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())

            def _answer(self, query: str):
                utility = urlsplit(self.path).path.rsplit("/", 1)[-1].removesuffix(".fcgi")
                params = {key: values[-1] for key, values in parse_qs(query).items()}
                with fake._lock:
                    fake.requests.append({"utility": utility, "params": params, "time": time.monotonic(),
                                          "method": self.command})
                    queue = fake.faults.get(utility, [])
                    fault = queue.pop(0) if queue else None
                    try:
                        body = fault if isinstance(fault, bytes) else getattr(fake, utility)(params)
                    except (AttributeError, KeyError) as error:
                        self._send(400, f"bad request: {error!r}".encode(), "text/plain")
                        return
                if isinstance(fault, int):
                    self._send(fault, b'{"error":"API rate limit exceeded"}' if fault == 429
                               else b"<html><body>Server Error</body></html>", "text/html")
                elif fault == "truncate":
                    self._send(200, body[: len(body) // 2])
                else:
                    self._send(200, body)

            def _send(self, status: int, body: bytes, content_type: str = "text/xml; charset=UTF-8"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

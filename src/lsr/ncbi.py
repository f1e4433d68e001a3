"""NCBI E-utilities through Bio.Entrez: settings, one session per run, calls retried with backoff.

Below the stages: the retrieval stage (PubMed searches) and the full-text stage (PubMed Central
articles) both reach NCBI through it.
"""
from __future__ import annotations

import http.client
import logging
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.error import HTTPError, URLError

from Bio import Entrez

from .tsv import InputError

log = logging.getLogger("lsr.ncbi")

NCBI_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"


class RetrievalError(InputError):
    """NCBI refused a request or sent something unusable. The run stops; nothing is dropped."""

    def __init__(self, where: str, problem: str):
        super().__init__(where, None, None, problem)


@dataclass(frozen=True)
class NcbiSettings:
    """How to reach E-utilities. The e-mail and API key are never logged or shown."""

    email: str = field(repr=False)
    api_key: str = field(default="", repr=False)
    eutils_url: str = NCBI_EUTILS_URL
    batch_size: int = 500
    max_tries: int = 5
    backoff_seconds: float = 2.0
    timeout_seconds: float = 120.0

    def __post_init__(self):
        if not self.email:
            raise RetrievalError("ncbi.email", "NCBI asks every E-utilities user for a contact e-mail: "
                                               "set ncbi.email in the config or NCBI_EMAIL in the environment")
        if not self.eutils_url.startswith(("http://", "https://")):
            raise RetrievalError("ncbi.eutils_url", f"'{self.eutils_url}' is not an http(s) URL")
        if self.batch_size < 1 or self.max_tries < 1:
            raise RetrievalError("ncbi", "batch_size and max_tries must be at least 1")


class _EutilsRoute(urllib.request.BaseHandler):
    """urllib request processor sending Bio.Entrez's requests to `base_url`, with a timeout.

    Bio.Entrez 1.88 hard-codes https://eutils.ncbi.nlm.nih.gov/entrez/eutils/<utility>.fcgi and
    calls urlopen(request) without a timeout. A `<protocol>_request` method is urllib's documented
    hook for preprocessing requests: here it swaps that prefix for the configured one (a mirror,
    or the local test server) and sets the timeout.
    """

    handler_order = 100  # before urllib's own processors, which take the Host header from the URL

    def __init__(self, base_url: str, timeout: float):
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout

    def https_request(self, request: urllib.request.Request) -> urllib.request.Request:
        if request.full_url.startswith(NCBI_EUTILS_URL):
            request.full_url = self.base_url + request.full_url[len(NCBI_EUTILS_URL):]
        request.timeout = self.timeout
        return request

    http_request = https_request


@contextmanager
def entrez_session(settings: NcbiSettings) -> Iterator[None]:
    """Bio.Entrez set up for one retrieval, and restored afterwards.

    Entrez keeps its own rate limit on every call (at least 0.37 s between requests without an
    API key, 0.1 s with one: NCBI allows 3 and 10 requests/s). Its own retry is switched off
    (max_tries=1): in 1.88 it retries HTTP 429/5xx at once, without waiting. `call` retries with
    exponential backoff instead, each try going through Entrez's rate limit again.
    """
    names = ("email", "api_key", "tool", "max_tries", "urlopen")
    saved = {name: getattr(Entrez, name) for name in names}
    Entrez.email = settings.email
    Entrez.api_key = settings.api_key or None
    Entrez.tool = "lsr"
    Entrez.max_tries = 1
    Entrez.urlopen = urllib.request.build_opener(
        _EutilsRoute(settings.eutils_url, settings.timeout_seconds)).open
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(Entrez, name, value)


def call(function, where: str, settings: NcbiSettings, **params) -> bytes:
    """One E-utility call through Bio.Entrez; the body as bytes.

    HTTP 429, 5xx and network errors (refused or dropped connections, timeouts, a body cut off
    mid-transfer) are retried after backoff_seconds * 2**(try - 1); other HTTP errors stop at once.
    Messages never carry the request URL (it holds the e-mail and API key).
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            handle = function(**params)
            try:
                body = handle.read()
            finally:
                handle.close()
            return body.encode("utf-8") if isinstance(body, str) else body
        except HTTPError as error:
            error.close()
            if error.code != 429 and not 500 <= error.code < 600:
                raise RetrievalError(where, f"NCBI answered HTTP {error.code} {error.reason}") from None
            problem = f"HTTP {error.code} {error.reason}"
        except (URLError, http.client.HTTPException, OSError) as error:
            problem = f"network error: {getattr(error, 'reason', None) or error!r}"
        if attempt >= settings.max_tries:
            raise RetrievalError(where, f"{problem}; gave up after {attempt} tries "
                                        "(finished batches are kept: rerun to resume)")
        delay = settings.backoff_seconds * 2 ** (attempt - 1)
        log.warning("%s: %s; retrying in %.2f s (try %d of %d)", where, problem, delay,
                    attempt + 1, settings.max_tries)
        time.sleep(delay)


def add_eutils_options(parser, batch_size: int, what: str) -> None:
    """The E-utilities options every live stage takes (retrieve, fulltext): mirror, batch, retries."""
    parser.add_argument("--eutils-url", default=NCBI_EUTILS_URL, help="E-utilities base URL (a mirror, tests)")
    parser.add_argument("--batch-size", type=int, default=batch_size, help=f"{what} per efetch request")
    parser.add_argument("--max-tries", type=int, default=5, help="tries per request (HTTP 429/5xx, network)")
    parser.add_argument("--backoff-seconds", type=float, default=2.0,
                        help="wait before the 2nd try; doubled for each further try")
    parser.add_argument("--timeout-seconds", type=float, default=120.0, help="per-request network timeout")
    parser.epilog = "The NCBI e-mail and API key are read from NCBI_EMAIL and NCBI_API_KEY only."

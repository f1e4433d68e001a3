"""`lsr review --reviewer NAME [--port N]`: the reviewer workspace, a local web app on 127.0.0.1.

Server-rendered pages (Flask + Jinja2 templates in lsr/templates, a little plain JavaScript for
the keys; no build step) over lsr.reviewing: the blind title/abstract queue at `/`, the
full-text queue, conflicts, the value check, a form to add a study from another source, and a
rebuild button that reruns the workflow. It writes only NAME's files (appending whole rows under
a lock) and the other source the config marks `added_by_reviewers`; never anything under results/ (the rebuild
runs the pipeline, which does).

Contract: `lsr review --reviewer NAME --port N` serves the title/abstract queue at
http://127.0.0.1:N/; pressing `i` there includes the record shown and appends the row to
config/screening/decisions/NAME.tsv.
"""
from __future__ import annotations

import re
import secrets
import subprocess
import sys
import threading
from pathlib import Path

from flask import Flask, abort, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from . import reviewers, screening
from .fields import NAMES as FIELDS, SOURCES
from .reviewers import FULL_TEXT, TITLE_ABSTRACT
from .reviewing import Review
from .state import PROPOSAL_FIELDS
from .tsv import InputError

STAGE_PAGES = {TITLE_ABSTRACT: "title_abstract", FULL_TEXT: "full_text"}
STAGE_NAMES = {TITLE_ABSTRACT: "Title/abstract", FULL_TEXT: "Full text"}
_PROGRESS = re.compile(r"(\d+) of (\d+) steps \((\d+)%\) done")


def highlight(text: str, spans) -> Markup:
    """`text` escaped, with each span (lsr.screening.Highlight) marked by its criterion's status."""
    out, at = [], 0
    for span in spans:
        if span.start < at:
            continue
        out.append(escape(text[at:span.start]))
        out.append(Markup('<mark class="{}" title="{}">{}</mark>').format(
            span.status, f"{span.criterion}: {span.status}", text[span.start:span.end]))
        at = span.end
    out.append(escape(text[at:]))
    return Markup("").join(out)


def mark_value(evidence: str, value: str) -> Markup:
    """The evidence sentence with the value's words highlighted where they occur in it."""
    if not evidence or not value or value in ("NR", "unclear"):
        return escape(evidence)
    words = [re.escape(w) for w in re.split(r"[;,\s]+", value) if len(w) > 1 or w.isdigit()]
    if not words:
        return escape(evidence)
    pattern = re.compile(r"(?<!\w)(" + "|".join(sorted(words, key=len, reverse=True)) + r")(?!\w)", re.I)
    out, at = [], 0
    for match in pattern.finditer(evidence):
        out += [escape(evidence[at:match.start()]), Markup("<mark class='value'>{}</mark>").format(match.group())]
        at = match.end()
    out.append(escape(evidence[at:]))
    return Markup("").join(out)


class Rebuild:
    """One run of the workflow at a time, its output kept for the progress page."""

    def __init__(self, root: Path, cores: int):
        self.root, self.cores = root, cores
        self.process: subprocess.Popen | None = None
        self.lines: list[str] = []
        self.lock = threading.Lock()

    def start(self) -> bool:
        with self.lock:
            if self.process is not None and self.process.poll() is None:
                return False
            self.lines = []
            self.process = subprocess.Popen([sys.executable, "-m", "snakemake", "--cores", str(self.cores)],
                                            cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                            text=True)
            threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
            return True

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))
        process.wait()

    def status(self) -> dict:
        process = self.process
        running = process is not None and process.poll() is None
        done = [m for m in map(_PROGRESS.search, self.lines) if m]
        if process is None:
            state = "idle"
        elif running:
            state = "running"
        else:
            state = "finished" if process.returncode == 0 else "failed"
        percent = int(done[-1].group(3)) if done else (100 if state == "finished" else 0)
        return {"state": state, "percent": percent, "returncode": None if running or process is None
                else process.returncode, "log": "\n".join(self.lines[-60:])}


def create_app(root: str | Path, reviewer: str, cores: int = 2) -> Flask:
    """The workspace of `reviewer` on the review in folder `root`."""
    root = Path(root).resolve()
    app = Flask(__name__)
    token = secrets.token_urlsafe(16)
    rebuild = Rebuild(root, cores)
    cache: dict = {}
    watched = [root / "results/unique_records.tsv", root / "results/extraction.tsv",
               root / "results/fulltext/availability.tsv"]

    def review() -> Review:
        """The review, reloaded when a rebuild changed the results it reads."""
        stamp = tuple(path.stat().st_mtime_ns if path.exists() else 0 for path in watched)
        if cache.get("stamp") != stamp:
            cache["review"], cache["stamp"] = Review.load(root), stamp
        return cache["review"]

    reviewers.reviewer_file(review().decisions_dir, reviewer)   # a name fit for a file name, or stop now

    @app.before_request
    def check_token():
        if request.method == "POST" and request.form.get("token") != token:
            abort(403)

    @app.context_processor
    def common():
        current = review()
        return {"reviewer": reviewer, "token": token, "stage_names": STAGE_NAMES,
                "conflict_count": len(current.conflicts()),
                "queue_sizes": {stage: len(current.queue(reviewer, stage)) for stage in reviewers.STAGES},
                # The review's files the pages name, as the config places them.
                "files": {"decisions": shown(reviewers.reviewer_file(current.decisions_dir, reviewer)),
                          "supplied": shown(current.supplied_papers),
                          "added": shown(current.added_ris) if current.added_ris else None}}

    def shown(path: Path) -> str:
        """A path of the review as the pages show it: relative to the review's folder."""
        return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)

    @app.errorhandler(InputError)
    def bad_input(error: InputError):
        if request.accept_mimetypes.best == "application/json":
            return jsonify(ok=False, error=error.problem, field=error.field), 400
        return render_template("error.html", error=error), 400

    def screen(stage: str):
        current = review()
        queue = current.queue(reviewer, stage)
        wanted = request.args.get("record")
        asked = request.args.get("at", "0")
        at = queue.index(wanted) if wanted in queue else min(int(asked) if asked.isdigit() else 0,
                                                               max(len(queue) - 1, 0))
        decided, left = current.progress(reviewer, stage)
        context = {"stage": stage, "page": STAGE_PAGES[stage], "decided": decided, "left": left, "at": at,
                   "queue": queue, "reasons": current.reasons(stage), "record": None}
        if queue:
            record = current.record(queue[at])
            rules, results, spans = screening.explain(record, current.eligibility)
            context.update(
                record=record, rules=rules, results=[r for r in results if r.status != "n/a"],
                title=highlight(record.get("title", ""), [s for s in spans if s.field == "title"]),
                abstract=highlight(record.get("abstract", ""), [s for s in spans if s.field == "abstract"]),
                cells=current.field_cells(record["record_id"]) if stage == FULL_TEXT else {},
                proposal_fields=("study", *PROPOSAL_FIELDS),
                availability=current.availability.get(record["record_id"]))
        return render_template("screen.html", **context)

    @app.get("/")
    def title_abstract():
        return screen(TITLE_ABSTRACT)

    @app.get("/full-text")
    def full_text():
        return screen(FULL_TEXT)

    def back_to(stage: str, **args):
        endpoint = "title_abstract" if stage == TITLE_ABSTRACT else "full_text"
        target = request.form.get("back") or url_for(endpoint, **args)
        return redirect(target if target.startswith("/") else url_for(endpoint), code=303)

    @app.post("/decide")
    def decide():
        form = request.form
        stage = form.get("stage", TITLE_ABSTRACT)
        review().decide(reviewer, form["record_id"], stage, form["decision"], form.get("reason", ""),
                        form.get("note", ""), final=form.get("final") == "yes")
        return back_to(stage)

    @app.post("/undo")
    def undo():
        stage = request.form.get("stage", TITLE_ABSTRACT)
        record_id = review().undo(reviewer, stage)
        endpoint = "title_abstract" if stage == TITLE_ABSTRACT else "full_text"
        return redirect(url_for(endpoint, record=record_id) if record_id else url_for(endpoint), code=303)

    @app.get("/conflicts")
    def conflicts():
        current = review()
        return render_template("conflicts.html", conflicts=current.conflicts(),
                               reasons={stage: current.reasons(stage) for stage in reviewers.STAGES},
                               titles={r["record_id"]: r.get("title", "") for r in current.records})

    @app.get("/values")
    def studies():
        return render_template("studies.html", studies=review().studies(reviewer))

    @app.get("/values/<path:record_id>")
    def values(record_id: str):
        current = review()
        try:
            record = current.record(record_id)
        except KeyError:
            abort(404)
        cells = current.field_cells(record_id)
        return render_template("values.html", record=record, cells=[cells[f] for f in FIELDS], sources=SOURCES,
                               marked={f: mark_value(c["evidence"], c["value"]) for f, c in cells.items()},
                               full_text=next((row["full_text"] for row in current.rows()
                                               if row["record_id"] == record_id), ""))

    @app.post("/value")
    def value():
        form = request.form
        current = review()
        # Checked like the pipeline checks the file before anything is written; the error goes back to the page.
        current.set_value(reviewer, form["record_id"], form["field"], form.get("value", ""),
                          form.get("source", "abstract"), form.get("note", ""))
        if request.accept_mimetypes.best == "application/json":
            cell = current.field_cells(form["record_id"])[form["field"]]
            return jsonify(ok=True, value=cell["value"], state=cell["state"])
        return redirect(url_for("values", record_id=form["record_id"]), code=303)

    @app.route("/add", methods=["GET", "POST"])
    def add():
        added = None
        if request.method == "POST":
            form = request.form
            added = review().add_study(reviewer, form.get("title", ""), form.get("authors", "").splitlines(),
                                       form.get("year", ""), form.get("journal", ""), form.get("abstract", ""),
                                       form.get("doi", ""), form.get("note", ""))
        return render_template("add.html", added=added)

    @app.route("/rebuild", methods=["GET", "POST"])
    def rebuild_page():
        if request.method == "POST":
            rebuild.start()
            return redirect(url_for("rebuild_page"), code=303)
        return render_template("rebuild.html", status=rebuild.status())

    @app.get("/rebuild/status")
    def rebuild_status():
        return jsonify(rebuild.status())

    @app.get("/prisma")
    def prisma():
        path = root / "results/prisma.svg"
        svg = Markup(path.read_text(encoding="utf-8").split("?>", 1)[-1]) if path.exists() else None
        return render_template("prisma.html", svg=svg)

    return app


def serve(root: str | Path, reviewer: str, port: int, cores: int = 2) -> None:
    """Serve the workspace on http://127.0.0.1:<port>/ until interrupted."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", port, create_app(root, reviewer, cores), threaded=True)
    print(f"lsr review: {reviewer}'s workspace on http://127.0.0.1:{server.port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def configure_cli(parser) -> None:
    parser.add_argument("--reviewer", required=True, help="your name: your decisions and values go to <name>.tsv")
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default: %(default)s)")
    parser.add_argument("--root", default=".", help="the review's folder (default: the current folder)")
    parser.add_argument("--cores", type=int, default=2, help="cores for the rebuild button's workflow run")


def run_cli(args) -> int:
    serve(args.root, args.reviewer, args.port, args.cores)
    return 0

# Two commands from a fresh clone: `make run` (pipeline on the bundled snapshot) and `make test`.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
CORES ?= 2
PORT ?= 8765

.PHONY: run test test-fast report status review bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/snakemake --cores $(CORES)

test: $(STAMP)
	$(VENV)/bin/pytest

# The fast lane: everything but the end-to-end Snakemake runs (marked e2e).
test-fast: $(STAMP)
	$(VENV)/bin/pytest -m "not e2e"

report: run
	$(VENV)/bin/snakemake --cores $(CORES) --report results/report.html --report-metadata workflow/report/metadata.yaml

status: $(STAMP)
	$(VENV)/bin/lsr status

# The reviewer workspace in the browser: make review REVIEWER=yourname [PORT=8765]
review: $(STAMP)
	@test -n "$(REVIEWER)" || { echo "usage: make review REVIEWER=yourname [PORT=$(PORT)]" >&2; exit 2; }
	$(VENV)/bin/lsr review --reviewer '$(REVIEWER)' --port $(PORT) --cores $(CORES)

bench: $(STAMP)
	$(VENV)/bin/python bench/records_bench.py
	$(VENV)/bin/python bench/evaluate.py
	$(VENV)/bin/python bench/text_bench.py
	$(VENV)/bin/python bench/fulltext_eval.py
	$(VENV)/bin/python bench/pipeline_bench.py

clean:
	rm -rf results .snakemake

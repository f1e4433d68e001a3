# Pages for `snakemake --report results/report.html`: it shows HTML, SVG and PDF results on the
# page (Table 1, the PRISMA diagram and the evidence figure are marked in their own stages) and
# offers other files only as downloads, so changes.md, the search log and the screening summary
# get HTML pages here. Categories are numbered in the order readers need them (the report sorts
# them by name): 1. Table 1, 2. PRISMA flow, 3. Changes, 4. Evidence over time, 5. Search, 6. Screening.


rule report_search_log:
    """The search log as a page, refreshed after every search (`retrieve` appends the log, so
    the log itself cannot be a rule output)."""
    input:
        manifest=rules.retrieve.output.manifest,
    output:
        report("results/report/search_log.html", caption="../report/search_log.rst", category="5. Search"),
    params:
        lsr=LSR,
        search_log="results/search_log.tsv",
    log:
        "results/logs/report_search_log.log",
    localrule: True
    conda:
        CONDA_ENV
    shell:
        "{params.lsr} --log {log:q} report-page --tsv {params.search_log:q} --title 'Search log' --out {output:q}"


rule report_screening_summary:
    """The screening summary as a page."""
    input:
        summary=rules.screen.output.summary,
    output:
        report("results/report/screening_summary.html", caption="../report/screening_summary.rst",
               category="6. Screening"),
    params:
        lsr=LSR,
    log:
        "results/logs/report_screening_summary.log",
    localrule: True
    conda:
        CONDA_ENV
    shell:
        "{params.lsr} --log {log:q} report-page --markdown {input.summary:q} --title 'Screening summary' --out {output:q}"


rule report_changes:
    """What changed since the previous Table 1 version, as a page."""
    input:
        changes=rules.changes.output.changes,
    output:
        report("results/report/changes.html", caption="../report/changes.rst", category="3. Changes"),
    params:
        lsr=LSR,
    log:
        "results/logs/report_changes.log",
    localrule: True
    conda:
        CONDA_ENV
    shell:
        "{params.lsr} --log {log:q} report-page --markdown {input.changes:q} --title 'Changes' --out {output:q}"


PUBLISHED += [rules.report_search_log.output[0], rules.report_screening_summary.output[0],
              rules.report_changes.output[0]]

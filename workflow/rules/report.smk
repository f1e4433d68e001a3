# Pages for `snakemake --report results/report.html`: it shows HTML, SVG and PDF results on the
# page (Table 1 and the PRISMA diagram are marked in their own stages) and offers other files
# only as downloads, so the search log and the screening summary get HTML pages here.


rule report_search_log:
    """The search log as a page, refreshed after every search (`retrieve` appends the log, so
    the log itself cannot be a rule output)."""
    input:
        manifest=rules.retrieve.output.manifest,
    output:
        report("results/report/search_log.html", caption="../report/search_log.rst", category="1. Search"),
    params:
        search_log="results/search_log.tsv",
    log:
        "results/logs/report_search_log.log",
    localrule: True
    shell:
        "{LSR} --log {log:q} report-page --tsv {params.search_log:q} --title 'Search log' --out {output:q}"


rule report_screening_summary:
    """The screening summary as a page."""
    input:
        summary=rules.screen.output.summary,
    output:
        report("results/report/screening_summary.html", caption="../report/screening_summary.rst",
               category="2. Screening"),
    log:
        "results/logs/report_screening_summary.log",
    localrule: True
    shell:
        "{LSR} --log {log:q} report-page --markdown {input.summary:q} --title 'Screening summary' --out {output:q}"


PUBLISHED += [rules.report_search_log.output[0], rules.report_screening_summary.output[0]]

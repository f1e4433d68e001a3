"""Living systematic review of systemic tacrolimus in juvenile dermatomyositis.

One module per pipeline stage, named like its rule file (workflow/rules/<stage>.smk): retrieval,
records, sources, screening, fulltext, prisma, extraction, table1, changes, report. Below the
stages: text, fields, papers, pubmed, ncbi, parallel, references, evidence, pages, reviewers,
state, checks, tsv and workflow (the rules' helpers); around the workflow: cli, status, update,
workspace, reviewing.
"""

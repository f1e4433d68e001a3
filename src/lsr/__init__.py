"""Living systematic review of systemic tacrolimus in juvenile dermatomyositis.

One module per pipeline stage: retrieval, records, sources, screening, reviewers,
extraction, tables, prisma, living; `tsv` holds the shared file I/O.
"""

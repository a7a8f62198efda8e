"""The Excel ledger (台账): templates, imports with per-row errors, masked exports.

- `columns`: the columns of each ledger and the values they accept (one source for the
  template, the importer and the exporter, so an export can be re-imported).
- `reader`: opens an upload (xlsx via openpyxl read-only, or CSV), checks it as a whole and
  streams its rows.
- `importer`: starts an import job and runs it in batches, each in its own transaction;
  `residents` and `buildings` check and write the rows of each ledger (`rows`: shared parts).
- `template` / `exporter`: write workbooks.
- `sample`: made-up ledgers for tests and the benchmark.
"""

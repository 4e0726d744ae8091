"""The bulk path of every sale that enters Pacte (files, API batches, samples, the demo).

Never one query per row:

1. ``prepare`` (pure Polars, per slice): parse and validate the mapped columns with their line
   numbers, resolve credits (split column, seller column, crediting rules, overlays), the
   seller's team on the day of the sale (an as-of join on dated placements) and the amount of
   every credit (largest remainder, so split amounts sum exactly to the sale).
2. Storage, one of two ways (``pacte.sales.import_jobs.run_import`` chooses):

   - ``Direct`` (PostgreSQL, a source with no sale in the workspace yet, so every row is new):
     each valid slice is copied straight into ``sales_sale`` and ``sales_credit`` by a writer
     thread while the next slice is validated, inside ONE transaction that spans the import;
     the cube delta is summed in Polars and applied once at the end. When the installation
     holds no sale at all, the tables' keys and indexes (but the sale's primary key) are
     dropped first and built again after the rows, in the same transaction
     (``Direct.defer_indexes``).
   - ``Stage`` (otherwise, and always on SQLite): valid rows go to two temporary tables
     (``COPY`` / batched ``executemany``) outside any transaction, then ``Stage.merge`` — ONE
     transaction: set-based insert of new sales, update of changed ones (with audit events),
     credits replaced, cube updated by deltas.

Either all of it or nothing: a process killed at any point leaves nothing or the whole import;
running the job again starts over from the file (temporary tables and an open transaction die
with the connection).

Modules: ``context`` (the workspace's channels, sellers, placements and rules, read once),
``sources`` (file chunks, API records), ``prepare``, ``stage`` and ``direct``; the cube's
deltas are in :mod:`pacte.sales.cube`.
"""

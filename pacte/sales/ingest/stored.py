"""The (external id, row hash) pairs of a source's stored sales, as a sorted index that a slice
of prepared rows is looked up in at once: a data source's full reconciliation counts the rows
it reads as they are stored without staging them, with no dict and no lookup per row."""

from __future__ import annotations

import numpy as np
import polars as pl

#: Seed of the 64-bit hash the pairs are sorted by (any constant: it never leaves the process).
SEED = 0x5EED_51D


class StoredPairs:
    """``external_id`` → ``row_hash`` of the stored sales, sorted by a hash of the id.

    ``same`` binary-searches a slice's id hashes and compares the id and row hash found there
    exactly: a row is never taken for stored when it is not. Two stored ids with the same
    64-bit hash (about one pair in 10^7 sources of a million sales) may hide one of them: that
    row is then looked up by the merge, which finds it unchanged, as without this index."""

    def __init__(self, known: pl.DataFrame) -> None:
        keyed = known.select(
            pl.col("external_id").hash(SEED).alias("key"), "external_id", "row_hash"
        ).sort("key")
        self._keys = keyed.get_column("key").to_numpy()
        self._ids = keyed.get_column("external_id")
        self._hashes = keyed.get_column("row_hash")

    def __len__(self) -> int:
        return len(self._keys)

    def same(self, ids: pl.Series, hashes: pl.Series) -> pl.Series:
        """True where (``ids``, ``hashes``) is a stored pair, row by row (null ids: False)."""
        if len(self) == 0 or ids.len() == 0:
            return pl.Series("same", [False] * ids.len(), dtype=pl.Boolean)
        found = np.searchsorted(self._keys, ids.hash(SEED).to_numpy())
        at = pl.Series("at", np.minimum(found, len(self) - 1))
        same = (self._ids.gather(at) == ids) & (self._hashes.gather(at) == hashes)
        return same.fill_null(False).alias("same")

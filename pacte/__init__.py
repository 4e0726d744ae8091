"""Pacte: self-set sales objectives in a flat organisation."""

import os

# Polars allocates through its own jemalloc, which by default keeps freed pages for seconds:
# between the chunks of an import that is the previous chunk's memory. Returning them at once
# lowers an import's peak memory (1M rows: 385 -> 350 MB) for about 4% more time. Read by
# jemalloc when Polars is first loaded, so it is set here, before anything imports Polars; an
# operator's own setting wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")

"""``make bench``: run every ``bench/bench_*.py``, print a table, write ``bench/results.json``.

Each module exposes ``run(quick: bool) -> list[Figure]``. Django is set up on a throwaway SQLite
database in a temporary folder (benchmarks that need PostgreSQL open their own database).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def setup_django(tmp: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pacte.settings")
    os.environ["PACTE_VAR_DIR"] = tmp
    os.environ.pop("DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="reduced sizes, under a minute")
    parser.add_argument("only", nargs="*", help="module names to run (e.g. bench_demo)")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE.parent))
    tmp = tempfile.mkdtemp(prefix="pacte-bench-")
    setup_django(tmp)
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if args.only:
        modules = [m for m in modules if m in args.only]
    results: list[dict[str, object]] = []
    failures = 0
    for name in modules:
        start = time.perf_counter()
        print(f"== {name}", flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            figures = module.run(args.quick)
        except Exception:
            traceback.print_exc()
            failures += 1
            continue
        for figure in figures:
            results.append({"module": name, **figure.as_dict()})
        print(f"   ({time.perf_counter() - start:.1f} s)", flush=True)
    print()
    header = f"{'figure':<58} {'value':>12} {'unit':<6} {'baseline':>12} {'ratio':>7}  {'target':<18} holds"
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
        print(
            f"{str(r['name'])[:58]:<58} {r['value']:>12.4g} {r['unit']:<6} "
            f"{r['baseline_value']:>12.4g} {ratio:>7}  {str(r['target'])[:18]:<18} "
            f"{'yes' if r['holds'] else 'NO'}"
        )
    out = HERE / "results.json"
    out.write_text(json.dumps({"quick": args.quick, "figures": results}, indent=2))
    print(f"\nWrote {out.relative_to(HERE.parent)} ({len(results)} figures).")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""Natural order in Python (common/text.py ``natural_key``) against the plain text sort, on a campaign's
list of organizations at national scale (issue 19 §4: «СОШ № 2» before «СОШ № 10»).

The campaign page's per-school table and the missing list read every submission of the campaign
anyway; this measures what sorting them in natural order in Python adds. No database.

    .venv/bin/python bench/bench_natural_sort.py [--rows 40000]
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.text import natural_key  # noqa: E402

KINDS = ["МБОУ «СОШ № {n}»", "МБОУ «Гимназия № {n}»", "МАОУ «Лицей № {n}»", "МБДОУ «Детский сад № {n}»"]


def names(count: int, seed: int = 7) -> list[tuple[str, str]]:
    """(municipality, organization): 2,000 municipalities, every organization's name its own."""
    rng = random.Random(seed)
    return [
        (
            f"Муниципальный район {rng.randint(1, 2000)}",
            rng.choice(KINDS).format(n=rng.randint(1, 200)) + f" села Новое-{i}",
        )
        for i in range(count)
    ]


def timed(sort, rows, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        sort(list(rows))
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=40000)
    rows = names(parser.parse_args().rows)
    plain = timed(lambda r: r.sort(), rows)
    natural = timed(lambda r: r.sort(key=lambda x: (natural_key(x[0]), natural_key(x[1]))), rows)
    natural_key.cache_clear()
    print(f"rows: {len(rows):,}")
    print(f"text sort (baseline): {plain * 1000:.1f} ms")
    print(f"natural sort:         {natural * 1000:.1f} ms  ({natural / plain:.1f}× the baseline)")


if __name__ == "__main__":
    main()

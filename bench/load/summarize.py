"""Print the load test's figures from locust's CSV files, with the verdict against the load targets.

    python bench/load/summarize.py OUT/locust_stats.csv OUT/locust_failures.csv OUT/uptime.log

Targets: ≥ 100 requests/s, p95 ≤ 500 ms and no errors overall (docs/reliability.md #56); saves
p95 ≤ 800 ms and an error rate under 0.1 % (#57). A kind's p95 is the worst p95 of its request
names (locust keeps no merged histogram per kind in its CSV): conservative.
"""

import argparse
import csv
import json
import sys
from pathlib import Path

TARGET_RPS, TARGET_P95, TARGET_SAVE_P95, TARGET_ERROR_RATE = 100.0, 500.0, 800.0, 0.001


def ms(value: str) -> float:
    return 0.0 if value in ("N/A", "") else float(value)


def kind(method: str, name: str) -> str:
    if name.startswith("export"):
        return "exports"
    if method == "POST" and name.startswith("save"):
        return "saves"
    if name.startswith("login"):
        return "logins"
    return "reads"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stats", type=Path)
    parser.add_argument("failures", type=Path)
    parser.add_argument("uptime", type=Path, nargs="?")
    parser.add_argument("--cpu", type=Path)
    parser.add_argument("--users", type=int, default=0)
    parser.add_argument("--measure", type=int, default=0)
    args = parser.parse_args(argv)
    rows = list(csv.DictReader(args.stats.open(encoding="utf-8")))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    rows = [r for r in rows if r["Name"] != "Aggregated" and int(r["Request Count"])]

    print(
        f"{'kind / request':<34} {'reqs':>7} {'fail':>5} {'req/s':>7} "
        f"{'p50':>6} {'p95':>6} {'p99':>6} {'max':>7}"
    )
    kinds: dict[str, list[dict]] = {}
    for row in rows:
        kinds.setdefault(kind(row["Type"], row["Name"]), []).append(row)
    count = int(total["Request Count"])
    for name in ("reads", "saves", "exports", "logins"):
        members = kinds.get(name, [])
        if not members:
            continue
        n = sum(int(r["Request Count"]) for r in members)
        print(
            f"{name.upper():<34} {n:>7} {sum(int(r['Failure Count']) for r in members):>5} "
            f"{sum(float(r['Requests/s']) for r in members):>7.1f} {'':>6} "
            f"{max(ms(r['95%']) for r in members):>6.0f} {max(ms(r['99%']) for r in members):>6.0f} "
            f"{max(float(r['Max Response Time']) for r in members):>7.0f}"
            f"   ({100 * n / count:.0f} % of requests)"
        )
        for r in sorted(members, key=lambda r: r["Name"]):
            print(
                f"  {r['Type'] + ' ' + r['Name']:<32} {r['Request Count']:>7} {r['Failure Count']:>5} "
                f"{float(r['Requests/s']):>7.1f} {ms(r['50%']):>6.0f} {ms(r['95%']):>6.0f} "
                f"{ms(r['99%']):>6.0f} {float(r['Max Response Time']):>7.0f}"
            )
    rps, p95 = float(total["Requests/s"]), ms(total["95%"])
    failures = int(total["Failure Count"])
    print(
        f"{'ALL':<34} {count:>7} {failures:>5} {rps:>7.1f} {ms(total['50%']):>6.0f} {p95:>6.0f} "
        f"{ms(total['99%']):>6.0f} {float(total['Max Response Time']):>7.0f}"
    )
    if args.failures.exists():
        for row in csv.DictReader(args.failures.open(encoding="utf-8")):
            print(f"  failure ×{row['Occurrences']}: {row['Method']} {row['Name']}: {row['Error']}")
    if args.uptime and args.uptime.exists():
        loads = [float(line.split()[0]) for line in args.uptime.read_text().splitlines() if line.strip()]
        if loads:
            print(f"load average (1 min) during the measurement: {min(loads):.2f} – {max(loads):.2f}")

    rate = failures / max(count, 1)
    if args.cpu and args.cpu.exists():
        cpu = json.loads(args.cpu.read_text())
        n = max(cpu["requests"], 1)
        server = cpu["gunicorn"] + cpu["postgres"]
        print(
            f"CPU per request: {1000 * server / n:.1f} ms on the server"
            f" (gunicorn {1000 * cpu['gunicorn'] / n:.1f}"
            f" + PostgreSQL {1000 * cpu['postgres'] / n:.1f}), locust {1000 * cpu['locust'] / n:.1f} ms;"
            f" 2 dedicated cores would serve ≈ {2 * n / max(server, 1e-9):.0f} req/s"
            f" ({2 * n / max(server + cpu['locust'], 1e-9):.0f} with locust on them)"
        )
    save_p95 = max((ms(r["95%"]) for r in kinds.get("saves", [])), default=0.0)
    checks = [
        (f"throughput {rps:.1f} req/s ≥ {TARGET_RPS:.0f}", rps >= TARGET_RPS),
        (f"p95 {p95:.0f} ms ≤ {TARGET_P95:.0f}", p95 <= TARGET_P95),
        (f"errors {failures} = 0", failures == 0),
        (f"error rate {100 * rate:.3f} % < 0.1 %", rate < TARGET_ERROR_RATE),
        (f"saves p95 {save_p95:.0f} ms ≤ {TARGET_SAVE_P95:.0f}", save_p95 <= TARGET_SAVE_P95),
    ]
    header = f"{args.users} users, {args.measure} s measured after the ramp" if args.users else ""
    print(header)
    for label, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {label}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())

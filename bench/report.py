"""Judging a benchmark run against its targets, and the Markdown table of bench/results/latest.md."""
from __future__ import annotations

from typing import Any

from bench.targets import BOOKING_P95_MS, FEED_FACTOR, IMPORT_TARGET_S, PAGE_P95_MS, REBUILD_S

KIND_NAMES = {"baseline": "baseline", "page": "page", "write": "action", "feed": "cached feed",
              "conditional": "304", "extra": "action, extra row (not judged)"}


def _judge(entry: dict[str, Any], base: dict[str, Any] | None) -> tuple[bool | None, str]:
    """(holds, why) for one endpoint; None when there is nothing to judge."""
    kind = entry.get("kind")
    if entry.get("status") == "timeout" and kind in ("page", "write", "feed", "conditional"):
        return False, entry.get("reason", "")
    if entry.get("status") != "ok":
        return None, entry.get("reason", entry.get("status", ""))
    if entry.get("runs"):  # booking: the slowest of its runs
        p95s = [run["p95_ms"] for run in entry["runs"]]
        return max(p95s) < BOOKING_P95_MS, f"p95 {' / '.join(f'{p:.0f}' for p in p95s)} ms vs {BOOKING_P95_MS:.0f} ms"
    if kind in ("page", "write"):
        return entry["p95_ms"] < PAGE_P95_MS, f"p95 {entry['p95_ms']:.0f} ms vs {PAGE_P95_MS:.0f} ms"
    base = entry.get("baseline") or base
    if kind in ("feed", "conditional") and base and base.get("p50_ms"):
        p50 = entry["p50_ms"] / base["p50_ms"]
        p95 = entry["p95_ms"] / base["p95_ms"]
        holds = p50 <= FEED_FACTOR and p95 <= FEED_FACTOR
        return holds, f"{p50:.1f}× / {p95:.1f}×"
    return None, ""


def verdicts(run: dict[str, Any]) -> dict[str, Any]:
    """Which targets hold in one run, endpoint by endpoint and overall."""
    results = run["results"]
    base = results.get("health")
    per_endpoint = {}
    for key, entry in results.items():
        holds, why = _judge(entry, base)
        per_endpoint[key] = {"holds": holds, "why": why}
    judged = {k for k, v in per_endpoint.items() if v["holds"] is not None}
    pages = [k for k, e in results.items() if e.get("kind") in ("page", "write") and k in judged]
    feeds = [k for k, e in results.items() if e.get("kind") in ("feed", "conditional") and k in judged]
    rebuild = run.get("rebuild", {}).get("whole_expo_feed", {}).get("seconds_median")
    return {
        "endpoints": per_endpoint,
        "pages_p95": {"holds": all(per_endpoint[k]["holds"] for k in pages) if pages else None,
                      "failing": [k for k in pages if not per_endpoint[k]["holds"]]},
        "feeds_vs_baseline": {"holds": all(per_endpoint[k]["holds"] for k in feeds) if feeds else None,
                              "failing": [k for k in feeds if not per_endpoint[k]["holds"]]},
        "booking_p95": {"holds": per_endpoint["book"]["holds"] if "book" in judged else None,
                        "runs": [run["p95_ms"] for run in results.get("book", {}).get("runs", [])]},
        "rebuild_under_1s": {"holds": None if rebuild is None else rebuild < REBUILD_S, "seconds": rebuild},
        "missing": [k for k, e in results.items() if e.get("status") == "missing"],
        "errors": {k: e.get("reason", "") for k, e in results.items() if e.get("status") in ("error", "timeout")},
    }


def _mark(holds: bool | None) -> str:
    return {True: "✅", False: "❌", None: "–"}[holds]


def _num(entry: dict[str, Any], key: str, fmt: str) -> str:
    if entry.get("status") == "ok":
        return format(entry[key], fmt)
    return entry.get("status", "–")


def imports_section(imports: dict[str, Any]) -> list[str]:
    """The import jobs' lines of the report: each file's time against the minute and memory."""
    lines = ["", "## Imports at 10 × H22", "",
             "Each file uploaded, previewed and confirmed by the import job in a process of its own "
             "(`python -m bench.imports`) on PostgreSQL, every row new. Target: preview and confirmation "
             f"together within {IMPORT_TARGET_S:g} s. Memory: how much each step grew the process (the "
             "highest resident set size during the step over the one at its start).",
             "", "| file | preview | confirm | together | within a minute | memory: preview / confirm |",
             "|---|---:|---:|---:|---|---:|"]
    for case in imports["cases"]:
        label = f"{case['rows']:,} {case['kind']}"
        if case.get("error"):
            lines.append(f"| {label} | failed | | | ❌ {' '.join(case['error'])} | |")
            continue
        holds = {case.get("preview_state"), case.get("confirm_state")} == {"done"} and case["within_target"]
        lines.append(f"| {label} | {case['preview_s']:.1f} s | {case['confirm_s']:.1f} s | {case['total_s']:.1f} s "
                     f"| {_mark(holds)} | {case['preview_growth_mb']} / {case['confirm_growth_mb']} MB |")
    growth = _growth_a_row(imports["cases"])
    if growth:
        lines += ["", "What a row adds (the difference between the two sizes of a file over the rows between "
                  "them): " + "; ".join(growth) + "."]
    return lines


def _growth_a_row(cases: list[dict[str, Any]]) -> list[str]:
    """For each kind measured at two sizes, the memory each step grows by a row, in KB."""
    out = []
    for kind in dict.fromkeys(case["kind"] for case in cases):
        sized = sorted((c for c in cases if c["kind"] == kind and not c.get("error")), key=lambda c: c["rows"])
        if len(sized) < 2 or any(c.get(f"{s}_growth_mb") is None for c in sized for s in ("preview", "confirm")):
            continue
        small, large = sized[0], sized[-1]
        rows = large["rows"] - small["rows"]
        per_row = {step: (large[f"{step}_growth_mb"] - small[f"{step}_growth_mb"]) * 1024 / rows
                   for step in ("preview", "confirm")}
        out.append(f"{kind} ({small['rows']:,} → {large['rows']:,} rows): preview {per_row['preview']:.2f} KB, "
                   f"confirm {per_row['confirm']:.2f} KB")
    return out


def markdown(runs: list[dict[str, Any]], env: dict[str, Any], imports: dict[str, Any] | None = None) -> str:
    names = {run["dataset"]: ("H22" if run["dataset"] == "h22" else "10×") for run in runs}
    load = env["load"]
    server = runs[0]["server"] if runs else {}
    lines = [
        "# Benchmark results",
        "",
        f"Measured {env['date']} at commit `{env['commit']}` on {env['cores']} cores ({env['cpu']}), "
        f"Python {env['python']}, PostgreSQL {env['postgresql']}, {env['wrk'].split(' [')[0]}.",
        f"Load: wrk, {load['threads']} threads, {load['connections']} keep-alive connections, "
        f"{load['seconds']:g} s per endpoint after {load['warmup_seconds']:g} s of warm-up. "
        f"Server: gunicorn.conf.py, {server.get('workers')} × {server.get('worker_class')} workers "
        f"with {server.get('threads')} threads, Redis as the shared cache"
        + ("" if all(r["redis"] for r in runs) else " (not available: in-process caches)") + ".",
        "Feeds and 304s are asked for with `Accept-Encoding: gzip`, as calendar apps ask; signed-in "
        "pages with the session cookie of a browser that has followed its log-in redirect.",
        "Produced by `make bench` (bench/run.py); the JSON files beside this one hold every figure.",
        "",
        "Data sets:",
        "",
    ]
    for run in runs:
        facts = run["facts"]
        lines.append(f"- **{names[run['dataset']]}**: {run['label']}; measured: {facts['sessions']:,} sessions, "
                     f"{facts['delegates']:,} delegates, {facts['bookings']:,} bookings; largest event "
                     f"`{facts['largest_event']}` with {facts['largest_event_sessions']:,} sessions. Load average "
                     f"(1/5/15 min) before: {' / '.join(map(str, run['load_average']['before']))}, after: "
                     f"{' / '.join(map(str, run['load_average']['after']))} on {env['cores']} cores"
                     + (f"; CPU time taken by the virtual machine's host (steal): {run['stolen_cpu_share']:.1%}"
                        if run.get("stolen_cpu_share") is not None else "") + ".")
    lines += ["", "## Targets", "", "| target | " + " | ".join(names[r["dataset"]] for r in runs) + " |",
              "|---|" + "---|" * len(runs)]
    rows = (
        (f"every page's p95 < {PAGE_P95_MS:.0f} ms", "pages_p95"),
        (f"cached feeds and the 304 within {FEED_FACTOR:g}× /health (median and p95)", "feeds_vs_baseline"),
        (f"booking's p95 < {BOOKING_P95_MS:.0f} ms in every run", "booking_p95"),
        (f"full rebuild of the whole-expo feed < {REBUILD_S:g} s", "rebuild_under_1s"),
    )
    for label, key in rows:
        cells = []
        for run in runs:
            verdict = run["verdicts"][key]
            cell = _mark(verdict["holds"])
            if verdict.get("failing"):
                cell += " (not: " + ", ".join(verdict["failing"]) + ")"
            if verdict.get("runs"):
                cell += " " + " / ".join(f"{p95:.0f}" for p95 in verdict["runs"]) + " ms"
            if verdict.get("seconds") is not None:
                cell += f" {verdict['seconds']:.2f} s"
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "## Endpoints", "",
              "Latencies in milliseconds; req/s is the throughput of the whole server under this load. "
              "In brackets: the size of what was measured in each data set. A feed's or 304's target cell "
              f"gives its median and p95 as multiples of /health's, measured for {load['baseline_seconds']:g} s "
              "just before it.", ""]
    header = "| endpoint | kind | " + " | ".join(
        f"{names[r['dataset']]} median | {names[r['dataset']]} p95 | {names[r['dataset']]} req/s | "
        f"{names[r['dataset']]} target" for r in runs) + " |"
    lines += [header, "|---|---|" + "---:|---:|---:|---|" * len(runs)]
    keys = list(runs[0]["results"]) if runs else []
    for run in runs[1:]:
        keys += [k for k in run["results"] if k not in keys]
    for key in keys:
        first = next(r["results"][key] for r in runs if key in r["results"])
        details = [r["results"].get(key, {}).get("detail") for r in runs]
        label = first["label"] + (f" ({' / '.join(d or '–' for d in details)})" if any(details) else "")
        cells = []
        for run in runs:
            entry = run["results"].get(key, {"status": "–"})
            verdict = run["verdicts"]["endpoints"].get(key, {"holds": None, "why": ""})
            if entry.get("status") == "ok":
                ratio = f" {verdict['why']}" if entry.get("kind") in ("feed", "conditional") or entry.get("runs") else ""
                cells.append(f"{_num(entry, 'p50_ms', '.1f')} | {_num(entry, 'p95_ms', '.1f')} | "
                             f"{_num(entry, 'rps', '.0f')} | {_mark(verdict['holds'])}{ratio}")
            else:
                mark = _mark(verdict["holds"]) + " " if verdict["holds"] is False else ""
                cells.append(f"{entry.get('status', '–')} | | | {mark}{entry.get('reason', '')}")
        lines.append(f"| {label} | {KIND_NAMES.get(first['kind'], first['kind'])} | " + " | ".join(cells) + " |")
    lines += ["", "## Full rebuilds (no cache)", "",
              "Timed in-process: the database queries plus building the iCalendar bytes, median of three, "
              "first with the cache emptied (a full rebuild: the target), then with each session's cached "
              "VEVENT kept (what a feed costs after an organiser's change); "
              "the cold HTTP figure is one request for the event feed right after the shared cache was emptied.",
              "", "| feed | " + " | ".join(names[r["dataset"]] for r in runs) + " |", "|---|" + "---:|" * len(runs)]
    for key, label in (("largest_event_feed", "largest event (iCal)"), ("whole_expo_feed", "whole expo (iCal)")):
        cells = []
        for run in runs:
            item = run["rebuild"].get(key)
            cells.append(f"{item['seconds_median']:.2f} s; {item['reusing_cached_vevents_seconds']:.2f} s reusing "
                         f"cached VEVENTs ({item['sessions']:,} sessions, {item['bytes'] / 1e6:.1f} MB)"
                         if item else "–")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    cold = [run.get("cold_feed_http") for run in runs]
    if any(cold):
        lines.append("| event feed over HTTP, cache just emptied | " + " | ".join(
            f"{c['seconds']:.2f} s, then {c['cached_seconds'] * 1000:.0f} ms cached" if c else "–" for c in cold) + " |")
    costs = [run.get("costs") for run in runs]
    if any(costs):
        lines += ["", "## What one booking costs", "",
                  "Measured in-process through the app's test client (the whole request, its commit and what "
                  "runs after the commit), median of 30 rounds after 3 unmeasured ones: SQL statements and "
                  "commits sent (SQLAlchemy engine events) and the web process's CPU time (`time.process_time`). "
                  "The commit rows time a one-row UPDATE and its COMMIT on the same PostgreSQL.",
                  "", "| | " + " | ".join(names[r["dataset"]] for r in runs) + " |", "|---|" + "---:|" * len(runs)]
        for action, label in (("book", "book a seat"), ("cancel", "cancel it")):
            lines.append(f"| {label} | " + " | ".join(
                f"{c[action]['statements']} statements, {c[action]['commits']} commit, CPU {c[action]['cpu_ms']:.1f} ms, "
                f"wall {c[action]['wall_ms']:.1f} ms" if c else "–" for c in costs) + " |")
        for setting, label in (("synchronous_commit_on", "a commit (synchronous_commit on, the default)"),
                               ("synchronous_commit_off", "a commit (synchronous_commit off)")):
            lines.append(f"| {label} | " + " | ".join(
                f"median {c['commit'][setting]['median_ms']:.2f} ms, p95 {c['commit'][setting]['p95_ms']:.2f} ms"
                if c else "–" for c in costs) + " |")
    if imports:
        lines += imports_section(imports)
    problems = [(names[r["dataset"]], k, v) for r in runs for k, v in r["verdicts"]["errors"].items()]
    missing = sorted({k for r in runs for k in r["verdicts"]["missing"]})
    if problems or missing:
        lines += ["", "## Not measured", ""]
        lines += [f"- {key}: missing ({runs[0]['results'][key].get('reason', '')})" for key in missing]
        lines += [f"- {key} ({name}): {reason}" for name, key, reason in problems]
    return "\n".join(lines) + "\n"

#!/usr/bin/env python3
"""Turns scripts/bench.sh's measurements into bench/results.md (stdout): the machine, the commit,
the command, the tables, and each target marked met or missed."""
import argparse
import sys
import datetime
import json
import os
import platform
import statistics
import subprocess


def ms(text):
    """wrk's latency ("512.00us", "2.34ms", "1.20s") in milliseconds."""
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float("nan")


def machine():
    model = "unknown CPU"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    memory = ""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) // 1024 // 1024} GiB"
    osname = ""
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    osname = line.split("=", 1)[1].strip().strip('"')
    return f"{model}, {os.cpu_count()} cores, {memory} RAM; {osname}, Linux {platform.release()}"


def central_only():
    """`report.py --central-only FILE --plain-rps R`: the central section alone (BENCH_ONLY=central)."""
    p = argparse.ArgumentParser()
    p.add_argument("--central-only", required=True)
    p.add_argument("--plain-rps", required=True, type=float)
    a = p.parse_args()
    print("\n".join(central(a.central_only, (a.plain_rps,))))


def main():
    if "--central-only" in sys.argv:
        return central_only()
    p = argparse.ArgumentParser()
    for name in ("runs", "sent", "recorded", "rss-peak-kib", "rss-before-watches-kib", "rss-watches-kib", "watch-result",
                 "kubectl-direct-ms", "kubectl-gateway-ms", "commit", "command", "connections", "body-bytes",
                 "metrics", "profile", "analysis"):
        p.add_argument("--" + name, required=True)
    p.add_argument("--central")
    p.add_argument("--relay-sent")
    p.add_argument("--relay-recorded")
    p.add_argument("--relay-rss-peak-kib")
    p.add_argument("--extra")
    p.add_argument("--switches")
    p.add_argument("--summary", help="write this run's headline figures and stage means here (JSON)")
    p.add_argument("--before", action="append", default=[],
                   help="a --summary file of an earlier run (repeatable, oldest first): adds a before/after section")
    p.add_argument("--soak", help="bench/soak.md, embedded when it exists (scripts/bench.sh --soak writes it)")
    a = p.parse_args()
    runs = {}
    raw = []
    with open(a.runs) as f:
        for line in f:
            rnd, config, rps, p50, p99, total, non2xx = line.rstrip("\n").split("\t")
            runs.setdefault(config, []).append((float(rps), ms(p50), ms(p99), int(total), int(non2xx or 0)))
            raw.append((rnd, config, rps, p50, p99, total, non2xx))
    med = {c: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs), statistics.median(r[2] for r in rs),
               sum(r[4] for r in rs)) for c, rs in runs.items()}
    d, n, m, g = med["direct"], med["nginx"], med["mitmproxy"], med["portcullis"]
    r = med.get("relay")
    watch = json.loads(a.watch_result)
    rss_watch_mib = int(a.rss_watches_kib) / 1024
    rss_watch_delta = (int(a.rss_watches_kib) - int(a.rss_before_watches_kib)) / 1024
    sent, recorded = int(a.sent), int(a.recorded)
    added_g, added_n = g[1] - d[1], n[1] - d[1]
    extra = read_extra(a.extra) if a.extra else {}
    one = extra.get("one-client", {})
    added_one = one["portcullis"][1] - one["direct"][1] if "portcullis" in one and "direct" in one else float("nan")
    targets = [
        (f"throughput ≥ 0.5× nginx at {a.connections} connections", g[0] >= 0.5 * n[0], f"{g[0] / n[0]:.2f}×"),
        ("added p50 ≤ 3× nginx's", added_g <= 3 * added_n,
         f"{added_g:.3f} ms vs {added_n:.3f} ms ({added_g / added_n:.1f}×)" if added_n > 0 else f"{added_g:.3f} ms vs {added_n:.3f} ms"),
        ("one client: added p50 ≤ 0.5 ms", added_one <= 0.5, f"{added_one:.3f} ms"),
        ("throughput ≥ 30× mitmproxy", g[0] >= 30 * m[0], f"{g[0] / m[0]:.1f}×"),
        (f"{watch['watches']} idle watches ≤ 100 MiB RSS", rss_watch_mib <= 100, f"{rss_watch_mib:.1f} MiB"),
        ("zero requests unrecorded at top throughput", recorded >= sent, f"{sent} completed, {recorded} recorded"),
    ]
    if r is not None and a.relay_sent is not None:
        relay_sent, relay_recorded = int(a.relay_sent), int(a.relay_recorded or 0)
        targets.append(("zero requests unrecorded at the relay", relay_recorded >= relay_sent,
                        f"{relay_sent} completed, {relay_recorded} recorded"))
    out = []
    out.append("# Benchmark results\n")
    out.append(f"- Date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
    out.append(f"- Machine: {machine()}")
    out.append(f"- Commit: {a.commit}")
    out.append(f"- Command (as root, from the repository root): `{a.command}`")
    out.append(f"- Load: wrk, 2 threads, {a.connections} keep-alive connections, GET of a {a.body_bytes}-byte JSON body over TLS; "
               "every configuration in turn, each round; the median round is shown.\n")
    out.append("## Throughput and latency\n")
    out.append("| configuration | requests/s | p50 | p99 | non-2xx |")
    out.append("|---|---:|---:|---:|---:|")
    labels = {"direct": "direct to the upstream", "nginx": "nginx reverse proxy (C, records nothing)",
              "mitmproxy": "mitmproxy reverse mode, writing its flow file", "portcullis": "Portcullis: iptables, OIDC, policy, recording",
              "relay": "Portcullis gateway + relay: the relay verifies, decides, impersonates and records again"}
    for c in ("direct", "nginx", "mitmproxy", "portcullis", "relay"):
        if c not in med:
            continue
        row = med[c]
        out.append(f"| {labels[c]} | {row[0]:,.0f} | {row[1]:.2f} ms | {row[2]:.2f} ms | {row[3]} |")
    out.append("")
    out.append(f"Portcullis against the others: {g[0] / d[0]:.2f}× direct, {g[0] / n[0]:.2f}× nginx, {g[0] / m[0]:.1f}× mitmproxy "
               f"in requests/s; added p50 latency {added_g:.3f} ms (nginx adds {added_n:.3f} ms).\n")
    if r is not None:
        out.append(f"Through the gateway and a relay (one more mTLS hop on pooled keep-alive connections, the token checked "
                   f"again, a second record): {r[0]:,.0f} requests/s, {r[0] / d[0]:.2f}× direct and {r[0] / g[0]:.2f}× the gateway "
                   f"alone; p50 {r[1]:.2f} ms, {r[1] - d[1]:.3f} ms over direct and {r[1] - g[1]:.3f} ms over the gateway alone.\n")
    out.append(f"Gateway peak RSS over the whole run: {int(a.rss_peak_kib) / 1024:.1f} MiB."
               + (f" Relay peak RSS: {int(a.relay_rss_peak_kib) / 1024:.1f} MiB." if a.relay_rss_peak_kib else "") + "\n")
    out.append("## Watches\n")
    out.append("| watches open through the gateway | gateway RSS | RSS added by the watches | events delivered | events/s |")
    out.append("|---:|---:|---:|---:|---:|")
    out.append(f"| {watch['watches']} | {rss_watch_mib:.1f} MiB | {rss_watch_delta:.1f} MiB | {watch['events']} of {watch['expected']} | {watch['eventsPerSecond']:,.0f} |\n")
    out.append("## kubectl\n")
    out.append("| `kubectl get pods` (median of 5) | wall time |")
    out.append("|---|---:|")
    out.append(f"| direct to the API server | {a.kubectl_direct_ms} ms |")
    out.append(f"| through the gateway | {a.kubectl_gateway_ms} ms |\n")
    out.append("## Completeness at top load\n")
    out.append(f"wrk completed {sent} requests through the gateway; the store holds {recorded} records of them "
               "(a request cut off when a run ends is recorded but not counted by wrk).\n")
    if r is not None and a.relay_sent is not None:
        out.append(f"Of those, {a.relay_sent} went on through the relay; the relay's store holds {a.relay_recorded} records of them.\n")
    out.append("## The store's group commits during the run\n")
    samples = {}
    with open(a.metrics) as f:
        for line in f:
            if line.startswith("portcullis_store_") and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                name = name.split("{", 1)[0]   # summed over labels
                samples[name] = samples.get(name, 0) + float(value)
    commits = samples.get("portcullis_store_commit_duration_seconds_count", 0)
    seconds = samples.get("portcullis_store_commit_duration_seconds_sum", 0)
    rows = samples.get("portcullis_store_rows_committed_total", 0)
    if commits:
        out.append(f"{commits:,.0f} commits (SQLite WAL, the default `store.durability: process`), {seconds / commits * 1000:.2f} ms each on "
                   f"average, {rows / commits:.1f} rows per commit.\n")
    stage_means = read_stages(a.metrics)
    out += stages(stage_means)
    headline = {"commit": a.commit, "portcullis": g[0], "nginx": n[0], "mitmproxy": m[0], "p50": g[1], "addedP50": added_g,
                "addedP50OneClient": added_one, "watchRssMiB": rss_watch_mib, "stages": stage_means}
    for name, configs in extra.items():
        if "portcullis" in configs:
            headline[name] = configs["portcullis"][0]
    if a.switches and os.path.exists(a.switches):
        with open(a.switches) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3 and parts[0] == "task-clock":
                    headline["cpuPerRequestUs"] = float(parts[2]) * 1e3
                elif len(parts) == 3 and parts[0] == "context-switches":
                    headline["switchesPerRequest"] = float(parts[2])
    if a.summary:
        with open(a.summary, "w") as f:
            json.dump(headline, f, indent=1, sort_keys=True)
    befores = []
    for path in a.before:
        if os.path.exists(path):
            with open(path) as f:
                befores.append(json.load(f))
    if befores:
        out += before_after(befores, headline)
    if extra:
        out += extra_section(extra, med)
    if a.switches:
        with open(a.switches) as f:
            text = f.read().strip()
        out.append("## The gateway's CPU time and context switches at top load\n")
        if "\t" in text:
            out.append("| event | total over the run | per request |")
            out.append("|---|---:|---:|")
            for line in text.splitlines():
                name, total, per = line.split("\t")
                if name == "task-clock":
                    out.append(f"| the gateway's CPU time (all threads) | {float(total) / 1e3:,.1f} s | {float(per) * 1e3:.0f} µs |")
                else:
                    out.append(f"| {name} | {int(float(total)):,} | {float(per):.2f} |")
            out.append("")
        else:
            out.append(text + "\n")
    out.append("## Where the gateway's CPU goes\n")
    out.append("A flat `perf record` of the gateway during one more Portcullis run (top entries, by DSO and symbol):\n")
    out.append("```")
    with open(a.profile) as f:
        out.append(f.read().rstrip())
    out.append("```\n")
    if a.central:
        out += central(a.central, g)
    out.append("## Targets\n")
    out.append("| target | result | measured |")
    out.append("|---|---|---|")
    for name, met, measured in targets:
        out.append(f"| {name} | {'met' if met else '**missed**'} | {measured} |")
    if os.path.exists(a.analysis):
        out.append("")
        with open(a.analysis) as f:
            out.append(f.read().rstrip())
    if a.soak:
        from soak_report import soak_section
        out.append("")
        out += soak_section(a.soak)
    out.append("\n## Every round\n")
    out.append("| round | configuration | requests/s | p50 | p99 | requests | non-2xx |")
    out.append("|---:|---|---:|---:|---:|---:|---:|")
    for r in raw:
        out.append("| " + " | ".join(r) + " |")
    print("\n".join(out))


STAGE_ORDER = ["accept_tls", "authentication_cached", "authentication_verified", "policy", "request_record", "upstream_checkout",
               "upstream_first_byte", "upstream_last_byte", "response_record", "delivery"]


def read_stages(metrics_path):
    """The mean seconds and count of each request stage (portcullis_request_stage_seconds) during the runs."""
    sums, counts = {}, {}
    with open(metrics_path) as f:
        for line in f:
            if not line.startswith("portcullis_request_stage_seconds_"):
                continue
            name, _, value = line.rpartition(" ")
            stage = name.split('stage="', 1)[1].split('"', 1)[0] if 'stage="' in name else "?"
            if name.startswith("portcullis_request_stage_seconds_sum"):
                sums[stage] = float(value)
            elif name.startswith("portcullis_request_stage_seconds_count"):
                counts[stage] = float(value)
    return {stage: {"count": counts[stage], "mean": sums.get(stage, 0) / counts[stage]} for stage in counts if counts[stage]}


def stages(means):
    if not means:
        return []
    out = ["## Where each request's time goes\n",
           "Mean of each stage over every request of the runs (`portcullis_request_stage_seconds`); `accept_tls` is per connection.\n",
           "| stage | observations | mean |", "|---|---:|---:|"]
    for stage in STAGE_ORDER:
        if stage in means:
            out.append(f"| {stage} | {means[stage]['count']:,.0f} | {means[stage]['mean'] * 1e3:.3f} ms |")
    out.append("")
    return out


def before_after(befores, after):
    """Headline figures and stage means of earlier runs (--before, oldest first) next to this one's."""
    runs = befores + [after]
    names = " and ".join(str(b.get("commit", "?")) for b in befores)
    heads = " | ".join(f"{b.get('commit', '?')}" for b in befores)
    out = [f"## Before and after\n",
           f"The same bench on this machine, first with the code of {names}, then with this run's. "
           "Ratios are within each run (peers measured alongside).\n",
           f"| figure | {heads} | this run |", "|---|" + "---:|" * len(runs)]
    def row(label, key, fmt):
        if key in after:
            out.append(f"| {label} | " + " | ".join(fmt(r[key], r) if key in r else "–" for r in runs) + " |")
    row("Portcullis requests/s, 16 connections", "portcullis", lambda v, r: f"{v:,.0f}")
    row("against nginx", "portcullis", lambda v, r: f"{v / r['nginx']:.2f}×")
    row("against mitmproxy", "portcullis", lambda v, r: f"{v / r['mitmproxy']:.1f}×")
    row("p50", "p50", lambda v, r: f"{v:.2f} ms")
    row("added p50 (against direct)", "addedP50", lambda v, r: f"{v:.3f} ms")
    row("one client: added p50", "addedP50OneClient", lambda v, r: f"{v:.3f} ms")
    row("64 connections, requests/s", "64-connections", lambda v, r: f"{v:,.0f}")
    row("80/20 mixed, requests/s", "mixed", lambda v, r: f"{v:,.0f}")
    row("`store.durability: host`, requests/s", "host-durability", lambda v, r: f"{v:,.0f}")
    row("1,000 idle watches, gateway RSS", "watchRssMiB", lambda v, r: f"{v:.1f} MiB")
    row("gateway CPU time per request", "cpuPerRequestUs", lambda v, r: f"{v:,.0f} µs")
    row("context switches per request", "switchesPerRequest", lambda v, r: f"{v:.2f}")
    stage_sets = [r.get("stages", {}) for r in runs]
    if any(stage_sets):
        out += ["", f"| stage (mean) | {heads} | this run |", "|---|" + "---:|" * len(runs)]
        for stage in STAGE_ORDER:
            if any(stage in m for m in stage_sets):
                fmt = lambda m: f"{m[stage]['mean'] * 1e3:.3f} ms" if stage in m else "–"
                out.append(f"| {stage} | " + " | ".join(fmt(m) for m in stage_sets) + " |")
    out.append("")
    return out


def read_extra(path):
    rows = {}
    with open(path) as f:
        for line in f:
            name, config, rps, p50, p99, total, non2xx = (line.rstrip("\n").split("\t") + [""] * 7)[:7]
            if rps:
                rows.setdefault(name, {})[config] = (float(rps), ms(p50), ms(p99), int(total or 0), int(non2xx or 0))
    return rows


def extra_section(extra, med):
    labels = {"one-client": "one client (-c1)", "64-connections": "64 connections", "mixed": "80 % GET, 20 % create",
              "host-durability": "`store.durability: host`, 16 connections"}
    out = ["## More configurations\n", "One run each.\n", "| load | configuration | requests/s | p50 | p99 | non-2xx |",
           "|---|---|---:|---:|---:|---:|"]
    for name, configs in extra.items():
        for config, r in configs.items():
            out.append(f"| {labels.get(name, name)} | {config} | {r[0]:,.0f} | {r[1]:.2f} ms | {r[2]:.2f} ms | {r[4]} |")
    one = extra.get("one-client", {})
    if "portcullis" in one and "direct" in one and "nginx" in one:
        out.append("")
        out.append(f"One client: Portcullis adds {one['portcullis'][1] - one['direct'][1]:.3f} ms to the p50, nginx "
                   f"{one['nginx'][1] - one['direct'][1]:.3f} ms.")
    host = extra.get("host-durability", {}).get("portcullis")
    if host:
        out.append(f"`host` durability: {host[0] / med['portcullis'][0]:.2f}× the requests/s of the default (`process`).")
    out.append("")
    return out


def drain_rate(c):
    return f" ({c['backlogAtEnd'] / c['drainSeconds']:,.0f} rows/s once the load stopped)" if c["drainSeconds"] > 0.05 else ""


def backlog_verdict(c, produced_per_second):
    """Bounded when the backlog does not grow over the second half of the run: its least-squares slope
    there is at most 5 % of the rate rows are produced at."""
    samples = c.get("backlogSamples") or []
    half = [(t / 1e3, rows) for t, rows in samples if t / 1e3 >= c["loadSeconds"] / 2]
    if len(half) < 4 or produced_per_second <= 0:
        return "Too few backlog samples to tell whether it is bounded."
    mean_t = sum(t for t, _ in half) / len(half)
    mean_r = sum(r for _, r in half) / len(half)
    var = sum((t - mean_t) ** 2 for t, _ in half)
    slope = sum((t - mean_t) * (r - mean_r) for t, r in half) / var if var else 0
    text = (f"Over the run's second half the backlog changed by {slope:+,.0f} rows/s, against {produced_per_second:,.0f} rows/s "
            "produced: ")
    if slope <= 0.05 * produced_per_second:
        return text + "shipping kept up, the backlog stayed bounded."
    return text + "**shipping fell behind the gateway's top rate** (the backlog grew through the run)."


def central(path, plain):
    """The central store's section: shipping at top load, and required mode against async."""
    with open(path) as f:
        c = json.load(f)
    async_rps, required_rps = float(c["asyncRps"]), float(c["requiredRps"])
    absorbed = c["shippedRows"] / (c["loadSeconds"] + c["drainSeconds"]) if c["loadSeconds"] + c["drainSeconds"] > 0 else 0
    rows_per_request = c["pgRows"] / c["pgRequests"] if c["pgRequests"] else 0
    bytes_per_request = c["pgBytes"] / c["pgRequests"] if c["pgRequests"] else 0
    out = ["## The central store (PostgreSQL 15 on the same machine)\n",
           "The gateway restarted on a fresh store shipping to a throwaway PostgreSQL on the cluster host (TLS, the gateway's own "
           "role), then ran the same load.\n",
           "| configuration | requests/s | p50 | against Portcullis without central |",
           "|---|---:|---:|---:|",
           f"| shipping, `mode: async` | {async_rps:,.0f} | {ms(c['asyncP50']):.2f} ms | {async_rps / plain[0]:.2f}× |",
           f"| shipping, `mode: required` | {required_rps:,.0f} | {ms(c['requiredP50']):.2f} ms | {required_rps / plain[0]:.2f}× |",
           "",
           f"- Rows PostgreSQL absorbed: {c['shippedRows']:,} in {c['loadSeconds'] + c['drainSeconds']:.1f} s "
           f"({absorbed:,.0f} rows/s, about {rows_per_request:.2f} rows per request).",
           f"- Backlog: peak {c['backlogPeak']:,} rows during the async run ({c['loadSeconds']:.0f} s), {c['backlogAtEnd']:,} when the "
           f"load stopped, drained {c['drainSeconds']:.1f} s later" + drain_rate(c) + ". " + backlog_verdict(c, async_rps * rows_per_request),
           f"- Required mode: {required_rps / async_rps:.2f}× async's rate ({c['requiredNon2xx']} non-2xx).",
           f"- Size in PostgreSQL: {bytes_per_request:,.0f} bytes per request, tables and indexes ({c['pgRequests']:,} requests).",
           ""]
    if c["shippedRows"] == 0:
        out.insert(2, f"**Nothing was shipped in this run**; the gateway's last error: {c.get('asyncLastError') or 'none reported'}.\n")
    return out


if __name__ == "__main__":
    main()

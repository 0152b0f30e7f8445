#!/usr/bin/env python3
"""Turns a soak's measurements (scripts/bench/soak.sh) into bench/soak.md and bench/soak.png, and the
soak section of bench/results.md when that file exists. It matches Audit-IDs: every one in the
sandbox's audit log, and every response a client received, must be a request in the gateway's store.

Exits 1 when something is missing, RSS or descriptors are not flat after warm-up, a policy reload
was not confirmed or an exec failed; the files are written either way.

Flat: the run's first sixth is warm-up (5 minutes of a 30-minute soak). The rest is cut in thirds by
time; RSS (and descriptors) are flat when the last third's maximum is at most the first third's
maximum plus 10 %.

Runs with the plot virtualenv's python (matplotlib); report.py imports soak_section() with Debian's.
"""
import argparse
import datetime
import glob
import json
import math
import os
import sqlite3
import statistics
import sys

BEGIN = "<!-- soak: begin (written by scripts/bench.sh --soak; scripts/bench/soak_report.py) -->"
END = "<!-- soak: end -->"
WARM_UP_FRACTION = 1 / 6
FLAT_MARGIN = 0.10
EXPECTED = {"create": 201, "get": 200, "list": 200, "delete": 200, "watch": 200}


def soak_section(path):
    """bench/soak.md between markers, for bench/results.md; [] when there is none."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [BEGIN, f.read().rstrip(), END, ""]


def splice(results_path, soak_path):
    """Puts the soak section into an existing bench/results.md: in place of the last one, else before
    "## Every round", else at the end."""
    with open(results_path) as f:
        text = f.read()
    section = "\n".join(soak_section(soak_path))
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section.rstrip("\n") + rest.split(END, 1)[1]
    elif "\n## Every round" in text:
        head, rest = text.split("\n## Every round", 1)
        text = head.rstrip("\n") + "\n\n" + section + "\n## Every round" + rest
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(results_path, "w") as f:
        f.write(text)


# --- reading

def read_samples(path):
    rows = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 13:
                rows.append({"t": int(p[0]), "rss": int(p[1]) / 1024, "fds": int(p[2]), "store": int(p[3]) / 1048576,
                             "cpu": float(p[4]), "requests": int(p[5]), "open": int(p[6]), "execs": int(p[7]),
                             "reloads": int(p[8]), "anon": int(p[9]) / 1024, "file": int(p[10]) / 1024,
                             "wal": int(p[11]) / 1048576, "load": float(p[12])})
    return rows


def read_tsv(path, columns):
    rows = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                p = line.rstrip("\n").split("\t")
                if len(p) >= columns:
                    rows.append(p)
    return rows


def read_responses(directories):
    """{auditID: (verb, status)} of every response a client received; the lines of the soak's mix
    (elapsed, verb, status, ms); the requests that got no response."""
    received, mix_lines, unanswered = {}, [], []
    for directory in directories:
        soak = os.path.basename(directory.rstrip("/")) == "responses"
        for path in glob.glob(os.path.join(directory, "*.tsv")):
            name = os.path.basename(path)
            for p in read_tsv(path, 5):
                if name.startswith("errors-"):
                    unanswered.append((p[1], p[2], p[3]))
                    continue
                received[p[1]] = (p[2], int(p[3]))
                if soak and name.startswith("mix-"):
                    mix_lines.append((float(p[0]), p[2], int(p[3]), float(p[4])))
    return received, mix_lines, unanswered


def read_audit_log(path):
    """{auditID: event} with the last stage seen."""
    events = {}
    with open(path) as f:
        for line in f:
            if line.strip():
                e = json.loads(line)
                events[e["auditID"]] = e
    return events


def read_store(path):
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT r.audit_id, r.verb, r.resource, r.subresource, s.status_code, s.rejected FROM requests r "
            "LEFT JOIN responses s ON s.request_id = r.id").fetchall()
    finally:
        connection.close()
    return {r[0]: r[1:] for r in rows}


# --- judging

def flatness(samples, seconds, key):
    warm = seconds * WARM_UP_FRACTION
    after = [s for s in samples if warm <= s["t"] <= seconds]
    if len(after) < 3:
        return None
    span = (seconds - warm) / 3
    first = [s[key] for s in after if s["t"] < warm + span]
    last = [s[key] for s in after if s["t"] >= warm + 2 * span]
    if not first or not last:
        return None
    limit = max(first) * (1 + FLAT_MARGIN)
    ts = [s["t"] / 3600 for s in after]
    vs = [s[key] for s in after]
    mean_t, mean_v = statistics.fmean(ts), statistics.fmean(vs)
    var = sum((t - mean_t) ** 2 for t in ts)
    slope = sum((t - mean_t) * (v - mean_v) for t, v in zip(ts, vs)) / var if var else 0.0
    return {"warm": warm, "first_max": max(first), "last_max": max(last), "limit": limit, "flat": max(last) <= limit,
            "slope": slope, "min": min(vs), "max": max(vs)}


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def clock(seconds):
    return f"{seconds // 60}:{seconds % 60:02d}"


def machine():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from report import machine as describe
    return describe()


# --- writing

def plot(samples, seconds, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    minutes = [s["t"] / 60 for s in samples]
    figure, axes = plt.subplots(4, 1, sharex=True, figsize=(10, 9))
    rates = [0.0] + [(b["requests"] - a["requests"]) / max(1, b["t"] - a["t"]) for a, b in zip(samples, samples[1:])]
    for ax, key, values, label, color in (
            (axes[0], "rss", [s["rss"] for s in samples], "gateway RSS (MiB)", "tab:blue"),
            (axes[1], "fds", [s["fds"] for s in samples], "open descriptors", "tab:orange"),
            (axes[2], "store", [s["store"] for s in samples], "store (MiB)", "tab:green"),
            (axes[3], "rate", rates, "responses/s (10 s)", "tab:gray")):
        ax.plot(minutes, values, color=color, linewidth=1.2, label={"rss": "VmRSS", "store": "SQLite file + WAL"}.get(key))
        if key == "rss":
            ax.plot(minutes, [s["anon"] for s in samples], color=color, linewidth=1, linestyle="--", label="of which RssAnon (heap)")
        if key == "store":
            ax.plot(minutes, [s["wal"] for s in samples], color=color, linewidth=1, linestyle="--", label="of which WAL")
        if key in ("rss", "store"):
            ax.legend(loc="lower right", fontsize="small")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.axvspan(0, seconds * WARM_UP_FRACTION / 60, color="0.9", zorder=0)
        if key in ("rss", "fds"):
            ax.set_ylim(bottom=0)
    axes[0].set_title(f"Portcullis soak: {seconds // 60} minutes (grey: warm-up)")
    axes[-1].set_xlabel("minutes")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main():
    p = argparse.ArgumentParser()
    for name in ("minutes", "top", "rate", "mix", "watch-summary", "processes", "threads", "watches", "watch-writes",
                 "exec-interval", "samples", "execs", "reloads", "audit-log", "store", "commit", "command", "markdown",
                 "plot", "loadavg"):
        p.add_argument("--" + name, required=True)
    p.add_argument("--responses", nargs="+", required=True)
    p.add_argument("--results")
    a = p.parse_args()
    seconds = int(a.minutes) * 60
    top, mix = json.loads(a.top), json.loads(a.mix)
    watch = json.loads(a.watch_summary)
    samples = read_samples(a.samples)
    during = [s for s in samples if s["t"] <= seconds]
    execs = read_tsv(a.execs, 6)
    reloads = read_tsv(a.reloads, 5)
    received, mix_lines, unanswered = read_responses(a.responses)
    audit = read_audit_log(a.audit_log)
    store = read_store(a.store)

    # Audit-IDs
    sandbox_missing = sorted(i for i in audit if i not in store)
    client_missing = sorted(i for i in received if i not in store)
    store_only = [i for i in store if i not in audit]
    gateway_answered = [i for i in received if i not in audit]
    unexpected = {}
    for verb, status in received.values():
        if EXPECTED.get(verb) not in (None, status):
            unexpected[f"{verb} {status}"] = unexpected.get(f"{verb} {status}", 0) + 1
    store_execs = sum(1 for r in store.values() if r[2] == "exec")
    unended = [i for i, r in store.items() if r[3] is None]   # requests without a response row
    audit_execs = sum(1 for e in audit.values() if e.get("objectRef", {}).get("subresource") == "exec")

    rss = flatness(samples, seconds, "rss")
    anon = flatness(samples, seconds, "anon")
    fds = flatness(samples, seconds, "fds")
    exec_failures = [e for e in execs if e[3] != "0" or e[5] != "ok"]
    reload_failures = [r for r in reloads if r[4] != "ok"]
    problems = []
    if sandbox_missing:
        problems.append(f"{len(sandbox_missing)} Audit-IDs of the sandbox's audit log are not in the store")
    if client_missing:
        problems.append(f"{len(client_missing)} responses the clients received are not in the store")
    for name, verdict in (("RSS", rss), ("open descriptors", fds)):
        if verdict is None:
            problems.append(f"too few samples after warm-up to judge {name}")
        elif not verdict["flat"]:
            problems.append(f"{name} not flat after warm-up")
    if unended:
        problems.append(f"{len(unended)} requests in the store have no response recorded")
    if exec_failures:
        problems.append(f"{len(exec_failures)} of {len(execs)} execs failed")
    if reload_failures:
        problems.append(f"{len(reload_failures)} of {len(reloads)} policy reloads not confirmed")

    # rates and latency
    mix_rate = mix["rate"]
    by_verb = {}
    for _, verb, _, ms in mix_lines:
        by_verb.setdefault(verb, []).append(ms)
    all_ms = [line[3] for line in mix_lines]
    step = 60 if seconds >= 600 else 30
    shown = [during[0]] if during else []
    for boundary in range(step, seconds + step, step):   # the first sample at or after each step
        later = [s for s in during if s["t"] >= min(boundary, during[-1]["t"])]
        if later and later[0] is not shown[-1]:
            shown.append(later[0])

    out = [f"## Soak: {a.minutes} minutes at half the top rate\n"]
    out.append(f"- Date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
    out.append(f"- Machine: {machine()}; load average {a.loadavg} when the soak started (the machine may be shared)")
    out.append(f"- Commit: {a.commit}")
    out.append(f"- Command (as root, from the repository root): `{a.command}`")
    out.append("- Everything goes through the gateway (release build, recording everything, `store.commitDelay: 0ms`) to "
               "portcullis-sandbox on 198.18.0.3:6443, in the network namespaces of scripts/bench.sh.\n")
    out.append("### Load\n")
    out.append(f"- **Request mix** (scripts/bench/soak_load.py): {a.processes} processes × {a.threads} threads, each on a "
               "keep-alive TLS connection (a new one every 500 requests), cycling through a ConfigMap's life in namespace "
               "`soak`: create, get, list (limit 20), get, delete; 60 % reads, 20 % creates, 20 % deletes, each request "
               "with its own Audit-Id.")
    out.append(f"  - Top rate, unthrottled for {top['seconds']:.0f} s: **{top['rate']:,.0f} requests/s** "
               f"({top['responses']:,} responses, {top['errors']} without one).")
    out.append(f"  - Soak: paced at {float(a.rate):,.0f} requests/s (token bucket); achieved **{mix_rate:,.0f} requests/s**, "
               f"{mix['responses']:,} responses, {mix['errors']} requests without one. "
               f"Latency p50 {percentile(all_ms, 0.5):.1f} ms, p99 {percentile(all_ms, 0.99):.1f} ms "
               f"({', '.join(f'{v} p99 {percentile(ms, 0.99):.1f} ms' for v, ms in sorted(by_verb.items()))}).")
    out.append(f"- **{a.watches} watches** of ConfigMaps in `soak-watch`, each with a random `timeoutSeconds` of 30–90 s, one in "
               "three closed by the client earlier; each reconnects on a new connection from the last resourceVersion it saw. "
               f"A writer creates and deletes {a.watch_writes} ConfigMap a second there. {watch['started']:,} watches started, "
               f"{watch['events']:,} events received, {watch['expired']} ended by 410 Expired (then restarted from now), "
               f"{watch['failed']} failed; writer: {watch['writes']:,} requests.")
    websocket = sum(1 for e in execs if e[2] == "websocket")
    out.append(f"- **kubectl exec** (1.32) into pod `soak-exec` every {a.exec_interval} s, WebSocket and SPDY in turn: "
               f"{len(execs)} ({websocket} WebSocket, {len(execs) - websocket} SPDY), {len(exec_failures)} failed, "
               f"median {percentile([int(e[4]) for e in execs], 0.5) if execs else 0} ms each.")
    reload_ok = [r for r in reloads if r[4] == "ok"]
    out.append(f"- **Policy reload** every minute (the file replaced with a new harmless rule): {len(reload_ok)} of "
               f"{len(reloads)} confirmed by `portcullis status` (generation +1), "
               f"median {percentile([float(r[3]) for r in reload_ok], 0.5) if reload_ok else 0:.1f} s after the write.\n")

    out.append("### Verdict\n")
    out.append(f"Warm-up is the run's first sixth ({clock(int(seconds * WARM_UP_FRACTION))}). The rest is cut in thirds; a "
               "value is **flat** when the last third's maximum is at most the first third's maximum + 10 %.\n")
    out.append("| check | result | measured |")
    out.append("|---|---|---|")
    for name, verdict, unit, fmt in (("gateway RSS (VmRSS) flat after warm-up", rss, "MiB", "{:.1f}"),
                                     ("of which RssAnon, the heap (for information)", anon, "MiB", "{:.1f}"),
                                     ("open descriptors flat after warm-up", fds, "", "{:.0f}")):
        if verdict is None:
            out.append(f"| {name} | **not judged** | too few samples |")
            continue
        f = lambda v: fmt.format(v) + (f" {unit}" if unit else "")
        out.append(f"| {name} | {'flat' if verdict['flat'] else '**not flat**'} | last third max {f(verdict['last_max'])} "
                   f"vs first third max {f(verdict['first_max'])} (limit {f(verdict['limit'])}); range {f(verdict['min'])}–"
                   f"{f(verdict['max'])}; trend {verdict['slope']:+.1f}{' ' + unit if unit else ''}/h |")
    out.append(f"| sandbox audit log ⊆ store | {'nothing missing' if not sandbox_missing else '**' + str(len(sandbox_missing)) + ' missing**'} "
               f"| {len(audit):,} Audit-IDs in the audit log, {len(audit) - len(sandbox_missing):,} in the store's requests |")
    out.append(f"| client responses ⊆ store | {'nothing missing' if not client_missing else '**' + str(len(client_missing)) + ' missing**'} "
               f"| {len(received):,} responses received (top-rate run included), {len(received) - len(client_missing):,} in the store |")
    out.append(f"| every request's end recorded | {'yes' if not unended else '**' + str(len(unended)) + ' without one**'} "
               f"| {len(store):,} requests in the store, {len(store) - len(unended):,} with a response row |")
    out.append(f"| execs | {'all succeeded' if not exec_failures else '**' + str(len(exec_failures)) + ' failed**'} "
               f"| {len(execs)} by kubectl; the store holds {store_execs} exec requests, the audit log {audit_execs} "
               "(one more each: the readiness check before the load) |")
    out.append(f"| policy reloads | {'all confirmed' if not reload_failures else '**' + str(len(reload_failures)) + ' not confirmed**'} "
               f"| {len(reload_ok)} of {len(reloads)} |")
    out.append("")
    out.append(f"The store also holds {len(store_only):,} requests the sandbox never saw (answered by the gateway itself), and the "
               f"clients got {len(gateway_answered):,} responses that did not come from the sandbox. "
               + (f"Unexpected statuses: {', '.join(f'{k} ×{v}' for k, v in sorted(unexpected.items()))}. " if unexpected else
                  "Every response had the expected status. ")
               + (f"{len(unanswered)} requests got no response (connection errors)." if unanswered else ""))
    if sandbox_missing or client_missing:
        out.append("\nMissing from the store (first 20):\n")
        out.append("| Audit-ID | seen by | verb | what |")
        out.append("|---|---|---|---|")
        for i in (sandbox_missing + [c for c in client_missing if c not in audit])[:20]:
            e = audit.get(i)
            if e:
                user = e.get("impersonatedUser", {}).get("username") or e.get("user", {}).get("username")
                out.append(f"| {i} | sandbox | {e.get('verb')} | {e.get('requestURI')} as {user}, {e.get('responseStatus', {}).get('code')} |")
            else:
                out.append(f"| {i} | client | {received[i][0]} | status {received[i][1]} |")
    if exec_failures or reload_failures:
        out.append("\nFailures:\n")
        for e in exec_failures[:20]:
            out.append(f"- exec {e[1]} at {clock(int(e[0]))} over {e[2]}: exit {e[3]} after {e[4]} ms; output: `{e[5][:300]}`")
        for r in reload_failures[:20]:
            out.append(f"- policy reload {r[1]} at {clock(int(r[0]))}: {r[4]}")
    out.append("")
    out.append("![gateway RSS, open descriptors, store size and rate over the soak](soak.png)\n")
    out.append(f"### Samples (every {step} s; all of them below)\n")
    header = ["| time | RSS | RssAnon | descriptors | store | WAL | gateway CPU | responses | responses/s | p99 | watches open | execs | reloads | load |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    out += header
    latencies = by_second(mix_lines)
    previous = None
    for s in shown:
        out.append(row(s, previous, latencies))
        previous = s
    out.append("")
    out.append("<details><summary>Every sample (10 s)</summary>\n")
    out += header
    previous = None
    for s in samples:
        out.append(row(s, previous, latencies, after=s["t"] > seconds))
        previous = s
    out.append("\n</details>\n")
    out.append("Columns: RSS is VmRSS of the gateway, RssAnon its anonymous part (the heap; the rest is mapped files and "
               "shared memory such as SQLite's WAL index); descriptors count /proc/PID/fd; store is the SQLite file plus its WAL; "
               "gateway CPU is user + system seconds since it started; responses counts what the mix, the watches and the writer "
               "received; responses/s and the mix's p99 latency are over the interval since the previous row; load is the machine's "
               "1-minute load average (2 cores; other work on the machine shows here).")
    if problems:
        out.append("\n**Problems:** " + "; ".join(problems) + ".")
    text = "\n".join(out) + "\n"
    with open(a.markdown, "w") as f:
        f.write(text)
    plot(samples, seconds, a.plot)
    if a.results and os.path.exists(a.results):
        splice(a.results, a.markdown)
    for problem in problems:
        print(f"soak: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)


def by_second(mix_lines):
    """The mix's latencies by the second (rounded up) in which each response arrived."""
    seconds = {}
    for t, _, _, ms in mix_lines:
        seconds.setdefault(math.ceil(t), []).append(ms)
    return seconds


def row(s, previous, mix_lines, after=False):
    """One table row; mix_lines are by_second()'s."""
    if previous:
        dt = max(1, s["t"] - previous["t"])
        rate = f"{(s['requests'] - previous['requests']) / dt:,.0f}"
        window = [ms for second in range(previous["t"] + 1, s["t"] + 1) for ms in mix_lines.get(second, ())]
        p99 = f"{percentile(window, 0.99):.1f} ms" if window else "–"
    else:
        rate, p99 = "–", "–"
    time = clock(s["t"]) + (" (load stopped)" if after else "")
    return (f"| {time} | {s['rss']:.1f} MiB | {s['anon']:.1f} MiB | {s['fds']} | {s['store']:.1f} MiB | {s['wal']:.1f} MiB | "
            f"{s['cpu']:.0f} s | {s['requests']:,} | {rate} | {p99} | {s['open']} | {s['execs']} | {s['reloads']} | {s['load']:.1f} |")


if __name__ == "__main__":
    main()

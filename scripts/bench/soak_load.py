#!/usr/bin/python3
"""The soak's load through the gateway (scripts/bench/soak.sh, issue 15). Stdlib only, so Debian's
/usr/bin/python3 runs it.

  soak_load.py mix HOST PORT --token-file F --ca F --namespace NS --out DIR
                   [--processes P] [--threads T] [--rate R] [--seconds S]
      P processes of T threads, each thread on its own keep-alive connection (a new one every 500
      requests), cycling through one ConfigMap's life: create, get, list (limit 20), get, delete.
      So 60 % reads, 20 % creates, 20 % deletes. --rate 0 is unthrottled (to measure the top rate);
      otherwise each thread keeps its share of R requests/s with a token bucket (no bursts to catch up
      after a stall longer than a second). Every request carries its own Audit-Id. Every response
      that arrives whole is one line of DIR/mix-<pid>.tsv:
          elapsed-seconds  auditID  verb  status  milliseconds
      and a request that got no response is one line of DIR/errors-<pid>.tsv (same columns, the
      status replaced by the error). Prints one JSON line at the end:
          {"responses": N, "errors": E, "seconds": S, "rate": N/S, "statuses": {...}}

  soak_load.py watches HOST PORT --token-file F --ca F --namespace NS --out DIR
                   [--watches N] [--seconds S] [--writes-per-second W]
      N watches of ConfigMaps in NS, each asking for a random timeoutSeconds of 30 to 90; one in
      three is closed by the client before that. Each then reconnects on a new connection, from the
      last resourceVersion it saw (after a 410 Expired, from now). Meanwhile a writer creates and
      deletes W ConfigMaps a second in NS, so every watch has events. Responses (the watch's head,
      the writer's answers) go to DIR/watch-<pid>.tsv as above; DIR/watches.state holds
      {"open": ..., "started": ..., "events": ..., "expired": ..., "failed": ...}, rewritten every
      second. Prints the same as JSON at the end.
"""
import argparse
import asyncio
import http.client
import json
import multiprocessing
import os
import random
import ssl
import sys
import threading
import time
import uuid


def tls_context(ca):
    context = ssl.create_default_context(cafile=ca)
    context.check_hostname = True   # the gateway mints a certificate for the endpoint's address
    return context


def read_token(path):
    with open(path) as f:
        return f.read().strip()


# --- the request mix

class Log:
    """One line per response, flushed at once so a stopped run loses none."""

    def __init__(self, path, start):
        self.file = open(path, "a", buffering=1)
        self.start = start
        self.lock = threading.Lock()

    def line(self, audit, verb, status, seconds):
        with self.lock:
            self.file.write(f"{time.monotonic() - self.start:.3f}\t{audit}\t{verb}\t{status}\t{seconds * 1000:.2f}\n")


def mix_thread(index, args, token, context, start, deadline, log, errors, counts):
    connection = None
    per_connection = 0
    namespace = args.namespace
    collection = f"/api/v1/namespaces/{namespace}/configmaps"
    pace = args.rate / (args.processes * args.threads) if args.rate > 0 else 0
    next_send = time.monotonic()
    n = 0
    while time.monotonic() < deadline:
        name = f"soak-{os.getpid()}-{index}-{n}"
        n += 1
        body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
                           "data": {"n": str(n), "pad": "x" * 200}})
        cycle = (("create", "POST", collection, body), ("get", "GET", f"{collection}/{name}", None),
                 ("list", "GET", f"{collection}?limit=20", None), ("get", "GET", f"{collection}/{name}", None),
                 ("delete", "DELETE", f"{collection}/{name}", None))
        for verb, method, path, payload in cycle:
            now = time.monotonic()
            if now >= deadline:
                break
            if pace:
                next_send = max(next_send + 1 / pace, now - 1)   # a token bucket one second deep
                if next_send > now:
                    time.sleep(next_send - now)
            audit = str(uuid.uuid4())
            headers = {"Authorization": "Bearer " + token, "Audit-Id": audit, "Accept": "application/json",
                       "User-Agent": "soak-load/1"}
            if payload is not None:
                headers["Content-Type"] = "application/json"
            sent = time.monotonic()
            try:
                if connection is None or per_connection >= 500:
                    if connection is not None:
                        connection.close()
                    connection = http.client.HTTPSConnection(args.host, args.port, context=context, timeout=30)
                    per_connection = 0
                per_connection += 1
                connection.request(method, path, body=payload, headers=headers)
                response = connection.getresponse()
                response.read()
                log.line(audit, verb, response.status, time.monotonic() - sent)
                key = f"{verb} {response.status}"
                counts[key] = counts.get(key, 0) + 1
            except Exception as error:   # the run goes on; the error is counted and logged
                errors.line(audit, verb, type(error).__name__, time.monotonic() - sent)
                counts["error"] = counts.get("error", 0) + 1
                if connection is not None:
                    connection.close()
                connection = None
                time.sleep(0.05)
    if connection is not None:
        connection.close()


def mix_process(args, start_wall, queue):
    token = read_token(args.token_file)
    context = tls_context(args.ca)
    start = time.monotonic() - (time.time() - start_wall)
    deadline = start + args.seconds
    log = Log(os.path.join(args.out, f"mix-{os.getpid()}.tsv"), start)
    errors = Log(os.path.join(args.out, f"errors-{os.getpid()}.tsv"), start)
    counts = [{} for _ in range(args.threads)]
    threads = [threading.Thread(target=mix_thread, args=(i, args, token, context, start, deadline, log, errors, counts[i]))
               for i in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = {}
    for c in counts:
        for k, v in c.items():
            total[k] = total.get(k, 0) + v
    queue.put(total)


def mix(args):
    os.makedirs(args.out, exist_ok=True)
    queue = multiprocessing.Queue()
    start_wall = time.time()
    processes = [multiprocessing.Process(target=mix_process, args=(args, start_wall, queue)) for _ in range(args.processes)]
    for p in processes:
        p.start()
    statuses = {}
    for _ in processes:
        for k, v in queue.get().items():
            statuses[k] = statuses.get(k, 0) + v
    for p in processes:
        p.join()
    seconds = time.time() - start_wall
    errors = statuses.pop("error", 0)
    responses = sum(statuses.values())
    print(json.dumps({"responses": responses, "errors": errors, "seconds": round(seconds, 2),
                      "rate": round(responses / seconds, 1), "statuses": dict(sorted(statuses.items()))}), flush=True)


# --- watches that reconnect, and the writer that gives them events

async def read_head(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return status, headers


async def body_chunks(reader, headers):
    """Yields the body's bytes as they arrive: chunked, by Content-Length, or to the end."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return
            data = await reader.readexactly(size + 2)
            yield data[:-2]
    elif "content-length" in headers:
        yield await reader.readexactly(int(headers["content-length"]))
    else:
        while True:
            data = await reader.read(65536)
            if not data:
                return
            yield data


class Watches:
    def __init__(self, args, token, context, log):
        self.args, self.token, self.context, self.log = args, token, context, log
        self.open = self.started = self.events = self.expired = self.failed = self.writes = 0

    def request_head(self, method, path, audit, extra=""):
        return (f"{method} {path} HTTP/1.1\r\nHost: {self.args.host}:{self.args.port}\r\nAuthorization: Bearer {self.token}\r\n"
                f"Audit-Id: {audit}\r\nAccept: application/json\r\nUser-Agent: soak-watch/1\r\n{extra}\r\n").encode()

    async def watch_once(self, resource_version, deadline):
        """One watch on its own connection. Returns the resourceVersion to continue from."""
        timeout = random.randint(30, 90)
        close_after = random.uniform(5, timeout) if random.random() < 1 / 3 else None
        path = f"/api/v1/namespaces/{self.args.namespace}/configmaps?watch=true&timeoutSeconds={timeout}"
        if resource_version:
            path += f"&resourceVersion={resource_version}"
        audit = str(uuid.uuid4())
        sent = time.monotonic()
        reader, writer = await asyncio.open_connection(self.args.host, self.args.port, ssl=self.context)
        try:
            writer.write(self.request_head("GET", path, audit))
            await writer.drain()
            status, headers = await read_head(reader)
            self.log.line(audit, "watch", status, time.monotonic() - sent)
            self.started += 1
            if status != 200:
                self.failed += 1
                async for _ in body_chunks(reader, headers):
                    pass
                await asyncio.sleep(1)
                return resource_version
            self.open += 1
            progress = {"resourceVersion": resource_version}
            try:
                stop = min(deadline, time.monotonic() + close_after) if close_after else deadline
                await asyncio.wait_for(self.events_of(reader, headers, progress), max(0.1, stop - time.monotonic()))
            except asyncio.TimeoutError:
                pass   # the client's own close
            finally:
                self.open -= 1
            return progress["resourceVersion"]
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (OSError, ssl.SSLError):
                pass

    async def events_of(self, reader, headers, progress):
        """Counts the events until the server ends the watch; keeps the last resourceVersion in progress."""
        buffer = b""
        async for data in body_chunks(reader, headers):
            buffer += data
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if not line.strip():
                    continue
                event = json.loads(line)
                if event.get("type") == "ERROR":
                    if event.get("object", {}).get("code") == 410:
                        self.expired += 1
                    progress["resourceVersion"] = ""
                    continue
                self.events += 1
                metadata = event.get("object", {}).get("metadata", {})
                progress["resourceVersion"] = metadata.get("resourceVersion", progress["resourceVersion"])

    async def watcher(self, index, deadline):
        await asyncio.sleep(random.uniform(0, 5))   # spread the first connections
        resource_version = ""
        while time.monotonic() < deadline - 1:
            try:
                resource_version = await self.watch_once(resource_version, deadline)
            except (OSError, ssl.SSLError, asyncio.IncompleteReadError, ValueError) as error:
                self.failed += 1
                print(f"watch {index}: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
                await asyncio.sleep(1)

    async def write(self, method, path, body, verb):
        audit = str(uuid.uuid4())
        sent = time.monotonic()
        payload = body.encode() if body else b""
        extra = "Connection: close\r\n" + (f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n" if body else "")
        try:
            reader, writer = await asyncio.open_connection(self.args.host, self.args.port, ssl=self.context)
            try:
                writer.write(self.request_head(method, path, audit, extra) + payload)
                await writer.drain()
                status, headers = await read_head(reader)
                async for _ in body_chunks(reader, headers):
                    pass
                self.log.line(audit, verb, status, time.monotonic() - sent)
                self.writes += 1
            finally:
                writer.close()
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError, ValueError) as error:
            self.failed += 1
            print(f"writer: {type(error).__name__}: {error}", file=sys.stderr, flush=True)

    async def writer(self, deadline):
        collection = f"/api/v1/namespaces/{self.args.namespace}/configmaps"
        n = 0
        interval = 1 / self.args.writes_per_second if self.args.writes_per_second > 0 else None
        next_write = time.monotonic()
        while interval and time.monotonic() < deadline - 1:
            n += 1
            name = f"watched-{os.getpid()}-{n}"
            body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"n": str(n)}})
            for method, path, payload, verb in (("POST", collection, body, "create"),
                                                ("DELETE", f"{collection}/{name}", None, "delete")):
                await self.write(method, path, payload, verb)
                next_write = max(next_write + interval / 2, time.monotonic() - 1)   # on schedule, as the mix
                await asyncio.sleep(max(0, next_write - time.monotonic()))

    def state(self):
        return {"open": self.open, "started": self.started, "events": self.events, "expired": self.expired,
                "failed": self.failed, "writes": self.writes}

    async def report_state(self, path, deadline):
        while True:
            with open(path + ".tmp", "w") as f:
                json.dump(self.state(), f)
            os.replace(path + ".tmp", path)
            if time.monotonic() >= deadline:
                return
            await asyncio.sleep(1)

    async def run(self):
        deadline = time.monotonic() + self.args.seconds
        state = os.path.join(self.args.out, "watches.state")
        reporter = asyncio.create_task(self.report_state(state, deadline + 5))
        await asyncio.gather(self.writer(deadline), *(self.watcher(i, deadline) for i in range(self.args.watches)))
        reporter.cancel()
        with open(state, "w") as f:
            json.dump(self.state(), f)
        print(json.dumps(self.state()), flush=True)


def watches(args):
    os.makedirs(args.out, exist_ok=True)
    start = time.monotonic()
    log = Log(os.path.join(args.out, f"watch-{os.getpid()}.tsv"), start)
    asyncio.run(Watches(args, read_token(args.token_file), tls_context(args.ca), log).run())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["mix", "watches"])
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--token-file", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--namespace", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--processes", type=int, default=4)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--rate", type=float, default=0)
    p.add_argument("--watches", type=int, default=200)
    p.add_argument("--writes-per-second", type=float, default=1)
    args = p.parse_args()
    if args.mode == "mix":
        mix(args)
    else:
        watches(args)


if __name__ == "__main__":
    main()

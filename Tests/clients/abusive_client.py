#!/usr/bin/python3
"""Malformed and abusive HTTP clients for the gateway's end-to-end tests, on raw TLS sockets.

Stdlib only, so Debian's /usr/bin/python3 can run it as any uid. Prints one JSON line
{"event": "started"} once the abuse is under way, then {"event": "done", "results": [...]}, one
result per attempt: the status code and Status message of the answer (if any), how many responses
arrived, whether the gateway closed the connection, and after how many seconds.

  abusive_client.py MODE --host H --port P --ca FILE [--seconds S] [--parallel N] [--token T]

Modes:
  oversized-header   a request whose header fields are 2 MiB        (expect 431)
  bad-request-line   "BREW /pot HTTP/1.1"                           (expect 400)
  bad-header         a header field name with a space in it         (expect 400)
  smuggle            Content-Length and Transfer-Encoding, a second request hidden in the body
                     (expect one 400 and nothing for the hidden request)
  oversized-body     a 4 MiB create                                 (expect 413)
  slow-head          a head trickled a header line a second         (expect 408 after the timeout)
  slow-body          a body trickled at 10 bytes a second           (expect 408 after the grace)
  silent             TCP connections that never start TLS          (expect a close after the timeout)
  crowd              N watches held open with --token, then --extra more connections at once: the
                     first 8 beyond the cap are answered 429, the rest closed unanswered
"""
import argparse
import json
import select
import socket
import ssl
import sys
import threading
import time

MIB = 1024 * 1024


def tls(args):
    raw = socket.create_connection((args.host, args.port), timeout=30)
    context = ssl.create_default_context(cafile=args.ca)
    return context.wrap_socket(raw, server_hostname=args.host)


def read_until_closed(sock, limit=60.0):
    """Everything the server sends until it closes the connection (or `limit` seconds pass)."""
    data, closed, error = b"", False, None
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
    except (socket.timeout, TimeoutError):
        error = "timeout"
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError) as e:
        closed, error = True, type(e).__name__
    return data, closed, error


def result(data, closed, error, started):
    text = data.decode("latin-1")
    entry = {"status": None, "message": None, "responses": text.count("HTTP/1.1 "), "closed": closed,
             "seconds": round(time.monotonic() - started, 2), "error": error}
    if text.startswith("HTTP/1.1 "):
        entry["status"] = int(text.split(" ")[1])
        head, _, body = text.partition("\r\n\r\n")
        entry["retryAfter"] = next((line.split(":", 1)[1].strip() for line in head.split("\r\n")
                                    if line.lower().startswith("retry-after:")), None)
        try:
            entry["message"] = json.loads(body.split("\r\n")[0] if body.startswith("{") else body)["message"]
        except (ValueError, KeyError, TypeError):
            entry["message"] = body[:200]
    return entry


def send_then_read(args, payload):
    """Sends `payload`, then reads the answer. The gateway may answer and close before all of it is
    sent (as Go's server does): a failed send still reads what came back."""
    started = time.monotonic()
    sock = tls(args)
    send_error = None
    try:
        sock.sendall(payload)
    except OSError as e:
        send_error = type(e).__name__
    data, closed, error = read_until_closed(sock)
    sock.close()
    return result(data, closed, error or send_error, started)


def trickle(args, head, piece, interval=1.0):
    """Sends `head`, then `piece` every `interval` seconds until the server answers or closes.
    One thread: an SSL socket must not be read and written at once."""
    started = time.monotonic()
    sock = tls(args)
    sock.sendall(head)
    data, closed, error = b"", False, None
    deadline = time.monotonic() + 60
    while not closed and time.monotonic() < deadline:
        readable, _, _ = select.select([sock], [], [], interval) if sock.pending() == 0 else ([sock], [], [])
        if readable:
            more, closed, error = read_until_closed(sock, limit=5)
            data += more
            break
        try:
            sock.sendall(piece)
        except OSError as e:
            error = type(e).__name__
            more, closed, _ = read_until_closed(sock, limit=5)
            data += more
            break
    sock.close()
    return result(data, closed, error, started)


def silent(args):
    started = time.monotonic()
    sock = socket.create_connection((args.host, args.port), timeout=30)
    data, closed, error = read_until_closed(sock)
    sock.close()
    return result(data, closed, error, started)


def request(method, path, headers=(), body=b""):
    lines = [f"{method} {path} HTTP/1.1", "Host: kubernetes"] + list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


ATTEMPTS = {
    "oversized-header": lambda a: send_then_read(a, request("GET", "/api/v1/namespaces", ["X-Padding: " + "a" * (2 * MIB)])),
    "bad-request-line": lambda a: send_then_read(a, b"BREW /pot HTTP/1.1\r\nHost: kubernetes\r\n\r\n"),
    "bad-header": lambda a: send_then_read(a, request("GET", "/api/v1/namespaces", ["Bad Header: y"])),
    "smuggle": lambda a: send_then_read(a, request(
        "POST", "/api/v1/namespaces/default/configmaps", ["Content-Length: 5", "Transfer-Encoding: chunked"],
        b"0\r\n\r\n" + request("GET", "/api/v1/namespaces/kube-system/secrets"))),
    "oversized-body": lambda a: send_then_read(a, request(
        "POST", "/api/v1/namespaces/default/configmaps", ["Content-Type: application/json", f"Content-Length: {4 * MIB}"],
        b"{" + b" " * (4 * MIB - 2) + b"}")),
    "slow-head": lambda a: trickle(a, b"GET /api/v1/namespaces HTTP/1.1\r\nHost: kubernetes\r\n", b"X-Slow: 1\r\n"),
    "slow-body": lambda a: trickle(a, request("POST", "/api/v1/namespaces/default/configmaps",
                                              ["Content-Type: application/json", "Content-Length: 100000"]), b"0123456789"),
    "silent": silent,
}


def repeat(args, attempt):
    """`attempt` on `parallel` threads, again and again for `seconds` (at least once each)."""
    results, lock = [], threading.Lock()
    deadline = time.monotonic() + args.seconds

    def worker():
        while True:
            entry = attempt(args)
            with lock:
                results.append(entry)
            if time.monotonic() >= deadline:
                return

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.parallel)]
    for thread in threads:
        thread.start()
    print(json.dumps({"event": "started"}), flush=True)
    for thread in threads:
        thread.join()
    return results


def crowd(args):
    """Holds `parallel` watches open with a token, then sends `extra` more requests."""
    watches = []
    for _ in range(args.parallel):
        sock = tls(args)
        sock.sendall(request("GET", "/api/v1/namespaces?watch=true", [f"Authorization: Bearer {args.token}"]))
        sock.settimeout(30)
        head = sock.recv(65536).decode("latin-1")
        if not head.startswith("HTTP/1.1 200"):
            return [{"status": None, "message": "a watch was not served: " + head[:200], "responses": 0, "closed": False,
                     "seconds": 0, "error": "watch"}]
        watches.append(sock)
    print(json.dumps({"event": "started"}), flush=True)
    # Every extra connection is open before any is answered, so the gateway counts them all at once.
    raws = [socket.create_connection((args.host, args.port), timeout=30) for _ in range(args.extra)]
    results = []
    for raw in raws:
        started = time.monotonic()
        try:
            sock = ssl.create_default_context(cafile=args.ca).wrap_socket(raw, server_hostname=args.host)
            sock.sendall(request("GET", "/api/v1/namespaces", [f"Authorization: Bearer {args.token}"]))
        except OSError as e:
            raw.close()
            results.append(result(b"", True, type(e).__name__, started))
            continue
        data, closed, error = read_until_closed(sock)
        sock.close()
        results.append(result(data, closed, error, started))
    time.sleep(args.seconds)
    for sock in watches:
        sock.close()
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=sorted(list(ATTEMPTS) + ["crowd"]))
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--extra", type=int, default=10)
    parser.add_argument("--token", default="")
    args = parser.parse_args()
    results = crowd(args) if args.mode == "crowd" else repeat(args, ATTEMPTS[args.mode])
    print(json.dumps({"event": "done", "results": results}), flush=True)


if __name__ == "__main__":
    sys.exit(main())

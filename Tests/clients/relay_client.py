#!/usr/bin/python3
"""Speaks to a Portcullis relay as a gateway would (or as a compromised runner holding a gateway's
certificate would), and prints what happened as one JSON line per request. Stdlib only, so Debian's
/usr/bin/python3 can run it as any uid.

  relay_client.py --address HOST:PORT --ca CA.pem [--cert C.pem --key K.pem] [--cluster NAME]
                  [--server-name NAME] [--timeout S] [--repeat N] [--interval S]
                  [--header 'Name: value' ...] [--body TEXT] METHOD PATH

--cluster sets the TLS application protocol (ALPN) to "portcullis-relay/v1/NAME", as a gateway
names the cluster a connection serves; without it no protocol is offered. Each of --repeat requests
opens its own connection. Each line: {"status": N, "body": "...", "error": null, "elapsed": S};
a connection refused, a TLS failure or a connection closed before an answer gives status 0 and the
error; "at" is the wall-clock time (Unix seconds) the answer came.
"""
import argparse
import json
import socket
import ssl
import sys
import time


def one_request(args):
    started = time.monotonic()
    result = {"status": 0, "body": "", "error": None}
    host, _, port = args.address.rpartition(":")
    host = host.strip("[]")
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=args.ca)
    context.check_hostname = args.server_name is not None
    if args.cert:
        context.load_cert_chain(args.cert, args.key)
    if args.cluster:
        context.set_alpn_protocols(["portcullis-relay/v1/" + args.cluster])
    raw = socket.create_connection((host, int(port)), timeout=args.timeout)
    try:
        tls = context.wrap_socket(raw, server_hostname=args.server_name or host)
        head = [f"{args.method} {args.path} HTTP/1.1", f"Host: {args.address}", "Connection: close"]
        head += args.header
        body = args.body.encode() if args.body is not None else b""
        if body or args.method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(body)}")
        tls.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        data = b""
        while True:
            chunk = tls.recv(65536)
            if not chunk:
                break
            data += chunk
        if not data:
            result["error"] = "the connection closed before an answer"
        else:
            status_line, _, rest = data.partition(b"\r\n")
            result["status"] = int(status_line.split(b" ")[1])
            headers, _, payload = rest.partition(b"\r\n\r\n")
            if b"transfer-encoding: chunked" in headers.lower():
                payload = dechunk(payload)
            result["body"] = payload.decode(errors="replace")
    except (ssl.SSLError, OSError, ValueError, IndexError) as e:
        result["error"] = type(e).__name__ + ": " + str(e)
    finally:
        raw.close()
    result["elapsed"] = round(time.monotonic() - started, 4)
    result["at"] = time.time()
    return result


def dechunk(payload):
    out = b""
    while payload:
        size_line, _, payload = payload.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += payload[:size]
        payload = payload[size + 2:]
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--cluster")
    parser.add_argument("--server-name")
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--interval", type=float, default=0)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--body")
    parser.add_argument("method")
    parser.add_argument("path")
    args = parser.parse_args()
    for index in range(args.repeat):
        try:
            result = one_request(args)
        except OSError as e:
            result = {"status": 0, "body": "", "error": type(e).__name__ + ": " + str(e), "elapsed": 0, "at": time.time()}
        print(json.dumps(result), flush=True)
        if index + 1 < args.repeat and args.interval:
            time.sleep(args.interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())

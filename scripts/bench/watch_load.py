#!/usr/bin/env python3
"""Opens N concurrent watches of ConfigMaps through the gateway, reports when all are open, then
creates M ConfigMaps and measures how fast the N x M events arrive. Stdlib only.

  watch_load.py HOST PORT TOKEN --watches N --creates M --namespace NS
Prints "open" once every watch has its response head, then one JSON line:
  {"watches": N, "events": E, "seconds": S, "eventsPerSecond": R}
"""
import argparse
import asyncio
import json
import ssl
import sys
import time


async def watch(host, port, token, namespace, context, opened, counts, index):
    reader, writer = await asyncio.open_connection(host, port, ssl=context, server_hostname=None)
    writer.write((f"GET /api/v1/namespaces/{namespace}/configmaps?watch=true&allowWatchBookmarks=false HTTP/1.1\r\n"
                  f"Host: {host}\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\n\r\n").encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n")[0]:
        raise RuntimeError(head.decode(errors="replace"))
    opened.release()
    buffer = b""
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            return
        buffer += chunk
        end = buffer.rfind(b"\n")
        if end < 0:
            continue
        counts[index] += buffer[:end].count(b'"type":"ADDED"')
        buffer = buffer[end + 1:]


async def create(host, port, token, namespace, context, name):
    reader, writer = await asyncio.open_connection(host, port, ssl=context, server_hostname=None)
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
                       "data": {"k": "v"}}).encode()
    writer.write((f"POST /api/v1/namespaces/{namespace}/configmaps HTTP/1.1\r\nHost: {host}\r\n"
                  f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                  f"Connection: close\r\n\r\n").encode() + body)
    await writer.drain()
    status = (await reader.readline()).decode()
    writer.close()
    if " 201 " not in status:
        raise RuntimeError(f"create {name}: {status}")


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("token")
    parser.add_argument("--watches", type=int, default=1000)
    parser.add_argument("--creates", type=int, default=20)
    parser.add_argument("--namespace", default="default")
    args = parser.parse_args()
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    counts = [0] * args.watches
    opened = asyncio.Semaphore(0)
    tasks = [asyncio.create_task(watch(args.host, args.port, args.token, args.namespace, context, opened, counts, i))
             for i in range(args.watches)]
    for _ in range(args.watches):
        await opened.acquire()
    print("open", flush=True)
    sys.stdin.readline()  # the caller measures memory, then says go
    expected = args.watches * args.creates
    start = time.monotonic()
    for i in range(args.creates):
        await create(args.host, args.port, args.token, args.namespace, context, f"bench-{int(start)}-{i}")
    while sum(counts) < expected and time.monotonic() - start < 120:
        await asyncio.sleep(0.01)
    seconds = time.monotonic() - start
    print(json.dumps({"watches": args.watches, "events": sum(counts), "expected": expected, "seconds": round(seconds, 3),
                      "eventsPerSecond": round(sum(counts) / seconds, 1)}), flush=True)
    for task in tasks:
        task.cancel()


if __name__ == "__main__":
    asyncio.run(main())

#!/usr/bin/python3
"""Mixed load through the gateway for the kill -9 proof (issue 13): each worker keeps one HTTPS
connection and sends, in turn, four GETs and one create (POST) of a ConfigMap, each with its own
Audit-Id. It prints one JSON line per response that arrived whole:
  {"auditID": ..., "method": "GET"|"POST", "status": 200}
and keeps going (reconnecting) until --seconds pass, whatever the gateway does meanwhile.

Stdlib only, so Debian's /usr/bin/python3 can run it as any uid.

  mixed_load.py HOST PORT --token-command CMD --ca FILE --namespace NS [--workers N] [--seconds S]
"""
import argparse
import http.client
import json
import ssl
import subprocess
import sys
import threading
import time
import uuid

lock = threading.Lock()


def emit(record):
    with lock:
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()


def worker(index, args, token, context, deadline):
    connection = None
    n = 0
    while time.time() < deadline:
        n += 1
        audit = str(uuid.uuid4())
        create = n % 5 == 0
        if create:
            name = "mixed-%d-%d" % (index, n)
            body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": args.namespace},
                               "data": {"n": str(n)}})
            method, path = "POST", "/api/v1/namespaces/%s/configmaps" % args.namespace
        else:
            body, method, path = None, "GET", "/api/v1/namespaces/%s/configmaps" % args.namespace
        headers = {"Authorization": "Bearer " + token, "Audit-Id": audit, "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            if connection is None:
                connection = http.client.HTTPSConnection(args.host, args.port, context=context, timeout=5)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            emit({"auditID": audit, "method": method, "status": response.status})
        except Exception:
            if connection is not None:
                connection.close()
            connection = None
            time.sleep(0.05)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--token-command", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--namespace", required=True)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--seconds", type=float, default=10)
    args = p.parse_args()
    credential = json.loads(subprocess.run(args.token_command, shell=True, check=True, capture_output=True, text=True).stdout)
    token = credential["status"]["token"]
    context = ssl.create_default_context(cafile=args.ca)
    deadline = time.time() + args.seconds
    threads = [threading.Thread(target=worker, args=(i, args, token, context, deadline)) for i in range(args.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()

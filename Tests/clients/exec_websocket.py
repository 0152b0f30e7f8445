#!/usr/bin/env python3
"""An independent exec client for the sandbox, built on the `websocket-client` library.

It speaks the channel protocol the Python and JavaScript Kubernetes clients use,
v4.channel.k8s.io (or whatever --protocol says), and prints one JSON object describing what the
server sent, for the Swift end-to-end tests to assert on.

Usage: exec_websocket.py --server URL --ca FILE --token-file FILE --path PATH
                         [--protocol P] [--stdin TEXT] [--resize WxH] [--ping]
"""
import argparse
import json
import ssl
import sys

import websocket


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--protocol", default="v4.channel.k8s.io")
    parser.add_argument("--stdin", default=None)
    parser.add_argument("--resize", default=None)
    parser.add_argument("--ping", action="store_true")
    args = parser.parse_args()

    with open(args.token_file) as f:
        token = next(line.split(",")[0] for line in f if ",admin," in line)
    url = args.server.replace("https://", "wss://", 1).replace("http://", "ws://", 1) + args.path
    result = {"stdout": "", "stderr": "", "status": None, "pong": None, "protocol": None, "close": None}
    try:
        ws = websocket.create_connection(
            url, subprotocols=[args.protocol], header=["Authorization: Bearer " + token],
            sslopt={"cert_reqs": ssl.CERT_REQUIRED, "ca_certs": args.ca}, timeout=20)
    except websocket.WebSocketBadStatusException as error:
        result["handshake_status"] = error.status_code
        result["handshake_body"] = error.resp_body.decode() if error.resp_body else ""
        print(json.dumps(result))
        return
    result["protocol"] = ws.getsubprotocol()
    if args.resize:
        width, height = args.resize.split("x")
        ws.send_binary(b"\x04" + json.dumps({"Width": int(width), "Height": int(height)}).encode())
    if args.ping:
        ws.ping(b"are-you-there")
    if args.stdin is not None:
        ws.send_binary(b"\x00" + args.stdin.encode())
    while True:
        opcode, data = ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_PONG:
            result["pong"] = data.decode()
        elif opcode == websocket.ABNF.OPCODE_CLOSE:
            result["close"] = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
            break
        elif opcode == websocket.ABNF.OPCODE_BINARY and data:
            channel, payload = data[0], data[1:].decode()
            if channel == 1:
                result["stdout"] += payload
            elif channel == 2:
                result["stderr"] += payload
            elif channel == 3:
                result["status"] = json.loads(payload)
    ws.close()
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())

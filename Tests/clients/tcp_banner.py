#!/usr/bin/python3
"""A stand-in API server for the Intercept tests: listens on every ADDR:PORT given and, for each
connection, writes "banner NAME from ADDR:PORT" and then echoes a line every half second until the
client leaves. Prints "ready" once listening. Stdlib only.

  tcp_banner.py NAME ADDR:PORT [ADDR:PORT...]      (IPv6 as [ADDR]:PORT)
"""
import socket
import sys
import threading
import time


def serve(name, sock, label):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=talk, args=(name, conn, label), daemon=True).start()


def talk(name, conn, label):
    try:
        conn.sendall(("banner %s from %s\n" % (name, label)).encode())
        while True:
            time.sleep(0.5)
            conn.sendall(b"tick\n")
    except Exception:
        pass
    finally:
        conn.close()


def main():
    name = sys.argv[1]
    for spec in sys.argv[2:]:
        host, port = spec.rsplit(":", 1)
        host = host.strip("[]")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, int(port)))
        s.listen(64)
        threading.Thread(target=serve, args=(name, s, spec), daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()

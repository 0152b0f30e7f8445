#!/usr/bin/python3
"""Makes one network attempt for the Intercept tests and prints what happened as one JSON line.

Stdlib only, so Debian's /usr/bin/python3 can run it as any uid.

  net_client.py tcp HOST PORT [--timeout S]    connect, read one line, report it
  net_client.py udp HOST PORT [--timeout S]    send one datagram, wait for a reply
  net_client.py hold HOST PORT [--timeout S]   connect, print "connected", then report how it ended
"""
import json
import socket
import sys
import time


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def tcp(host, port, timeout):
    result = {"mode": "tcp", "connected": False, "received": "", "error": None}
    s = socket.socket(family_of(host), socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
        result["connected"] = True
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        result["received"] = data.decode(errors="replace")
    except Exception as e:
        result["error"] = type(e).__name__ + ": " + str(e)
    finally:
        s.close()
    return result


def udp(host, port, timeout):
    result = {"mode": "udp", "sent": False, "reply": None, "error": None}
    s = socket.socket(family_of(host), socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
        s.send(b"portcullis-test")
        result["sent"] = True
        result["reply"] = s.recv(4096).decode(errors="replace")
    except Exception as e:
        result["error"] = type(e).__name__ + ": " + str(e)
    finally:
        s.close()
    return result


def hold(host, port, timeout):
    s = socket.socket(family_of(host), socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, port))
    print(json.dumps({"mode": "hold", "connected": True, "local": "%s:%d" % s.getsockname()[:2]}), flush=True)
    started = time.monotonic()
    result = {"mode": "hold", "ended": None, "error": None}
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                result["ended"] = "eof"
                break
            # keep the flow busy so a blocked path shows up as packets
            s.send(b"ping\n")
    except Exception as e:
        result["ended"] = "error"
        result["error"] = type(e).__name__ + ": " + str(e)
    result["seconds"] = round(time.monotonic() - started, 2)
    return result


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    timeout = 3.0
    if "--timeout" in sys.argv:
        timeout = float(sys.argv[sys.argv.index("--timeout") + 1])
    result = {"tcp": tcp, "udp": udp, "hold": hold}[mode](host, port, timeout)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

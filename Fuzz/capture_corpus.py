#!/usr/bin/env python3
"""Makes the fuzzers' seed corpora (Fuzz/Corpus/TARGET) from real traffic: real kubectl (1.32 over
WebSocket, 1.28 over SPDY/3.1) against portcullis-sandbox on loopback, through a TLS-terminating
relay that writes down both directions of every connection; the IP packets of those connections
(AF_PACKET on lo); and the kernel's sock_diag replies about them. Run by scripts/fuzz-corpus.sh, as
root (packet capture), after a debug build. Everything stays on 127.0.0.1 and ::1.

Each seed is prefixed with the bytes its target reads as choices (see Fuzz/Targets/*), so libFuzzer
starts from exactly these bodies, frames, packets and replies.
"""
import hashlib, json, os, shutil, socket, ssl, struct, subprocess, sys, tempfile, threading, time, urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "Fuzz", "Corpus")
KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.{}"
SANDBOX = os.path.join(ROOT, ".build", "debug", "portcullis-sandbox")
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT"]


def seed(target, data, note):
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    name = f"{note}-{hashlib.sha1(data).hexdigest()[:12]}"
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


class Relay:
    """TLS in from kubectl, TLS out to the sandbox; every connection's bytes kept per direction."""

    def __init__(self, upstream_port, work):
        self.upstream_port, self.connections, self.lock = upstream_port, [], threading.Lock()
        cert, key = os.path.join(work, "relay.crt"), os.path.join(work, "relay.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1,IP:::1"], check=True, capture_output=True)
        self.server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server_context.load_cert_chain(cert, key)
        self.server_context.set_alpn_protocols(["http/1.1"])
        self.client_context = ssl._create_unverified_context()
        self.client_context.set_alpn_protocols(["http/1.1"])
        self.listeners = []
        for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            listener = socket.socket(family, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, 0))
            listener.listen(64)
            self.listeners.append(listener)
            threading.Thread(target=self.accept, args=(listener,), daemon=True).start()
        self.port4 = self.listeners[0].getsockname()[1]
        self.port6 = self.listeners[1].getsockname()[1]

    def accept(self, listener):
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(raw,), daemon=True).start()

    def serve(self, raw):
        record = {"c2s": bytearray(), "s2c": bytearray()}
        with self.lock:
            self.connections.append(record)
        try:
            client = self.server_context.wrap_socket(raw, server_side=True)
            upstream = self.client_context.wrap_socket(socket.create_connection(("127.0.0.1", self.upstream_port)))
        except (OSError, ssl.SSLError):
            return

        def pump(source, sink, buffer):
            try:
                while True:
                    chunk = source.recv(65536)
                    if not chunk:
                        break
                    buffer += chunk
                    sink.sendall(chunk)
            except (OSError, ssl.SSLError):
                pass
            for s in (sink, source):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threads = [threading.Thread(target=pump, args=(client, upstream, record["c2s"]), daemon=True),
                   threading.Thread(target=pump, args=(upstream, client, record["s2c"]), daemon=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)


class Sniffer:
    """The first packets of every connection to the relay's ports, as IP packets (lo, AF_PACKET)."""

    def __init__(self, ports):
        self.ports, self.packets, self.stop = ports, [], False
        self.socket = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        self.socket.bind(("lo", 0))
        self.socket.settimeout(0.2)
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while not self.stop:
            try:
                frame = self.socket.recv(65535)
            except socket.timeout:
                continue
            packet = frame[14:]
            if len(self.packets) < 400 and packet and packet[0] >> 4 in (4, 6):
                self.packets.append(packet)


def sock_diag_replies(family, protocol=socket.IPPROTO_TCP):
    """The kernel's replies to a dump of all TCP sockets of `family` (inet_diag_req_v2)."""
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4)  # NETLINK_SOCK_DIAG
    request = struct.pack("=BBBBI", family, protocol, 0, 0, 0xFFF) + b"\0" * 48  # states: all; zero socket id
    header = struct.pack("=IHHII", 16 + len(request), 20, 0x301, 1, 0)  # SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST|DUMP
    nl.sendto(header + request, (0, 0))
    replies = []
    nl.settimeout(2)
    while True:
        try:
            datagram = nl.recv(65536)
        except socket.timeout:
            break
        replies.append(datagram)
        if struct.unpack_from("=H", datagram, 4)[0] in (2, 3):  # NLMSG_ERROR, NLMSG_DONE
            break
    nl.close()
    return replies


def parse_http(stream, responses=False):
    """HTTP/1.1 messages in a byte stream: (head lines, headers, body); stops at an upgrade."""
    messages, index = [], 0
    while index < len(stream):
        end = stream.find(b"\r\n\r\n", index)
        if end < 0:
            break
        lines = stream[index:end].decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
        index = end + 4
        body = b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                line_end = stream.find(b"\r\n", index)
                if line_end < 0:
                    index = len(stream)
                    break
                size = int(stream[index:line_end].split(b";")[0] or b"0", 16)
                body += stream[line_end + 2:line_end + 2 + size]
                index = line_end + 2 + size + 2
                if size == 0:
                    break
        elif "content-length" in headers:
            n = int(headers["content-length"])
            body = stream[index:index + n]
            index += n
        messages.append((lines[0], headers, body))
        if responses and lines[0].split(" ")[1:2] == ["101"]:
            return messages, stream[index:]
        if not responses and "upgrade" in headers:
            return messages, stream[index:]
    return messages, b""


def main():
    work = tempfile.mkdtemp(prefix="portcullis-corpus-")
    sandbox = subprocess.Popen([SANDBOX, "apiserver", "--listen", "127.0.0.1:0", "--data-dir", os.path.join(work, "sandbox"),
                                "--log-interval-ms", "200"], stdout=subprocess.PIPE, text=True)
    try:
        line = sandbox.stdout.readline()
        port = int(line.split("https://127.0.0.1:")[1].split()[0])
        token = open(os.path.join(work, "sandbox", "tokens.csv")).readline().split(",")[0]
        relay = Relay(port, work)
        sniffer = Sniffer([relay.port4, relay.port6])

        def kubectl(minor, args, stdin=None, v6=False, env=None):
            server = f"https://[::1]:{relay.port6}" if v6 else f"https://127.0.0.1:{relay.port4}"
            command = [KUBECTL.format(minor), "--server", server, "--insecure-skip-tls-verify", "--token", token,
                       "--cache-dir", os.path.join(work, f"cache-{minor}")] + args
            return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60,
                                  env={**os.environ, **(env or {})})

        secret = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-credentials\n  namespace: demo\ntype: Opaque\n"
                  "data:\n  password: aHVudGVyMi1zM2NyM3Q=\nstringData:\n  token: plain-token\n")
        pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\n  namespace: demo\n  labels:\n    app: web\n    tier: front\nspec:\n  containers:\n  - name: main\n    image: nginx\n"
        steps = [
            (32, ["create", "namespace", "demo"]), (33, ["create", "secret", "generic", "db-pass", "--from-literal=password=hunter2", "-n", "demo"]),
            (32, ["create", "configmap", "settings", "--from-literal=mode=fast", "-n", "demo"]),
            (32, ["create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "-n", "demo"]),
            (32, ["apply", "-f", "-"], secret), (32, ["apply", "-f", "-"], pod), (32, ["get", "secrets", "-n", "demo", "-o", "json"]),
            (32, ["get", "pods", "-n", "demo", "-l", "app=web,tier!=db,env in (prod, dev),!canary"]),
            (32, ["get", "pods", "-A", "--field-selector", "metadata.name=web-1,metadata.namespace!=kube-system"]),
            (32, ["get", "secrets", "-n", "demo", "-w", "--request-timeout=2s", "-o", "json"]),
            (32, ["exec", "web-1", "-n", "demo", "--", "sh", "-c", "echo hi; echo oops >&2; exit 3"]),
            (32, ["exec", "-i", "web-1", "-n", "demo", "--", "cat"], "from stdin\n"),
            (28, ["exec", "-i", "web-1", "-n", "demo", "--", "sh", "-c", "cat; echo done >&2"], "over SPDY\n"),
            (32, ["get", "pod", "missing", "-n", "demo"]), (32, ["delete", "secret", "db-pass", "-n", "demo"]),
        ]
        for step in steps:
            kubectl(step[0], step[1], stdin=step[2] if len(step) > 2 else None)
        kubectl(32, ["get", "ns"], v6=True)
        replies = sock_diag_replies(socket.AF_INET) + sock_diag_replies(socket.AF_INET6)
        time.sleep(0.5)
        sniffer.stop = True
    finally:
        sandbox.terminate()
        sandbox.wait(10)

    if os.path.isdir(CORPUS):
        for target in os.listdir(CORPUS):
            if target not in ("gateway-config", "policy"):
                shutil.rmtree(os.path.join(CORPUS, target))
    for number, connection in enumerate(relay.connections):
        requests, c2s_rest = parse_http(bytes(connection["c2s"]))
        responses, s2c_rest = parse_http(bytes(connection["s2c"]), responses=True)
        for (line, headers, body) in requests:
            method, target = (line.split(" ") + ["", ""])[:2]
            if method in METHODS:
                seed("request-info", bytes([METHODS.index(method)]) + target.encode(), "request")
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
            for key in ("labelSelector", "fieldSelector"):
                for value in query.get(key, []):
                    seed("selectors", value.encode(), key)
            kind = headers.get("content-type", "")
            if body and "protobuf" in kind:
                seed("protobuf", b"\0" + body, "request")
            elif body and "json" in kind or body.startswith(b"{"):
                seed("json-redactor", b"\0" + body, "request")
        for (line, headers, body) in responses:
            if body.startswith(b"{"):
                seed("json-redactor", b"\0" + body, "response")
                if b'"kind":"Status"' in body:
                    seed("audit-status", body, "status")
        upgrade = next((h.get("upgrade", "").lower() for (_, h, _) in requests if "upgrade" in h), "")
        for direction, rest in (("client", c2s_rest), ("server", s2c_rest)):
            if not rest:
                continue
            if upgrade == "websocket":
                seed("websocket", bytes([2, 0]) + rest, f"kubectl-1.32-{direction}")
            elif upgrade.startswith("spdy"):
                seed("spdy", b"\0" + rest, f"kubectl-1.28-{direction}")
    for packet in sniffer.packets[:120]:
        seed("packet-headers", packet, f"ipv{packet[0] >> 4}")
    for reply in replies[:12]:
        seed("sock-diag", reply, "reply")
    audit = os.path.join(work, "sandbox", "audit.log")
    if os.path.exists(audit):
        for line in open(audit, "rb").read().splitlines()[:40]:
            seed("audit-status", line, "event")
    shutil.rmtree(work, ignore_errors=True)
    for target in sorted(os.listdir(CORPUS)):
        print(f"fuzz-corpus: {target}: {len(os.listdir(os.path.join(CORPUS, target)))} seeds")


if __name__ == "__main__":
    main()

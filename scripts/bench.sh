#!/usr/bin/env bash
# Portcullis against direct access, nginx and mitmproxy, measured as ratios in one run (issue 8).
# Everything runs in two network namespaces on this machine, as in the demo:
#   - the cluster host runs nginx serving a fixed ~1 KB JSON body over TLS on 198.18.0.2:6443 (the
#     endpoint the gateway intercepts) and 198.18.0.4:8443 (the same, never intercepted), and
#     portcullis-sandbox on 198.18.0.3:6443 for the watch and kubectl figures;
#   - the agent host (198.18.0.1) runs the gateway (release build, recording everything), an nginx
#     reverse proxy (:9443) and mitmproxy in reverse mode writing a flow file (:9444), both in front
#     of 198.18.0.4:8443, and the load generator (wrk);
#   - a relay (issue 16) runs on the cluster host (198.18.0.6:8443, scripts/bench/relay.sh): the
#     `relay` configuration goes through the gateway and the relay, to the same upstream.
# Configurations run alternately, ROUNDS times, each for SECONDS; the median round counts.
# Results go to bench/results.md. Not part of the test run.
#
#   scripts/bench.sh                 (as root; PORTCULLIS_BIN_DIR=DIR uses prebuilt release binaries)
#   ROUNDS=3 SECONDS_PER_RUN=10 CONNECTIONS=16 WATCHES=1000 COMMIT_DELAY=0ms scripts/bench.sh
#   CENTRAL=0 scripts/bench.sh      (leaves out the central store's runs)
#   BENCH_ONLY=central scripts/bench.sh   (only those, CENTRAL_SECONDS each (30), printed, not written)
#   BENCH_ONLY=tail scripts/bench.sh      (portcullis tail following the record at the top rate; printed)
#   BENCH_ONLY=profile PROFILE_GRAPH=1 scripts/bench.sh   (nginx, then the gateway with perf stat and a
#                                   call-graph profile; printed; PROFILE_DATA=FILE keeps perf.data,
#                                   PROFILE_EVENT=sched:sched_switch samples that event instead)
#   GATEWAY_PREFIX="heaptrack -o /tmp/gw" BENCH_ONLY=rss RSS_MODE=watch scripts/bench.sh
#                                   (the gateway runs under a tool; with BENCH_ONLY=rss it is stopped
#                                   cleanly at the end so the tool can write its output)
# PORTCULLIS_BIN_COMMIT names the commit prebuilt binaries came from. Each run writes its headline
# figures and stage means to bench/summary.json, after keeping the previous run's as
# bench/previous.json; bench/results.md's before/after section shows bench/before.json (the issue's
# starting point, or BENCH_BEFORE=FILE), the previous run and this one.
#
#   scripts/bench.sh --soak MINUTES  (issue 15) the same setup, then instead of the runs above a soak
#       (scripts/bench/soak.sh): the top rate of a request mix (reads, creates, deletes), then that mix
#       at half the top rate for MINUTES with 200 watches that reconnect, a kubectl exec every 5 s and a
#       policy reload every minute; the gateway's RSS, open descriptors and store size every 10 s; then
#       every Audit-ID of the sandbox's audit log and every response the clients received is looked up
#       in the store. Writes bench/soak.md and bench/soak.png (matplotlib in .venv-plot), and the soak
#       section of bench/results.md when it exists (report.py keeps it there on a normal run). Exits 1
#       when something is missing or RSS or descriptors grow after warm-up. Takes MINUTES plus about
#       two minutes (more when it must build or install). Knobs: SOAK_PROCESSES, SOAK_THREADS (4 x 4
#       connections), SOAK_WATCHES (200), SOAK_EXEC_INTERVAL (5), SOAK_TOP_SECONDS (15).
set -euo pipefail

SOAK_MINUTES=""
if [[ ${1:-} == --soak ]]; then
  [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --soak takes a whole number of minutes, not '${2:-}'" >&2; exit 2; }
  SOAK_MINUTES=$2
  shift 2
fi
(($# == 0)) || { echo "bench.sh: unknown argument '$1' (usage: scripts/bench.sh [--soak MINUTES])" >&2; exit 2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${ROUNDS:-3}"
DURATION="${SECONDS_PER_RUN:-10}"
CONNECTIONS="${CONNECTIONS:-16}"
WATCHES="${WATCHES:-1000}"
COMMIT_DELAY="${COMMIT_DELAY:-0ms}"   # the store's group-commit window (store.commitDelay; none by default)
AGENT_IP=198.18.0.1
CLUSTER_IP=198.18.0.2
SANDBOX_IP=198.18.0.3
DIRECT_IP=198.18.0.4   # the same upstream on an address that is not an API endpoint: the guard drops
                       # everything else sent to an endpoint's address, whatever the port
GATEWAY_UID=64990
# A soak's gateway runs as a uid of its own, so that another benchmark's or test's `pgrep -u 64990`
# on this machine cannot find it and stop it half an hour in.
[[ -n $SOAK_MINUTES ]] && GATEWAY_UID=64993
AGENT_NS="pcl-$$-0-agent"
CLUSTER_NS="pcl-$$-0-cluster"
VETH_AGENT="pv$(($$ % 100000))a0"
VETH_CLUSTER="pv$(($$ % 100000))b0"
KUBECTL=/usr/lib/google-cloud-sdk/bin/kubectl.1.32

die() { echo "bench.sh: $*" >&2; exit 1; }
say() { echo "bench.sh: $*" >&2; }
[[ $(id -u) -eq 0 ]] || die "run as root: it installs packages and creates network namespaces"

WORK=""
cleanup() {
  local status=$?
  set +e
  for signal in TERM KILL; do
    for ns in "$AGENT_NS" "$CLUSTER_NS"; do ip netns pids "$ns" 2>/dev/null | xargs -r kill "-$signal" 2>/dev/null; done
    sleep 0.5
  done
  for ns in "$AGENT_NS" "$CLUSTER_NS"; do ip netns list 2>/dev/null | grep -q "^$ns\b" && ip netns delete "$ns"; done
  [[ -n $WORK ]] && rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Tools: the test prerequisites, wrk and nginx from Debian, mitmproxy in its own virtualenv (it pins
# an older `cryptography` than the tests' .venv).
"$ROOT/scripts/setup.sh" >&2
missing=()
for pkg in wrk nginx-light curl; do dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg"); done
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
MITM_VENV="$ROOT/.venv-mitm"
if [[ -z $SOAK_MINUTES && ! -x $MITM_VENV/bin/mitmdump ]]; then
  say "installing mitmproxy into $MITM_VENV"
  /usr/bin/python3 -m venv "$MITM_VENV"
  "$MITM_VENV/bin/pip" install -q --disable-pip-version-check mitmproxy
fi
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
if [[ -n ${PORTCULLIS_BIN_DIR:-} ]]; then
  BIN="$PORTCULLIS_BIN_DIR"
else
  say "building in release mode"
  (cd "$ROOT" && swift build -c release --product portcullis >&2 && swift build -c release --product portcullis-sandbox >&2)
  BIN="$(cd "$ROOT" && swift build -c release --show-bin-path)"
fi
PORTCULLIS="$BIN/portcullis"
PYTHON="$ROOT/.venv/bin/python"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pcl-$$-bench-XXXXXX")"
chmod 755 "$WORK"
GW="$WORK/gateway"
mkdir -p "$GW/tls" "$WORK/tls" "$WORK/nginx" "$WORK/minting"
chmod 755 "$GW" "$GW/tls"

# --- hosts
ip netns add "$AGENT_NS"
ip netns add "$CLUSTER_NS"
ip -n "$AGENT_NS" link set lo up
ip -n "$CLUSTER_NS" link set lo up
ip -n "$AGENT_NS" link add "$VETH_AGENT" type veth peer name "$VETH_CLUSTER" netns "$CLUSTER_NS"
ip -n "$AGENT_NS" addr add "$AGENT_IP/24" dev "$VETH_AGENT"
ip -n "$CLUSTER_NS" addr add "$CLUSTER_IP/24" dev "$VETH_CLUSTER"
ip -n "$CLUSTER_NS" addr add "$SANDBOX_IP/24" dev "$VETH_CLUSTER"
ip -n "$CLUSTER_NS" addr add "$DIRECT_IP/24" dev "$VETH_CLUSTER"
ip -n "$AGENT_NS" link set "$VETH_AGENT" up
ip -n "$CLUSTER_NS" link set "$VETH_CLUSTER" up
in_agent() { ip netns exec "$AGENT_NS" "$@"; }
gateway_pid() { # this run's gateway: `portcullis up` as GATEWAY_UID in this run's agent namespace, not another run's
  ip netns pids "$AGENT_NS" | paste -sd, | xargs -r ps -o pid=,uid=,comm=,args= -p 2>/dev/null \
    | awk -v uid="$GATEWAY_UID" '$2 == uid && $3 == "portcullis" && $0 ~ /portcullis up / { print $1; exit }'
}
in_cluster() { ip netns exec "$CLUSTER_NS" "$@"; }
wait_tcp() { # wait_tcp NS HOST PORT
  for _ in $(seq 1 300); do
    ip netns exec "$1" /usr/bin/python3 -c "import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)" "$2" "$3" 2>/dev/null && return 0
    sleep 0.1
  done
  die "nothing listens on $2:$3 in $1"
}

# --- TLS for the upstream and the agent-side proxies
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=bench CA" \
  -keyout "$WORK/tls/ca.key" -out "$WORK/tls/ca.crt" 2>/dev/null
make_leaf() { # make_leaf NAME SAN
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$1" -keyout "$WORK/tls/$1.key" \
    -out "$WORK/tls/$1.csr" 2>/dev/null
  openssl x509 -req -in "$WORK/tls/$1.csr" -CA "$WORK/tls/ca.crt" -CAkey "$WORK/tls/ca.key" -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=%s\n' "$2") -out "$WORK/tls/$1.crt" 2>/dev/null
}
make_leaf upstream "IP:$CLUSTER_IP,IP:$DIRECT_IP"
make_leaf local "IP:127.0.0.1"
chmod 644 "$WORK/tls/"*

# --- the cluster host: nginx with a fixed ~1 KB JSON body; the sandbox
BODY="$(/usr/bin/python3 -c 'import json; print(json.dumps({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bench","namespace":"default","resourceVersion":"1"},"data":{"k%02d"%i:"x"*24 for i in range(28)}}))')"
printf '%s' "$BODY" >"$WORK/nginx/body.json"
cat >"$WORK/nginx/upstream.conf" <<NGINX
worker_processes auto;
daemon off;
pid $WORK/nginx/upstream.pid;
error_log $WORK/nginx/upstream.err;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen $CLUSTER_IP:6443 ssl;
    listen $DIRECT_IP:8443 ssl;
    ssl_certificate $WORK/tls/upstream.crt;
    ssl_certificate_key $WORK/tls/upstream.key;
    root $WORK/nginx;
    location / {
      default_type application/json;
      if (\$request_method = POST) { return 201 '$BODY'; }
      try_files /body.json =404;
    }
  }
}
NGINX
in_cluster nginx -c "$WORK/nginx/upstream.conf" &
in_cluster "$BIN/portcullis-sandbox" apiserver --listen "$SANDBOX_IP:6443" --data-dir "$WORK/sandbox" >"$WORK/sandbox.out" 2>&1 &
wait_tcp "$CLUSTER_NS" "$DIRECT_IP" 8443
wait_tcp "$CLUSTER_NS" "$SANDBOX_IP" 6443

# --- the agent host: the issuer, the gateway, nginx and mitmproxy in front of :8443
# On the agent host's own address, so that the relay on the cluster host reaches it too.
in_agent "$PYTHON" "$ROOT/Tests/clients/oidc_mint.py" serve --dir "$WORK/minting" --host "$AGENT_IP" >"$WORK/minting.out" 2>&1 &
for _ in $(seq 1 300); do grep -q listening "$WORK/minting.out" 2>/dev/null && break; sleep 0.1; done
ISSUER="$(awk '/listening/ { print $2 }' "$WORK/minting.out")"
[[ -n $ISSUER ]] || die "the token issuer did not start: $(cat "$WORK/minting.out")"
NOW=$(date +%s)
TOKEN_SECONDS=7200
[[ -n $SOAK_MINUTES ]] && ((SOAK_MINUTES * 60 + 3600 > TOKEN_SECONDS)) && TOKEN_SECONDS=$((SOAK_MINUTES * 60 + 3600))
TOKEN="$(printf '[{"key":"rsa-1","alg":"RS256","claims":{"iss":"%s","aud":"portcullis","sub":"bench","iat":%d,"exp":%d}}]' \
  "$ISSUER" "$NOW" "$((NOW + TOKEN_SECONDS))" | "$PYTHON" "$ROOT/Tests/clients/oidc_mint.py" mint --dir "$WORK/minting" \
  | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0])')"
awk -F, '$2 == "admin" { print $1 }' "$WORK/sandbox/tokens.csv" >"$GW/cluster.token"
cp "$WORK/sandbox/ca.crt" "$GW/sandbox-ca.crt"
cp "$WORK/tls/ca.crt" "$GW/bench-ca.crt"
chown "$GATEWAY_UID:$GATEWAY_UID" "$GW/cluster.token" && chmod 600 "$GW/cluster.token"
# --- the relay on the cluster host (scripts/bench/relay.sh): before the gateway, which needs its certificate
source "$ROOT/scripts/bench/relay.sh"
printf 'defaultEffect: allow\nrules: []\n' >"$GW/policy.yaml"
cat >"$GW/portcullis.yaml" <<YAML
gateway: {uid: $GATEWAY_UID, proxyPort: 15443, queue: 4242, bridges: [], stateDirectory: $GW/state,
          maxConnectionsPerCaller: $((WATCHES + CONNECTIONS + 64))}
tls: {caCertificate: $GW/tls/ca.crt, caKey: $GW/tls/ca.key}
authentication:
  issuers:
    - {issuerURL: "$ISSUER", clientIDs: [portcullis], usernamePrefix: "bench:", allowInsecureHTTPIssuer: true}
clusters:
  - {name: upstream, endpoints: ["$CLUSTER_IP:6443"], caFile: $GW/bench-ca.crt, tokenFile: $GW/cluster.token}
  - {name: sandbox, endpoints: ["$SANDBOX_IP:6443"], caFile: $GW/sandbox-ca.crt, tokenFile: $GW/cluster.token}
$RELAY_CLUSTER
policy: {file: $GW/policy.yaml}
metrics: {listen: "127.0.0.1:19464"}
store: {commitDelay: $COMMIT_DELAY}
YAML
chmod 644 "$GW/portcullis.yaml" "$GW/policy.yaml" "$GW/bench-ca.crt" "$GW/sandbox-ca.crt"
in_agent "$PORTCULLIS" init --skip-user --config "$GW/portcullis.yaml" >/dev/null
in_agent setpriv --reuid "$GATEWAY_UID" --regid "$GATEWAY_UID" --clear-groups --inh-caps +net_admin,+net_raw \
  --ambient-caps +net_admin,+net_raw -- ${GATEWAY_PREFIX:-} "$PORTCULLIS" up --config "$GW/portcullis.yaml" >"$WORK/gateway.out" 2>"$WORK/gateway.err" &
GATEWAY_JOB=$!
for _ in $(seq 1 600); do grep -q '"event":"ready"' "$WORK/gateway.out" 2>/dev/null && break; sleep 0.1; done
grep -q '"event":"ready"' "$WORK/gateway.out" || die "the gateway did not start: $(tail -5 "$WORK/gateway.err")"
GATEWAY_PID="$(gateway_pid)"
[[ -n $GATEWAY_PID ]] || die "the gateway's process is not in $AGENT_NS"
# Stops the gateway before another starts (they share the guard's queue): SIGTERM, then SIGKILL if it
# still runs after 45 s, which is a finding worth its line in the output.
stop_gateway() { # stop_gateway STDERR-FILE
  local started now
  started=$(date +%s%N)
  kill -TERM "$GATEWAY_PID" 2>/dev/null || return 0
  for _ in $(seq 1 450); do kill -0 "$GATEWAY_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$GATEWAY_PID" 2>/dev/null; then
    say "the gateway (pid $GATEWAY_PID) still runs 45 s after SIGTERM; killing it. Its last lines: $(tail -n 3 "$1" 2>/dev/null)"
    kill -KILL "$GATEWAY_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$GATEWAY_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  now=$(date +%s%N)
  say "the gateway stopped $(( (now - started) / 1000000 )) ms after SIGTERM"
}

if [[ -n $SOAK_MINUTES ]]; then
  source "$ROOT/scripts/bench/soak.sh"   # exits
fi

# BENCH_ONLY=rss: the gateway's RSS after each of RSS_ROUNDS (6) runs of GETs on keep-alive
# connections, SECONDS each: a leak per request shows as steady growth. Printed, not written.
# RSS_MODE=exec: RSS_EXECS (100) kubectl execs (WebSocket) per round instead; RSS_MODE=watch:
# RSS_WATCHES (100) watches opened and closed per round.
if [[ ${BENCH_ONLY:-} == rss ]]; then
  URI=/api/v1/namespaces/default/configmaps/bench
  kx() { in_agent "$KUBECTL" --server "https://$SANDBOX_IP:6443" --insecure-skip-tls-verify --token "$TOKEN" --cache-dir "$WORK/kcache" "$@"; }
  if [[ ${RSS_MODE:-get} == exec ]]; then
    printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"rss","namespace":"default"},"spec":{"containers":[{"name":"main","image":"busybox"}]}}' \
      | kx create -f - >/dev/null
  fi
  for round in $(seq 1 "${RSS_ROUNDS:-6}"); do
    case ${RSS_MODE:-get} in
      exec) done_=0; for _ in $(seq 1 "${RSS_EXECS:-100}"); do
              if out="$(kx exec rss -- echo hi 2>&1)"; then done_=$((done_ + 1)); else say "rss: an exec failed: ${out:0:300}"; fi; done
            what="$done_ execs" ;;
      watch) in_agent /usr/bin/python3 - "$SANDBOX_IP" "$TOKEN" "${RSS_WATCHES:-100}" <<'PY'
import socket, ssl, sys
host, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
conns = []
for _ in range(n):
    s = ctx.wrap_socket(socket.create_connection((host, 6443)))
    s.sendall(f"GET /api/v1/namespaces/default/configmaps?watch=true HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    s.recv(4096)
    conns.append(s)
for s in conns: s.close()
PY
             what="${RSS_WATCHES:-100} watches" ;;
      *) out="$(in_agent wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -H "Authorization: Bearer $TOKEN" "https://$CLUSTER_IP:6443$URI" 2>&1)"
         what="$(awk '/requests in/ { print $1 }' <<<"$out") requests" ;;
    esac
    sleep 1
    say "rss: round $round: $what; gateway $(grep -E '^(VmRSS|RssAnon)' "/proc/$GATEWAY_PID/status" | tr -s ' \t\n' ' ')$(in_agent curl -s http://127.0.0.1:19464/metrics | awk '$1 ~ /^portcullis_(connections|streams)_active$/ { printf " %s %s", $1, $2 }')"
  done
  if [[ -n ${GATEWAY_PREFIX:-} ]]; then # let the tool the gateway runs under finish its output
    stop_gateway "$WORK/gateway.err"
    wait "$GATEWAY_JOB" || true
  fi
  exit 0
fi

# BENCH_ONLY=watches: one run of GETs (SECONDS), then WATCHES idle watches: the gateway's RSS before
# and with them. Printed, not written.
if [[ ${BENCH_ONLY:-} == watches ]]; then
  in_agent wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -H "Authorization: Bearer $TOKEN" "https://$CLUSTER_IP:6443/api/v1/namespaces/default/configmaps/bench" >/dev/null 2>&1
  in_cluster "$KUBECTL" --kubeconfig "$WORK/sandbox/kubeconfig" get ns default >/dev/null
  before="$(awk '/VmRSS/ { print $2 }' "/proc/$GATEWAY_PID/status")"
  coproc WATCHER { in_agent /usr/bin/python3 "$ROOT/scripts/bench/watch_load.py" "$SANDBOX_IP" 6443 "$TOKEN" --watches "$WATCHES" --creates 0; }
  read -r -t 120 line <&"${WATCHER[0]}" || die "the watches did not open within 120 s"
  sleep 2
  say "watches: gateway RSS $((before / 1024)) MiB before, $(( $(awk '/VmRSS/ { print $2 }' "/proc/$GATEWAY_PID/status") / 1024 )) MiB with $WATCHES idle watches"
  pkill -f "$ROOT/scripts/bench/watch_load.py" 2>/dev/null || true
  exit 0
fi

# BENCH_ONLY=tail: `portcullis tail --json` follows the record while GETs run at the gateway's top
# rate (SECONDS): the rate with and without it, and how long after the load stopped tail had printed
# every request. Printed, not written.
if [[ ${BENCH_ONLY:-} == tail ]]; then
  URL="https://$CLUSTER_IP:6443/api/v1/namespaces/default/configmaps/bench"
  rate() { awk '/Requests\/sec/ { print $2 }' <<<"$1"; }
  plain="$(in_agent wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -H "Authorization: Bearer $TOKEN" "$URL" 2>&1)"
  sleep 1   # --since has whole seconds: after a second, nothing of the plain run falls into it
  since="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  "$PORTCULLIS" tail --json --since "$since" --config "$GW/portcullis.yaml" >"$WORK/tail.out" 2>"$WORK/tail.err" &
  TAIL_PID=$!
  followed="$(in_agent wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -H "Authorization: Bearer $TOKEN" "$URL" 2>&1)"
  ended=$(date +%s%N)
  sent="$(awk '/requests in/ { print $1 }' <<<"$followed")"
  requests_printed() { grep -c '"kind":"request"' "$WORK/tail.out" || true; }
  for _ in $(seq 1 300); do (($(requests_printed) >= sent)) && break; sleep 0.1; done
  caught=$(( ($(date +%s%N) - ended) / 1000000 ))
  printed=$(requests_printed)
  kill "$TAIL_PID" 2>/dev/null || true
  say "tail: the gateway alone $(rate "$plain") req/s; followed by tail $(rate "$followed") req/s, $sent requests;" \
      "tail printed $printed requests, the last ${caught} ms after the load stopped$( ((printed < sent)) && echo " (NOT all: $(tail -n 2 "$WORK/tail.err"))")"
  exit 0
fi

# BENCH_ONLY=central: only the central store's runs (scripts/bench/central.sh), after one plain run of
# the same length for comparison; prints their section instead of writing bench/results.md.
if [[ ${BENCH_ONLY:-} == central ]]; then
  URI=/api/v1/namespaces/default/configmaps/bench
  declare -A TARGET=([portcullis]="https://$CLUSTER_IP:6443$URI")
  out="$(in_agent wrk -t2 -c"$CONNECTIONS" -d"${CENTRAL_SECONDS:-30}s" --latency -H "Authorization: Bearer $TOKEN" "${TARGET[portcullis]}" 2>&1)"
  PLAIN_RPS="$(awk '/Requests\/sec/ { print $2 }' <<<"$out")"
  say "central only: the gateway without central: $PLAIN_RPS req/s"
  source "$ROOT/scripts/bench/central.sh"
  /usr/bin/python3 "$ROOT/scripts/bench/report.py" --central-only "$WORK/central.json" --plain-rps "$PLAIN_RPS"
  exit 0
fi

cat >"$WORK/nginx/proxy.conf" <<NGINX
worker_processes auto;
daemon off;
pid $WORK/nginx/proxy.pid;
error_log $WORK/nginx/proxy.err;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream cluster { server $DIRECT_IP:8443; keepalive 64; }
  server {
    listen 127.0.0.1:9443 ssl;
    ssl_certificate $WORK/tls/local.crt;
    ssl_certificate_key $WORK/tls/local.key;
    location / {
      proxy_pass https://cluster;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_ssl_session_reuse on;
    }
  }
}
NGINX
in_agent nginx -c "$WORK/nginx/proxy.conf" &
in_agent "$MITM_VENV/bin/mitmdump" --mode "reverse:https://$DIRECT_IP:8443" --listen-host 127.0.0.1 --listen-port 9444 \
  --ssl-insecure -q -w "$WORK/flows.mitm" >"$WORK/mitm.out" 2>&1 &
wait_tcp "$AGENT_NS" 127.0.0.1 9443
wait_tcp "$AGENT_NS" 127.0.0.1 9444

# --- throughput and latency, alternating
URI=/api/v1/namespaces/default/configmaps/bench
declare -A TARGET=([direct]="https://$DIRECT_IP:8443$URI" [nginx]="https://127.0.0.1:9443$URI"
                   [mitmproxy]="https://127.0.0.1:9444$URI" [portcullis]="https://$CLUSTER_IP:6443$URI"
                   [relay]="https://$RELAYED_IP:6443$URI")
# BENCH_ONLY=profile: one run of nginx, then one of the gateway with `perf stat` (CPU time and
# context switches per request) and, with PROFILE_GRAPH=1, a call-graph profile (perf record -g),
# printed. For finding where the gateway's time goes between full runs; not written.
if [[ ${BENCH_ONLY:-} == profile ]]; then
  for config in nginx portcullis; do
    tools=()
    if [[ $config == portcullis ]]; then
      perf stat -e task-clock,context-switches -x, -p "$GATEWAY_PID" -o "$WORK/perf-stat.csv" -- sleep "$((DURATION - 1))" &
      tools+=($!)
      if [[ ${PROFILE_GRAPH:-0} == 1 ]]; then
        perf record -q -g ${PROFILE_EVENT:+-e "$PROFILE_EVENT"} -F 499 -p "$GATEWAY_PID" -o "$WORK/perf.data" -- sleep "$((DURATION - 1))" >/dev/null 2>&1 &
        tools+=($!)
      fi
    fi
    [[ $config == portcullis ]] && in_agent curl -s http://127.0.0.1:19464/metrics >"$WORK/metrics-before.txt"
    out="$(in_agent wrk -t"$((CONNECTIONS < 2 ? 1 : 2))" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "${TARGET[$config]}" 2>&1)"
    ((${#tools[@]} == 0)) || wait "${tools[@]}" || true
    [[ $config == portcullis ]] && in_agent curl -s http://127.0.0.1:19464/metrics >"$WORK/metrics-after.txt"
    say "$config: $(awk '/Requests\/sec/ { print $2 }' <<<"$out") req/s, p50 $(awk '$1 == "50%" { print $2 }' <<<"$out")"
    [[ $config == portcullis ]] || continue
    rps="$(awk '/Requests\/sec/ { print $2 }' <<<"$out")"
    awk -F, -v rps="$rps" -v s="$((DURATION - 1))" '$3 == "task-clock" { printf "cpu per request: %.0f us\n", $1 * 1000 / (rps * s) }
      $3 == "context-switches" { printf "context switches per request: %.2f\n", $1 / (rps * s) }' "$WORK/perf-stat.csv" >&2
    # Each stage's mean over this run, and the store's commits: the metrics' sums and counts, after less before.
    awk '/^portcullis_(request_stage|store_commit_duration)_seconds_(sum|count)/ {
           key = $1; sub(/_(sum|count)/, "", key); if ($1 ~ /_sum/) s[key] += (FILENAME ~ /after/ ? $2 : -$2); else c[key] += (FILENAME ~ /after/ ? $2 : -$2) }
         END { for (k in c) if (c[k] > 0) printf "  %-80s %9.3f ms over %d\n", k, s[k] / c[k] * 1000, c[k] }' \
      "$WORK/metrics-before.txt" "$WORK/metrics-after.txt" | sort >&2
  done
  if [[ ${PROFILE_GRAPH:-0} == 1 ]]; then
    [[ -z ${PROFILE_DATA:-} ]] || cp "$WORK/perf.data" "$PROFILE_DATA"
    perf report -i "$WORK/perf.data" --stdio --children --sort symbol --percent-limit 1.5 -g none 2>/dev/null | grep -v '^$' | head -n 120 || true
  fi
  exit 0
fi
CONFIGS=(direct nginx mitmproxy portcullis relay)
# Each configuration must answer 200 before it is measured.
for config in "${CONFIGS[@]}"; do
  code="$(in_agent curl -sk -o "$WORK/preflight.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "${TARGET[$config]}")"
  [[ $code == 200 ]] || die "$config answered $code, not 200: $(head -c 400 "$WORK/preflight.json"); the recorded reason: $(sqlite3 "file:$GW/state/recording.sqlite?mode=ro" "SELECT reason FROM responses ORDER BY seq DESC LIMIT 1" 2>&1)"
done
RESULTS="$WORK/runs.tsv"
: >"$RESULTS"
SENT_TO_GATEWAY=0
SENT_TO_RELAY=0
recorded() { sqlite3 "file:$GW/state/recording.sqlite?mode=ro" "SELECT COUNT(*) FROM requests WHERE uri = '$URI'"; }
relay_recorded() { sqlite3 "file:$RELAY_STORE?mode=ro" "SELECT COUNT(*) FROM requests WHERE uri = '$URI'"; }
BEFORE_RECORDED=$(recorded)
BEFORE_RELAY_RECORDED=$(relay_recorded)
for round in $(seq 1 "$ROUNDS"); do
  for config in "${CONFIGS[@]}"; do
    out="$(in_agent wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "${TARGET[$config]}" 2>&1)"
    rps="$(awk '/Requests\/sec/ { print $2 }' <<<"$out")"
    p50="$(awk '$1 == "50%" { print $2 }' <<<"$out")"
    p99="$(awk '$1 == "99%" { print $2 }' <<<"$out")"
    total="$(awk '/requests in/ { print $1 }' <<<"$out")"
    non2xx="$(awk '/Non-2xx/ { print $NF }' <<<"$out")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$config" "$rps" "$p50" "$p99" "$total" "${non2xx:-0}" >>"$RESULTS"
    [[ $config == portcullis || $config == relay ]] && SENT_TO_GATEWAY=$((SENT_TO_GATEWAY + total))
    [[ $config == relay ]] && SENT_TO_RELAY=$((SENT_TO_RELAY + total))
    say "round $round $config: $rps req/s, p50 $p50, p99 $p99${non2xx:+, $non2xx non-2xx}"
  done
done
sleep 1   # the last group commit
RECORDED=$(( $(recorded) - BEFORE_RECORDED ))
RELAY_RECORDED=$(( $(relay_recorded) - BEFORE_RELAY_RECORDED ))
RELAY_RSS_PEAK_KIB="$(awk '/VmHWM/ { print $2 }' "/proc/$RELAY_PID/status")"
# The store's side of the gateway's cost: its group commits, from the gateway's own metrics.
in_agent curl -s http://127.0.0.1:19464/metrics >"$WORK/metrics.txt"
# Where the gateway spends its CPU under the same load: a flat perf profile of one more run.
PROFILE="$WORK/profile.txt"
if perf stat -e instructions true >/dev/null 2>&1; then
  in_agent wrk -t2 -c"$CONNECTIONS" -d"$((DURATION + 2))s" -H "Authorization: Bearer $TOKEN" "${TARGET[portcullis]}" >/dev/null 2>&1 &
  WRK_PID=$!
  sleep 1
  perf record -q -F 999 -p "$GATEWAY_PID" -o "$WORK/perf.data" -- sleep "$DURATION" >"$WORK/perf-record.out" 2>&1 || true
  wait "$WRK_PID" || true
  perf report -q -i "$WORK/perf.data" --stdio --no-children --sort dso,symbol 2>"$WORK/perf-report.err" | grep -v '^$' | head -n 25 \
    | sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//; s/[[:space:]]+$//' >"$PROFILE" || true
  [[ -s $PROFILE ]] || { echo "no profile: perf record said: $(tail -n 3 "$WORK/perf-record.out"); perf report said: $(tail -n 3 "$WORK/perf-report.err")" >"$PROFILE"; }
else
  echo "perf is not supported on this machine" >"$PROFILE"
fi
RSS_PEAK_KIB="$(awk '/VmHWM/ { print $2 }' "/proc/$GATEWAY_PID/status")"

# --- 1,000 watches through the gateway: memory, then events per second
in_cluster "$KUBECTL" --kubeconfig "$WORK/sandbox/kubeconfig" get ns default >/dev/null
RSS_BEFORE_WATCHES_KIB="$(awk '/VmRSS/ { print $2 }' "/proc/$GATEWAY_PID/status")"
coproc WATCHER { in_agent /usr/bin/python3 "$ROOT/scripts/bench/watch_load.py" "$SANDBOX_IP" 6443 "$TOKEN" --watches "$WATCHES" --creates 20; }
read -r -t 120 line <&"${WATCHER[0]}" || die "the watches did not open within 120 s"
[[ $line == open ]] || die "the watches did not open: $line"
sleep 2   # let allocations settle before reading RSS
RSS_WATCHES_KIB="$(awk '/VmRSS/ { print $2 }' "/proc/$GATEWAY_PID/status")"
echo go >&"${WATCHER[1]}"
read -r -t 180 WATCH_RESULT <&"${WATCHER[0]}" || die "the watch events did not arrive within 180 s"
kill "$WATCHER_PID" 2>/dev/null || true
pkill -f "$ROOT/scripts/bench/watch_load.py" 2>/dev/null || true   # the coprocess's python, not only its shell

# --- kubectl get pods, direct (from the cluster host) and through the gateway
time_kubectl() { # time_kubectl NS ARGS...: median wall time of 5 runs, in ms
  local ns=$1; shift
  local times=()
  for _ in 1 2 3 4 5; do
    local start end
    start=$(date +%s%N)
    ip netns exec "$ns" "$KUBECTL" "$@" get pods -n default >/dev/null
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 3p
}
KUBECTL_DIRECT_MS="$(time_kubectl "$CLUSTER_NS" --kubeconfig "$WORK/sandbox/kubeconfig")"
KUBECTL_GATEWAY_MS="$(time_kubectl "$AGENT_NS" --server "https://$SANDBOX_IP:6443" --insecure-skip-tls-verify --token "$TOKEN" --cache-dir "$WORK/kcache")"

# --- one client, 64 connections, a mixed load, host durability, context switches (scripts/bench/extra.sh)
source "$ROOT/scripts/bench/extra.sh"

# --- the central store: shipping at top load, async and required (scripts/bench/central.sh)
CENTRAL_JSON=""
if [[ ${CENTRAL:-1} == 1 ]]; then
  source "$ROOT/scripts/bench/central.sh"
  CENTRAL_JSON="$WORK/central.json"
fi

# --- the report: before and after against the issue's starting point (bench/before.json, or
# BENCH_BEFORE) and the previous full run (its summary, kept as bench/previous.json)
mkdir -p "$ROOT/bench"
[[ -f $ROOT/bench/summary.json ]] && cp "$ROOT/bench/summary.json" "$ROOT/bench/previous.json"
/usr/bin/python3 "$ROOT/scripts/bench/report.py" --runs "$RESULTS" --sent "$SENT_TO_GATEWAY" --recorded "$RECORDED" \
  --rss-peak-kib "$RSS_PEAK_KIB" --rss-before-watches-kib "$RSS_BEFORE_WATCHES_KIB" --rss-watches-kib "$RSS_WATCHES_KIB" \
  --watch-result "$WATCH_RESULT" --kubectl-direct-ms "$KUBECTL_DIRECT_MS" --kubectl-gateway-ms "$KUBECTL_GATEWAY_MS" \
  --commit "${PORTCULLIS_BIN_COMMIT:-$(cd "$ROOT" && git rev-parse --short HEAD)}" --command "ROUNDS=$ROUNDS SECONDS_PER_RUN=$DURATION CONNECTIONS=$CONNECTIONS WATCHES=$WATCHES COMMIT_DELAY=$COMMIT_DELAY scripts/bench.sh" \
  --connections "$CONNECTIONS" --body-bytes "${#BODY}" --metrics "$WORK/metrics.txt" --profile "$PROFILE" \
  --analysis "$ROOT/bench/analysis.md" --soak "$ROOT/bench/soak.md" ${CENTRAL_JSON:+--central "$CENTRAL_JSON"} --extra "$EXTRA" --switches "$SWITCHES" \
  --relay-sent "$SENT_TO_RELAY" --relay-recorded "$RELAY_RECORDED" --relay-rss-peak-kib "$RELAY_RSS_PEAK_KIB" \
  --summary "$ROOT/bench/summary.json" --before "${BENCH_BEFORE:-$ROOT/bench/before.json}" \
  --before "$ROOT/bench/previous.json" >"$ROOT/bench/results.md"
cat "$ROOT/bench/results.md"

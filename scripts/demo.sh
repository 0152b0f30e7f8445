#!/usr/bin/env bash
# The Portcullis sandbox demo, narrated: the real kubectl 1.32 on an "agent host" drives
# portcullis-sandbox, the stand-in Kubernetes API server, on a "cluster host". The two hosts are
# network namespaces joined by a veth pair (agent 198.18.0.1, cluster 198.18.0.2); no traffic
# leaves them. Everything is removed at the end, also on failure or Ctrl-C.
#
# Run as root on Debian 12: it installs prerequisites (scripts/setup.sh), builds with `swift build`,
# and creates network namespaces. With PORTCULLIS_BIN_DIR set, it uses the executables in that
# directory instead of building.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KUBECTL=/usr/lib/google-cloud-sdk/bin/kubectl.1.32
AGENT_IP=198.18.0.1
CLUSTER_IP=198.18.0.2
# Names the test harness recognises: pcl-<owner pid>-<n>-<role>. If this script is killed too hard
# to clean up, the next test run removes them (its stale sweep finds the owner pid dead).
AGENT_NS="pcl-$$-0-agent"
CLUSTER_NS="pcl-$$-0-cluster"
VETH_AGENT="pv$(($$ % 100000))a0"
VETH_CLUSTER="pv$(($$ % 100000))b0"

if [[ -t 1 ]]; then BOLD=$'\e[1m'; DIM=$'\e[2m'; RESET=$'\e[0m'; else BOLD=""; DIM=""; RESET=""; fi

die() { echo "demo.sh: $*" >&2; exit 1; }
say() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$RESET"; }

[[ $(id -u) -eq 0 ]] || die "run as root: it installs packages and creates network namespaces"

WORK=""
SANDBOX_PID=""
cleanup() {
  local status=$?
  set +e
  if [[ -n $SANDBOX_PID ]] && kill -0 "$SANDBOX_PID" 2>/dev/null; then
    kill -TERM "$SANDBOX_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$SANDBOX_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  for ns in "$AGENT_NS" "$CLUSTER_NS"; do
    if ip netns list 2>/dev/null | grep -q "^$ns\b"; then
      ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
      ip netns delete "$ns"
    fi
  done
  [[ -n $WORK ]] && rm -rf "$WORK"
  if [[ $status -eq 0 ]]; then
    echo "demo.sh: cleaned up: sandbox stopped, namespaces and files removed"
  else
    echo "demo.sh: stopped with status $status; cleaned up: sandbox stopped, namespaces and files removed" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

say "Installing prerequisites (scripts/setup.sh)"
"$ROOT/scripts/setup.sh"

if ! command -v swift >/dev/null && [[ -x /opt/swift/usr/bin/swift ]]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
if [[ -n ${PORTCULLIS_BIN_DIR:-} ]]; then
  BIN="$PORTCULLIS_BIN_DIR"
  say "Using the executables in $BIN (PORTCULLIS_BIN_DIR)"
else
  say "Building (swift build)"
  (cd "$ROOT" && swift build) || die "swift build failed (see above)"
  BIN="$(cd "$ROOT" && swift build --show-bin-path)"
fi
SANDBOX="$BIN/portcullis-sandbox"
[[ -x $SANDBOX ]] || die "missing $SANDBOX: the build did not produce it"
[[ -x $KUBECTL ]] || die "missing $KUBECTL: install the Cloud SDK's kubectl package (see scripts/setup.sh)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pcl-$$-demo-XXXXXX")"
DATA="$WORK/sandbox"
mkdir -p "$WORK/home"

say "Creating the agent host ($AGENT_NS, $AGENT_IP) and the cluster host ($CLUSTER_NS, $CLUSTER_IP)"
ip netns add "$AGENT_NS"
ip netns add "$CLUSTER_NS"
ip -n "$AGENT_NS" link set lo up
ip -n "$CLUSTER_NS" link set lo up
ip -n "$AGENT_NS" link add "$VETH_AGENT" type veth peer name "$VETH_CLUSTER" netns "$CLUSTER_NS"
ip -n "$AGENT_NS" addr add "$AGENT_IP/24" dev "$VETH_AGENT"
ip -n "$CLUSTER_NS" addr add "$CLUSTER_IP/24" dev "$VETH_CLUSTER"
ip -n "$AGENT_NS" link set "$VETH_AGENT" up
ip -n "$CLUSTER_NS" link set "$VETH_CLUSTER" up
for ns in "$AGENT_NS" "$CLUSTER_NS"; do
  [[ -z $(ip -n "$ns" route show default) && -z $(ip -n "$ns" -6 route show default) ]] \
    || die "namespace $ns has a default route; refusing to let demo traffic leave the test hosts"
done
echo "Routes on the agent host (no default route: it can only reach the cluster host):"
ip -n "$AGENT_NS" route show | sed 's/^/  /'

say "Starting portcullis-sandbox on the cluster host"
echo "${DIM}$ portcullis-sandbox apiserver --listen $CLUSTER_IP:6443 --data-dir $DATA --log-interval-ms 200${RESET}"
ip netns exec "$CLUSTER_NS" "$SANDBOX" apiserver --listen "$CLUSTER_IP:6443" --data-dir "$DATA" \
  --log-interval-ms 200 >"$WORK/sandbox.out" 2>"$WORK/sandbox.err" &
SANDBOX_PID=$!
# The sandbox prints one ready line once it serves; poll its output for it (bounded: 60 s).
for _ in $(seq 1 600); do
  grep -q 'portcullis-sandbox: ready' "$WORK/sandbox.out" && break
  kill -0 "$SANDBOX_PID" 2>/dev/null || { cat "$WORK/sandbox.err" >&2; die "the sandbox exited before it was ready"; }
  sleep 0.1
done
grep -q 'portcullis-sandbox: ready' "$WORK/sandbox.out" \
  || { cat "$WORK/sandbox.err" >&2; die "the sandbox did not print its ready line within 60 s"; }
sed 's/^/  /' "$WORK/sandbox.out"
KUBECONFIG_PATH="$(sed -nE 's/.*kubeconfig=([^ ]+).*/\1/p' "$WORK/sandbox.out" | head -n 1)"
KUBECONFIG_PATH="${KUBECONFIG_PATH:-$DATA/kubeconfig}"

# kubectl on the agent host, with its own HOME and discovery cache, nothing from the environment.
agent_kubectl() {
  ip netns exec "$AGENT_NS" env -i PATH=/usr/bin:/bin HOME="$WORK/home" LANG=C.UTF-8 \
    "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" --cache-dir "$WORK/home/cache" "$@"
}
# Quotes the arguments that need it, for display.
quoted() {
  local arg words=()
  for arg in "$@"; do
    if [[ $arg =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then words+=("$arg"); else words+=("'${arg//\'/\'\\\'\'}'"); fi
  done
  echo "${words[*]}"
}
# Prints the command, then runs it on the agent host.
run() {
  printf '\n%s[agent]$ kubectl %s%s\n' "$BOLD" "$(quoted "$@")" "$RESET"
  agent_kubectl "$@"
}

say "kubectl 1.32 on the agent host talks to the sandbox through the veth pair"
run get ns

cat >"$WORK/demo.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: demo
spec:
  containers:
  - name: main
    image: nginx
YAML
say "Applying a manifest: namespace demo and pod web-1"
sed 's/^/  /' "$WORK/demo.yaml"
run apply -f "$WORK/demo.yaml"
run get pods -n demo

say "Reading the container's log (the sandbox writes a line every 200 ms)"
sleep 1
run logs web-1 -n demo --tail=3
printf '\n%s[agent]$ kubectl logs -f web-1 -n demo --tail=1%s   %s(followed for 2 seconds)%s\n' \
  "$BOLD" "$RESET" "$DIM" "$RESET"
ip netns exec "$AGENT_NS" env -i PATH=/usr/bin:/bin HOME="$WORK/home" LANG=C.UTF-8 \
  timeout 2 "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" --cache-dir "$WORK/home/cache" \
  logs -f web-1 -n demo --tail=1 || [[ $? -eq 124 ]]

say "Running commands in the pod over a WebSocket (exec)"
run exec web-1 -n demo -- echo hello from the sandbox
run exec web-1 -n demo -- sh -c 'hostname && echo two commands in one exec'

say "Deleting the namespace (and with it the pod)"
run delete ns demo
run get ns

say "The sandbox's audit log (last 8 of $(wc -l <"$DATA/audit.log") events: stage, user, verb, request, code)"
tail -n 8 "$DATA/audit.log" | /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    code = e.get("responseStatus", {}).get("code", "-")
    user = e.get("user", {}).get("username", "")
    print("  %-16s %-6s %-7s %s  %s" % (e["stage"], user, e["verb"], e["requestURI"], code))
'
echo "One event in full:"
tail -n 1 "$DATA/audit.log" | sed 's/^/  /'

say "Done"

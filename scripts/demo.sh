#!/usr/bin/env bash
# The Portcullis demo, narrated. Two "hosts" are network namespaces joined by a veth pair:
#   - the cluster host (198.18.0.2) runs portcullis-sandbox, a stand-in Kubernetes API server;
#   - the agent host (198.18.0.1) runs an OIDC provider (oidc-provider-mock), the gateway
#     (`portcullis up`, as its own uid) and the real kubectl 1.32 as the agent's uid.
# The gateway's iptables rules steer kubectl's connection to the cluster's own address into the
# gateway, which requires the OIDC token, records everything and forwards with its own credential.
# The agent runs in a cgroup named like a CI runner's systemd unit (actions-runner.service), which
# the gateway names without any extra privilege. Then the recording is read back: the agent's run,
# its commands, the replay of an exec, the hash chain's verification, and what the run changed. No traffic leaves the namespaces; nothing on the host's own
# firewall changes. Everything is removed at the end, also on failure or Ctrl-C.
#
# Run as root on Debian 12: it installs prerequisites (scripts/setup.sh), builds with `swift build`,
# and creates network namespaces. With PORTCULLIS_BIN_DIR set, it uses the executables in that
# directory instead of building.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KUBECTL=/usr/lib/google-cloud-sdk/bin/kubectl.1.32
AGENT_IP=198.18.0.1
CLUSTER_IP=198.18.0.2
GATEWAY_UID=64990   # numeric uids with no user: the same ones the tests use
AGENT_UID=64991
OIDC_PORT=18080
# Names the test harness recognises: pcl-<owner pid>-<n>-<role>. If this script is killed too hard
# to clean up, the next test run removes them (its stale sweep finds the owner pid dead).
AGENT_NS="pcl-$$-0-agent"
CLUSTER_NS="pcl-$$-0-cluster"
VETH_AGENT="pv$(($$ % 100000))a0"
VETH_CLUSTER="pv$(($$ % 100000))b0"
# The agent's cgroup, as a CI runner's unit would be: <cgroup v2 hierarchy>/pcl-<pid>-0/system.slice/
# actions-runner.service. The hierarchy is where /proc/self/mountinfo says cgroup2 is mounted.
CGROUP_ROOT="$(awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' /proc/self/mountinfo)"
AGENT_CGROUP_TOP=""
AGENT_CGROUP=""

if [[ -t 1 ]]; then BOLD=$'\e[1m'; DIM=$'\e[2m'; RESET=$'\e[0m'; else BOLD=""; DIM=""; RESET=""; fi

die() { echo "demo.sh: $*" >&2; exit 1; }
say() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$RESET"; }

[[ $(id -u) -eq 0 ]] || die "run as root: it installs packages and creates network namespaces"

WORK=""
cleanup() {
  local status=$?
  set +e
  # Everything the demo started runs in one of the two namespaces: SIGTERM first (the gateway
  # closes its recording cleanly), then SIGKILL for anything left.
  for signal in TERM KILL; do
    for ns in "$AGENT_NS" "$CLUSTER_NS"; do
      ip netns pids "$ns" 2>/dev/null | xargs -r kill "-$signal" 2>/dev/null
    done
    for _ in $(seq 1 50); do
      [[ -z $(ip netns pids "$AGENT_NS" 2>/dev/null; ip netns pids "$CLUSTER_NS" 2>/dev/null) ]] && break
      sleep 0.1
    done
  done
  for ns in "$AGENT_NS" "$CLUSTER_NS"; do
    ip netns list 2>/dev/null | grep -q "^$ns\b" && ip netns delete "$ns"
  done
  if [[ -n $AGENT_CGROUP_TOP && -d $AGENT_CGROUP_TOP ]]; then
    echo 1 >"$AGENT_CGROUP_TOP/cgroup.kill" 2>/dev/null
    for _ in $(seq 1 50); do
      rmdir "$AGENT_CGROUP" "$AGENT_CGROUP_TOP/system.slice" "$AGENT_CGROUP_TOP" 2>/dev/null && break
      sleep 0.1
    done
  fi
  [[ -n $WORK ]] && rm -rf "$WORK"
  if [[ $status -eq 0 ]]; then
    echo "demo.sh: cleaned up: processes stopped, namespaces (and the gateway's rules in them) and files removed"
  else
    echo "demo.sh: stopped with status $status; cleaned up: processes stopped, namespaces and files removed" >&2
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
PORTCULLIS="$BIN/portcullis"
PYTHON="$ROOT/.venv/bin/python"
for tool in "$SANDBOX" "$PORTCULLIS"; do [[ -x $tool ]] || die "missing $tool: the build did not produce it"; done
[[ -x $KUBECTL ]] || die "missing $KUBECTL: install the Cloud SDK's kubectl package (see scripts/setup.sh)"
[[ -x $PYTHON ]] || die "missing $PYTHON: scripts/setup.sh creates it with oidc-provider-mock"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pcl-$$-demo-XXXXXX")"
chmod 755 "$WORK"   # the gateway and the agent run as their own uids
GW="$WORK/gateway"
mkdir -p "$GW/tls" "$WORK/agent/home" "$WORK/clients"
chmod 755 "$GW" "$GW/tls"
chown -R "$AGENT_UID:$AGENT_UID" "$WORK/agent"
# The exec credential plugin runs as the agent's uid, which cannot read a checkout under /root.
cp "$ROOT/Tests/clients/kubectl_oidc_plugin.py" "$ROOT/Tests/clients/oidc_mock_token.py" "$WORK/clients/"
chmod 755 "$WORK/clients" && chmod 644 "$WORK/clients/"*

# Polls (up to 60 s) until FILE contains TEXT; PID must stay alive meanwhile.
wait_for_line() {
  local file=$1 text=$2 pid=$3 what=$4
  for _ in $(seq 1 600); do
    grep -q -- "$text" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$file" "${file%.out}.err" >&2 2>/dev/null; die "$what exited before it was ready"; }
    sleep 0.1
  done
  die "$what was not ready within 60 s"
}

say "1. The hosts: the agent host ($AGENT_NS, $AGENT_IP) and the cluster host ($CLUSTER_NS, $CLUSTER_IP)"
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

say "The cluster host runs portcullis-sandbox"
echo "${DIM}$ portcullis-sandbox apiserver --listen $CLUSTER_IP:6443 --data-dir $WORK/sandbox${RESET}"
ip netns exec "$CLUSTER_NS" "$SANDBOX" apiserver --listen "$CLUSTER_IP:6443" --data-dir "$WORK/sandbox" \
  --log-interval-ms 200 >"$WORK/sandbox.out" 2>"$WORK/sandbox.err" &
wait_for_line "$WORK/sandbox.out" 'portcullis-sandbox: ready' $! "the sandbox"
sed 's/^/  /' "$WORK/sandbox.out"
# The gateway's own credential: the sandbox's admin token (allowed to impersonate), and its CA.
awk -F, '$2 == "admin" { print $1 }' "$WORK/sandbox/tokens.csv" >"$GW/cluster.token"
[[ -s $GW/cluster.token ]] || die "no admin token in $WORK/sandbox/tokens.csv"
cp "$WORK/sandbox/ca.crt" "$GW/cluster-ca.crt"
chown "$GATEWAY_UID:$GATEWAY_UID" "$GW/cluster.token" && chmod 600 "$GW/cluster.token"

say "The agent host runs an OIDC provider (oidc-provider-mock on 127.0.0.1:$OIDC_PORT)"
echo "Its tokens carry a CI job's claims, as GitHub Actions' do: repository and run_id name the agent's run."
ip netns exec "$AGENT_NS" "$PYTHON" -m oidc_provider_mock --port "$OIDC_PORT" \
  --user-claims '{"sub":"agent-7","email":"agent@example.com","groups":["ai-agents"],"repository":"acme/shop","run_id":"4242"}' \
  >"$WORK/oidc.out" 2>"$WORK/oidc.err" &
OIDC_PID=$!
for _ in $(seq 1 600); do
  ip netns exec "$AGENT_NS" "$PYTHON" "$ROOT/Tests/clients/net_client.py" tcp 127.0.0.1 "$OIDC_PORT" --timeout 1 2>/dev/null \
    | grep -q '"connected": true' && break
  kill -0 "$OIDC_PID" 2>/dev/null || { cat "$WORK/oidc.err" >&2; die "oidc-provider-mock exited"; }
  sleep 0.1
done

cat >"$GW/portcullis.yaml" <<YAML
gateway:
  uid: $GATEWAY_UID
  proxyPort: 15443
  queue: 4242
  bridges: []
  stateDirectory: $GW/state
tls:
  caCertificate: $GW/tls/ca.crt
  caKey: $GW/tls/ca.key
authentication:
  issuers:
    - issuerURL: http://127.0.0.1:$OIDC_PORT
      clientIDs: [portcullis]
      usernamePrefix: "oidc:"
      groupsClaim: groups
      groupsPrefix: "oidc:"
      runClaims: [repository, run_id]     # claims that name the agent's run (GitHub Actions: repository, run_id, job_workflow_ref)
      allowInsecureHTTPIssuer: true       # the demo's provider is plain http on loopback
clusters:
  - name: sandbox
    endpoints: ["$CLUSTER_IP:6443"]
    caFile: $GW/cluster-ca.crt
    tokenFile: $GW/cluster.token
policy:
  file: $GW/policy.yaml
YAML
CONFIG="$GW/portcullis.yaml"
# The policy (docs/policy.md): the first matching rule decides; what none matches is denied.
cat >"$GW/policy.yaml" <<'YAML'
defaultEffect: deny
review:
  timeout: 5m
  maxHeld: 4
rules:
  - id: no-delete-namespaces
    effect: deny
    verbs: [delete, deletecollection]
    resources: [namespaces]
    reason: namespaces are never deleted through the gateway
  - id: deletes-need-review
    effect: review
    verbs: [delete, deletecollection]
    reason: deletes wait for the on-call engineer
  - id: agents-work-in-demo
    effect: allow
    subjects: {groups: ["oidc:ai-agents"]}
    namespaces: [demo]
  - id: agents-read-and-set-up
    effect: allow
    subjects: {groups: ["oidc:ai-agents"]}
    verbs: [get, list, watch, create, patch]
YAML
chmod 644 "$GW/policy.yaml"
STORE="$GW/state/recording.sqlite"

say "The gateway: portcullis init, then portcullis up as uid $GATEWAY_UID with CAP_NET_ADMIN and CAP_NET_RAW"
sed 's/^/  /' "$CONFIG"
echo "  ${DIM}# $GW/policy.yaml${RESET}"
sed 's/^/  /' "$GW/policy.yaml"
ip netns exec "$AGENT_NS" "$PORTCULLIS" init --skip-user --config "$CONFIG" | sed 's/^/  /'
# `ip netns exec` gives the gateway a /sys of the agent host's network namespace, without the host's
# cgroup mounts: mount the cgroup v2 hierarchy there, as on a real host, so that the gateway can
# name its callers' cgroups. (It needs no privilege for that, only the hierarchy to be visible.)
ip netns exec "$AGENT_NS" sh -c 'mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec "$@"' sh \
  setpriv --reuid "$GATEWAY_UID" --regid "$GATEWAY_UID" --clear-groups \
  --inh-caps +net_admin,+net_raw --ambient-caps +net_admin,+net_raw -- \
  "$PORTCULLIS" up --config "$CONFIG" >"$WORK/gateway.out" 2>"$WORK/gateway.err" &
wait_for_line "$WORK/gateway.out" '"event":"ready"' $! "portcullis up"
echo "  ready; its rules on the agent host (nat table):"
ip netns exec "$AGENT_NS" iptables -t nat -S | grep -i portcullis | sed 's/^/    /'

# The agent's kubeconfig: the cluster's own address, the gateway CA, a token from the provider.
cat >"$WORK/agent/kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: sandbox
  cluster:
    server: https://$CLUSTER_IP:6443
    certificate-authority-data: $(base64 -w0 "$GW/tls/ca.crt")
users:
- name: agent
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: /usr/bin/python3
      args: ["$WORK/clients/kubectl_oidc_plugin.py", "--issuer", "http://127.0.0.1:$OIDC_PORT", "--sub", "agent-7",
             "--client-id", "portcullis"]
      interactiveMode: Never
contexts:
- name: agent
  context: {cluster: sandbox, user: agent, namespace: default}
current-context: agent
YAML
chown "$AGENT_UID:$AGENT_UID" "$WORK/agent/kubeconfig"

if [[ -n $CGROUP_ROOT ]]; then
  AGENT_CGROUP_TOP="$CGROUP_ROOT/pcl-$$-0"
  AGENT_CGROUP="$AGENT_CGROUP_TOP/system.slice/actions-runner.service"
  mkdir -p "$AGENT_CGROUP"
  echo "The agent runs in the cgroup ${AGENT_CGROUP#"$CGROUP_ROOT"} (a CI runner's systemd unit)."
else
  echo "No cgroup v2 hierarchy is mounted on this host: the agent runs in the demo's own cgroup."
fi

# kubectl on the agent host, as the agent's uid, with nothing from the environment, in the agent's cgroup.
agent_kubectl() {
  local enter=(sh -c 'exec "$@"' sh)
  [[ -n $AGENT_CGROUP ]] && enter=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$AGENT_CGROUP")
  "${enter[@]}" ip netns exec "$AGENT_NS" setpriv --reuid "$AGENT_UID" --regid "$AGENT_UID" --clear-groups -- \
    env -i PATH=/usr/bin:/bin HOME="$WORK/agent/home" LANG=C.UTF-8 \
    "$KUBECTL" --kubeconfig "$WORK/agent/kubeconfig" --cache-dir "$WORK/agent/home/cache" "$@"
}
# Quotes the arguments that need it, for display.
quoted() {
  local arg words=()
  for arg in "$@"; do
    if [[ $arg =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then words+=("$arg"); else words+=("'${arg//\'/\'\\\'\'}'"); fi
  done
  echo "${words[*]}"
}
run() {
  printf '\n%s[agent]$ kubectl %s%s\n' "$BOLD" "$(quoted "$@")" "$RESET"
  agent_kubectl "$@"
}
operator() {
  printf '\n%s[operator]# portcullis %s%s\n' "$BOLD" "$(quoted "$@")" "$RESET"
  "$PORTCULLIS" "$@"
}

say "2. kubectl through the gateway"
echo "A token the gateway cannot verify is refused with kube-apiserver's own 401, and never forwarded:"
run --token not-a-valid-token get ns || echo "${DIM}(kubectl exited $?)${RESET}"

echo
echo "With the OIDC provider's token (the exec plugin fetches it):"
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
chmod 644 "$WORK/demo.yaml"
run apply -f "$WORK/demo.yaml"

SECRET_VALUE="hunter2-$$"
cat >"$WORK/secret.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: db-credentials
  namespace: demo
stringData:
  password: $SECRET_VALUE
YAML
chmod 644 "$WORK/secret.yaml"
run apply -f "$WORK/secret.yaml"
run get secret db-credentials -n demo -o jsonpath='{.data.password}' && echo "   ${DIM}(base64 of $SECRET_VALUE: the agent sees it)${RESET}"

run label pod web-1 -n demo tier=web

printf '\n%s[agent]$ kubectl exec -i web-1 -n demo -- sh%s   %s(stdin below)%s\n' "$BOLD" "$RESET" "$DIM" "$RESET"
EXEC_SCRIPT=$'echo hello from the sandbox\nhostname\ncat /etc/shadow\nexit 3\n'
printf '%s' "$EXEC_SCRIPT" | sed 's/^/  > /'
printf '%s' "$EXEC_SCRIPT" | agent_kubectl exec -i web-1 -n demo -- sh || echo "${DIM}(kubectl exited $?)${RESET}"

say "3. Policy: a destructive command denied, another held until a reviewer approves it"
echo "Deleting a namespace is never allowed; kubectl shows the rule and its reason, and the cluster never sees it:"
run delete namespace demo || echo "${DIM}(kubectl exited $?)${RESET}"

echo
echo "Deleting a pod waits for a reviewer. The agent's kubectl blocks meanwhile:"
printf '\n%s[agent]$ kubectl delete pod web-1 -n demo%s   %s(in the background)%s\n' "$BOLD" "$RESET" "$DIM" "$RESET"
agent_kubectl delete pod web-1 -n demo >"$WORK/delete.out" 2>&1 &
DELETE_PID=$!
HELD=""
for _ in $(seq 1 300); do
  HELD="$("$PORTCULLIS" pending --config "$CONFIG" --json 2>/dev/null \
    | /usr/bin/python3 -c 'import json, sys; p = json.load(sys.stdin)["pending"]; print(p[0]["id"] if p else "")' 2>/dev/null || true)"
  [[ -n $HELD ]] && break
  kill -0 "$DELETE_PID" 2>/dev/null || { cat "$WORK/delete.out" >&2; die "kubectl delete ended without being held"; }
  sleep 0.1
done
[[ -n $HELD ]] || die "the delete was not held for review"
operator pending --config "$CONFIG"
operator approve "$HELD" --reason "web-1 is being replaced" --config "$CONFIG"
wait "$DELETE_PID" || die "the approved delete failed: $(cat "$WORK/delete.out")"
echo "${DIM}[agent's kubectl, once approved]${RESET}"
sed 's/^/  /' "$WORK/delete.out"

echo
echo "Operators can ask which rule would decide a request before an agent makes it:"
operator policy explain --config "$CONFIG" --user oidc:agent-7 --groups oidc:ai-agents -- delete deployment api -n demo

say "4. The recording ($STORE)"
echo "The agent's work is one run: its caller (the cgroup's unit, found without privileges, and uid), user and"
echo "run claims. The refused token's connection belongs to no run and is listed apart:"
operator sessions --config "$CONFIG"
echo
echo "Only the denials:"
operator sessions --config "$CONFIG" --outcome denied

RUN="$("$PORTCULLIS" sessions --config "$CONFIG" --json --claim run_id=4242 | /usr/bin/python3 -c '
import json, sys
print([e["id"] for e in map(json.loads, sys.stdin) if e["kind"] == "run"][-1])')"
echo
echo "The run, one line per kubectl command (its discovery and reads folded in; --requests lists them):"
operator show "$RUN" --config "$CONFIG"

# The exec's session and request, from the JSON forms.
EXEC_SESSION="$("$PORTCULLIS" sessions --config "$CONFIG" --connections --resource pods/exec --json | tail -n 1 \
  | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
EXEC_REQUEST="$("$PORTCULLIS" show "$EXEC_SESSION" --config "$CONFIG" --json | /usr/bin/python3 -c '
import json, sys
print([r["id"] for r in json.load(sys.stdin)["requests"] if r.get("subresource") == "exec"][-1])')"
operator show "$EXEC_SESSION" --config "$CONFIG"

echo
echo "The exec, replayed in real time from the recording (stdout and stderr byte for byte):"
operator replay "$EXEC_REQUEST" --config "$CONFIG"

echo
echo "The Secret's value is redacted before it is written; the database file never holds it:"
printf '%s[operator]# grep -c %s %s*%s\n' "$BOLD" "$SECRET_VALUE" "$STORE" "$RESET"
grep -c -a -- "$SECRET_VALUE" "$STORE"* || true
operator export --config "$CONFIG" --format audit --level Request | grep '"secrets"' | grep '"create"\|"patch"' | head -n 1 \
  | /usr/bin/python3 -c 'import json, sys; e = json.loads(sys.stdin.read()); print("   requestObject.stringData:", e["requestObject"].get("stringData"))'

echo
echo "Every row is hash-chained; verify names the first row altered, deleted or reordered:"
operator verify --config "$CONFIG"

echo
echo "After an incident, the first question: what did this run change? Accepted changes in order, each with the"
echo "object, the fields it changed or the last state it deleted (the Secret redacted); denials apart:"
operator show "$RUN" --config "$CONFIG" --changes

say "Done"

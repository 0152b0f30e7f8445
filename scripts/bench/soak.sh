# The soak (issue 15), sourced by scripts/bench.sh --soak MINUTES after its common setup, with its
# variables and helpers (WORK, GW, TOKEN, GATEWAY_PID, PORTCULLIS, KUBECTL, SANDBOX_IP, in_agent, say, die).
#
#   1. Through the gateway: the namespaces `soak` and `soak-watch`, and the pod `soak-exec`.
#   2. The top rate of the request mix (scripts/bench/soak_load.py mix, unthrottled, SOAK_TOP_SECONDS).
#   3. For MINUTES, at half that rate: the mix; SOAK_WATCHES watches of soak-watch that reconnect, with
#      a writer giving them events; a `kubectl exec` every SOAK_EXEC_INTERVAL seconds, alternately over
#      WebSocket and SPDY; a policy reload every 60 s, confirmed by `portcullis status`. Every 10 s a
#      sample of the gateway: RSS, open descriptors, store size, CPU time, and the load's progress.
#   4. The load stops, the gateway stops (it commits what it holds), and scripts/bench/soak_report.py
#      matches Audit-IDs (the sandbox's audit log and every response a client received, against the
#      store's requests) and writes bench/soak.md and bench/soak.png, and the soak section of
#      bench/results.md when that file exists.
# SOAK_KEEP=DIR keeps the raw material there: the clients' logs, the gateway's, the audit log, the store.

SOAK_SECONDS=$((SOAK_MINUTES * 60))
SOAK_TOP_SECONDS="${SOAK_TOP_SECONDS:-15}"
SOAK_PROCESSES="${SOAK_PROCESSES:-4}"
SOAK_THREADS="${SOAK_THREADS:-4}"
SOAK_WATCHES="${SOAK_WATCHES:-200}"
SOAK_WATCH_WRITES="${SOAK_WATCH_WRITES:-1}"        # ConfigMaps created and deleted per second in soak-watch
SOAK_EXEC_INTERVAL="${SOAK_EXEC_INTERVAL:-5}"
SOAK_RELOAD_INTERVAL=60
SOAK_SAMPLE_INTERVAL=10
SOAK="$WORK/soak"
STORE="$GW/state/recording.sqlite"
mkdir -p "$SOAK/top" "$SOAK/responses" "$SOAK/kcache"

# matplotlib for the plot, in a virtualenv of its own like mitmproxy's.
PLOT_VENV="$ROOT/.venv-plot"
if ! "$PLOT_VENV/bin/python" -c 'import matplotlib' 2>/dev/null; then
  say "installing matplotlib into $PLOT_VENV"
  /usr/bin/python3 -m venv "$PLOT_VENV"
  "$PLOT_VENV/bin/pip" install -q --disable-pip-version-check matplotlib
fi

# The load's jobs run in the background; they end at the deadline, or here when the run is cut short.
# Only jobs this shell still lists as running are signalled: the pid of one that ended may already
# belong to someone else's process.
SOAK_JOBS=()
soak_running() { jobs -pr | grep -qx "$1"; }
soak_stop_jobs() {
  local job
  for job in "${SOAK_JOBS[@]}"; do soak_running "$job" && kill "$job" 2>/dev/null; done
  return 0
}
trap 'status=$?; set +e; soak_stop_jobs; (exit $status); cleanup' EXIT  # set +e: the trap must reach cleanup

# --- the clients' credentials: the token in a file, a kubeconfig that trusts the gateway's CA
(umask 077; printf '%s\n' "$TOKEN" >"$SOAK/token")
GATEWAY_CA="$GW/tls/ca.crt"
[[ -r $GATEWAY_CA ]] || die "no gateway CA at $GATEWAY_CA"
(umask 077; cat >"$SOAK/kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters: [{name: gateway, cluster: {server: "https://$SANDBOX_IP:6443", certificate-authority: "$GATEWAY_CA"}}]
users: [{name: soak, user: {token: "$TOKEN"}}]
contexts: [{name: soak, context: {cluster: gateway, user: soak, namespace: soak}}]
current-context: soak
YAML
)
kc() { in_agent "$KUBECTL" --kubeconfig "$SOAK/kubeconfig" --cache-dir "$SOAK/kcache" "$@"; }
load() { # load MODE OPTIONS...
  in_agent /usr/bin/python3 "$ROOT/scripts/bench/soak_load.py" "$1" "$SANDBOX_IP" 6443 --token-file "$SOAK/token" --ca "$GATEWAY_CA" "${@:2}"
}

policy_generation() { # the policy generation `portcullis status` reports, or ?
  { in_agent "$PORTCULLIS" status --config "$GW/portcullis.yaml" --json 2>/dev/null || true; } | /usr/bin/python3 -c '
import json, sys
try: print(json.load(sys.stdin)["policy"]["generation"])
except Exception: print("?")'
}
[[ "$(policy_generation)" =~ ^[0-9]+$ ]] || die "portcullis status --json does not report the policy generation"

# --- 1. what the load needs, created through the gateway
kc create namespace soak >/dev/null || die "kubectl create namespace soak through the gateway failed"
kc create namespace soak-watch >/dev/null || die "kubectl create namespace soak-watch through the gateway failed"
printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"soak-exec","namespace":"soak"},"spec":{"containers":[{"name":"main","image":"busybox"}]}}' \
  >"$SOAK/pod.json"
kc create -f "$SOAK/pod.json" >/dev/null || die "creating the pod soak-exec through the gateway failed"
[[ "$(kc exec soak-exec -- echo ready 2>&1)" == ready ]] || die "kubectl exec into soak-exec through the gateway failed"

# --- 2. the top rate of the mix
say "soak: measuring the top rate of the request mix for ${SOAK_TOP_SECONDS}s ($SOAK_PROCESSES processes x $SOAK_THREADS threads, unthrottled)"
TOP_JSON="$(load mix --namespace soak --out "$SOAK/top" --processes "$SOAK_PROCESSES" --threads "$SOAK_THREADS" \
  --seconds "$SOAK_TOP_SECONDS" --rate 0)" || die "the top-rate run failed"
TOP_RATE="$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["rate"])' "$TOP_JSON")"
SOAK_RATE="$(/usr/bin/python3 -c 'import sys; print(round(float(sys.argv[1]) / 2, 1))' "$TOP_RATE")"
say "soak: top rate $TOP_RATE requests/s; soaking at $SOAK_RATE requests/s for $SOAK_MINUTES min"
sleep 2   # let the top run's last records commit before the baseline sample

# --- 3. the soak
SOAK_LOADAVG="$(cut -d" " -f1-3 /proc/loadavg)"
SOAK_START=$(date +%s)
SOAK_END=$((SOAK_START + SOAK_SECONDS))
: >"$SOAK/execs.tsv"
: >"$SOAK/reloads.tsv"

load mix --namespace soak --out "$SOAK/responses" --processes "$SOAK_PROCESSES" --threads "$SOAK_THREADS" \
  --seconds "$SOAK_SECONDS" --rate "$SOAK_RATE" >"$SOAK/mix.json" 2>"$SOAK/mix.err" &
SOAK_JOBS+=($!); MIX_JOB=$!
load watches --namespace soak-watch --out "$SOAK/responses" --watches "$SOAK_WATCHES" --seconds "$SOAK_SECONDS" \
  --writes-per-second "$SOAK_WATCH_WRITES" >"$SOAK/watches.json" 2>"$SOAK/watches.err" &
SOAK_JOBS+=($!); WATCH_JOB=$!

soak_execs() { # a kubectl exec every SOAK_EXEC_INTERVAL s, WebSocket and SPDY in turn: elapsed n transport exit ms ok
  local n=0 next=$SOAK_START
  while :; do
    next=$((next + SOAK_EXEC_INTERVAL))
    sleep "$(( next - $(date +%s) > 0 ? next - $(date +%s) : 0 ))"
    (( $(date +%s) < SOAK_END - 2 )) || return 0
    n=$((n + 1))
    local transport=websocket websockets=true
    (( n % 2 == 0 )) && transport=spdy websockets=false
    local start end out rc=0
    start=$(date +%s%N)
    out="$(KUBECTL_REMOTE_COMMAND_WEBSOCKETS=$websockets kc exec soak-exec -- echo "soak $n" 2>&1)" || rc=$?
    end=$(date +%s%N)
    printf '%s\t%d\t%s\t%d\t%d\t%s\n' "$(( (start / 1000000000) - SOAK_START ))" "$n" "$transport" "$rc" \
      "$(( (end - start) / 1000000 ))" "$([[ $out == "soak $n" ]] && echo ok || echo "unexpected: ${out//[$'\t\n']/ }")" >>"$SOAK/execs.tsv"
  done
}
soak_reloads() { # the policy file rewritten every minute, as an editor does: elapsed n generation seconds-to-reload ok
  local n=0 next=$SOAK_START
  while :; do
    next=$((next + SOAK_RELOAD_INTERVAL))
    sleep "$(( next - $(date +%s) > 0 ? next - $(date +%s) : 0 ))"
    (( $(date +%s) < SOAK_END - 5 )) || return 0
    n=$((n + 1))
    local before after start waited=0
    before="$(policy_generation)"
    start=$(date +%s%N)
    printf 'defaultEffect: allow\nrules:\n  - {id: soak-reload-%d, effect: deny, verbs: [delete], resources: [namespaces], names: [soak-never-%d], reason: "soak reload %d"}\n' \
      "$n" "$n" "$n" >"$GW/policy.yaml.new"
    chmod 644 "$GW/policy.yaml.new"
    mv "$GW/policy.yaml.new" "$GW/policy.yaml"
    after="$before"
    while [[ $after == "$before" ]] && (( waited < 100 )); do sleep 0.1; waited=$((waited + 1)); after="$(policy_generation)"; done
    printf '%s\t%d\t%s\t%s\t%s\n' "$(( (start / 1000000000) - SOAK_START ))" "$n" "$after" \
      "$(awk -v ns="$(( $(date +%s%N) - start ))" 'BEGIN { printf "%.1f", ns / 1e9 }')" \
      "$([[ $before =~ ^[0-9]+$ && $after == $((before + 1)) ]] && echo ok || echo "not reloaded (generation $before -> $after)")" >>"$SOAK/reloads.tsv"
  done
}
soak_execs & SOAK_JOBS+=($!)
soak_reloads & SOAK_JOBS+=($!)

soak_gateway_alive() {
  [[ $(gateway_pid) == "$GATEWAY_PID" ]] || die "the gateway (pid $GATEWAY_PID) exited during the soak: $(tail -5 "$WORK/gateway.err")"
}
CLOCK_TICKS=$(getconf CLK_TCK)
soak_sample() { # elapsed rss-KiB fds store-bytes gateway-cpu-seconds requests watches-open execs reloads anon-KiB file-KiB wal-bytes load
  local elapsed=$(( $(date +%s) - SOAK_START ))
  local rss fds store cpu requests open execs reloads file anon mapped wal=0
  read -r rss anon mapped < <(awk '/^VmRSS/ { r = $2 } /^RssAnon/ { a = $2 } /^RssFile/ { f = $2 } END { print r, a, f }' "/proc/$GATEWAY_PID/status")
  fds="$(find "/proc/$GATEWAY_PID/fd" -mindepth 1 -maxdepth 1 | wc -l)"
  store=0
  for file in "$STORE" "$STORE-wal"; do [[ -f $file ]] && store=$((store + $(stat -c %s "$file"))); done
  [[ -f $STORE-wal ]] && wal=$(stat -c %s "$STORE-wal")
  cpu="$(awk -v t="$CLOCK_TICKS" '{ sub(/.*\) /, ""); printf "%.1f", ($12 + $13) / t }' "/proc/$GATEWAY_PID/stat")"
  requests="$(cat "$SOAK/responses/"mix-*.tsv "$SOAK/responses/"watch-*.tsv 2>/dev/null | wc -l || true)"
  open="$(sed -n 's/.*"open": \([0-9]*\).*/\1/p' "$SOAK/responses/watches.state" 2>/dev/null || true)"
  execs="$(wc -l <"$SOAK/execs.tsv")"
  reloads="$(grep -c $'\tok$' "$SOAK/reloads.tsv" || true)"
  printf '%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$elapsed" "$rss" "$fds" "$store" "$cpu" "$requests" "${open:-0}" \
    "$execs" "$reloads" "$anon" "$mapped" "$wal" "$(cut -d' ' -f1 /proc/loadavg)" >>"$SOAK/samples.tsv"
}
: >"$SOAK/samples.tsv"
soak_sample
say "soak: running until $(date -d "@$SOAK_END" +%H:%M:%S)"
next=$SOAK_START
while (( next < SOAK_END )); do
  next=$((next + SOAK_SAMPLE_INTERVAL))
  (( next > SOAK_END )) && next=$SOAK_END
  sleep "$(( next - $(date +%s) > 0 ? next - $(date +%s) : 0 ))"
  soak_gateway_alive
  soak_sample
  if (( ($(date +%s) - SOAK_START) % 60 < SOAK_SAMPLE_INTERVAL )); then
    say "soak: $(tail -n 1 "$SOAK/samples.tsv" | awk '{ printf "%ds: RSS %.1f MiB, %d fds, store %.1f MiB, %d responses, %d watches open, %d execs", $1, $2 / 1024, $3, $4 / 1048576, $6, $7, $8 }')"
  fi
done

# --- 4. stop, commit, match
say "soak: stopping the load"
for job in "${SOAK_JOBS[@]}"; do
  for _ in $(seq 1 600); do soak_running "$job" || break; sleep 0.1; done
  soak_running "$job" && { say "soak: a load job outlived the deadline by 60 s; stopping it"; kill "$job" 2>/dev/null; }
done
wait "$MIX_JOB" "$WATCH_JOB" 2>/dev/null || true
soak_gateway_alive
soak_sample   # after the load, before the gateway stops
say "soak: stopping the gateway (it commits what it holds)"
soak_gateway_alive
kill -TERM "$GATEWAY_PID"
for _ in $(seq 1 600); do [[ $(gateway_pid) == "$GATEWAY_PID" ]] || break; sleep 0.1; done
[[ $(gateway_pid) == "$GATEWAY_PID" ]] && die "the gateway did not exit within 60 s of SIGTERM"
# The sandbox appends its audit log from a queue of its own: wait until the file stops growing.
size=-1
while [[ $size != "$(stat -c %s "$WORK/sandbox/audit.log")" ]]; do size="$(stat -c %s "$WORK/sandbox/audit.log")"; sleep 1; done

mkdir -p "$ROOT/bench"
SOAK_COMMAND="scripts/bench.sh --soak $SOAK_MINUTES"
[[ -n ${PORTCULLIS_BIN_DIR:-} ]] && SOAK_COMMAND="PORTCULLIS_BIN_DIR=… $SOAK_COMMAND"
SOAK_STATUS=0
"$PLOT_VENV/bin/python" "$ROOT/scripts/bench/soak_report.py" --minutes "$SOAK_MINUTES" --top "$TOP_JSON" \
  --rate "$SOAK_RATE" --mix "$(cat "$SOAK/mix.json")" --watch-summary "$(cat "$SOAK/watches.json")" \
  --processes "$SOAK_PROCESSES" --threads "$SOAK_THREADS" --watches "$SOAK_WATCHES" --watch-writes "$SOAK_WATCH_WRITES" \
  --exec-interval "$SOAK_EXEC_INTERVAL" --samples "$SOAK/samples.tsv" --execs "$SOAK/execs.tsv" --reloads "$SOAK/reloads.tsv" \
  --responses "$SOAK/top" "$SOAK/responses" --audit-log "$WORK/sandbox/audit.log" --store "$STORE" \
  --commit "${PORTCULLIS_BIN_COMMIT:-$(cd "$ROOT" && git rev-parse --short HEAD)}" --command "$SOAK_COMMAND" --loadavg "$SOAK_LOADAVG" \
  --markdown "$ROOT/bench/soak.md" --plot "$ROOT/bench/soak.png" --results "$ROOT/bench/results.md" || SOAK_STATUS=$?
cat "$ROOT/bench/soak.md"
if [[ -n ${SOAK_KEEP:-} ]]; then   # the raw material, for a closer look: logs, the audit log, the store
  mkdir -p "$SOAK_KEEP"
  cp -a "$SOAK" "$WORK/gateway.out" "$WORK/gateway.err" "$WORK/sandbox.out" "$WORK/sandbox/audit.log" "$GW/state/recording.sqlite"* \
    "$SOAK_KEEP/" 2>/dev/null || true
  rm -f "$SOAK_KEEP/soak/token" "$SOAK_KEEP/soak/kubeconfig"
  say "soak: kept the raw material in $SOAK_KEEP"
fi
exit "$SOAK_STATUS"

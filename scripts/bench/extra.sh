# More configurations for scripts/bench.sh (issue 13), sourced by it after the main runs and the
# watches, with its variables and helpers: one run each of
#   - one client (-c1): what an agent's kubectl feels (the added p50 against direct and nginx);
#   - 64 connections;
#   - a mixed load, 80 % GET and 20 % create (POST), through nginx and Portcullis;
#   - Portcullis with store.durability: host (an fsync per commit);
# and the context switches per request at top load (perf stat), when perf works here.
# Writes $WORK/extra.tsv (name, configuration, requests/s, p50, p99, requests, non-2xx) and
# $WORK/switches.txt.

EXTRA="$WORK/extra.tsv"
: >"$EXTRA"
cat >"$WORK/mixed.lua" <<LUA
local n = 0
local body = [[$BODY]]
-- wrk.format replaces wrk.headers (the -H Authorization) when given headers: copy them.
local post_headers = nil
request = function()
  n = n + 1
  if n % 5 == 0 then
    if post_headers == nil then
      post_headers = {}
      for name, value in pairs(wrk.headers) do post_headers[name] = value end
      post_headers["Content-Type"] = "application/json"
    end
    return wrk.format("POST", "/api/v1/namespaces/default/configmaps", post_headers, body)
  end
  return wrk.format("GET", "$URI")
end
LUA
extra_run() { # extra_run NAME CONFIG THREADS CONNECTIONS [wrk arguments...]
  local name=$1 config=$2 threads=$3 connections=$4; shift 4
  local out
  out="$(in_agent wrk -t"$threads" -c"$connections" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "$@" "${TARGET[$config]}" 2>&1)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$config" "$(awk '/Requests\/sec/ { print $2 }' <<<"$out")" \
    "$(awk '$1 == "50%" { print $2 }' <<<"$out")" "$(awk '$1 == "99%" { print $2 }' <<<"$out")" \
    "$(awk '/requests in/ { print $1 }' <<<"$out")" "$(awk '/Non-2xx/ { print $NF }' <<<"$out")" >>"$EXTRA"
  say "$name $config: $(awk '/Requests\/sec/ { print $2 }' <<<"$out") req/s, p50 $(awk '$1 == "50%" { print $2 }' <<<"$out")"
}
for config in direct nginx portcullis; do extra_run one-client "$config" 1 1; done
for config in nginx portcullis; do extra_run 64-connections "$config" 2 64; done
for config in nginx portcullis; do extra_run mixed "$config" 2 "$CONNECTIONS" -s "$WORK/mixed.lua"; done
# How the gateway answered the mixed run's creates, from its record (a non-2xx count needs a reason).
say "mixed portcullis: the creates' statuses in the record: $(sqlite3 "file:$GW/state/recording.sqlite?mode=ro" \
  "SELECT group_concat(status_code || ' x' || n || coalesce(' (' || reason || ')', ''), '; ') FROM (SELECT s.status_code, s.reason, count(*) AS n
   FROM requests r JOIN responses s ON s.request_id = r.id WHERE r.method = 'POST' GROUP BY s.status_code, s.reason)" 2>&1)"

# The gateway's CPU time (task-clock, ms), context switches and CPU migrations per request, at top load.
SWITCHES="$WORK/switches.txt"
if perf stat -e context-switches true >/dev/null 2>&1; then
  in_agent wrk -t2 -c"$CONNECTIONS" -d"$((DURATION + 2))s" -H "Authorization: Bearer $TOKEN" "${TARGET[portcullis]}" >"$WORK/wrk-switches.out" 2>&1 &
  WRK_PID=$!
  sleep 1
  perf stat -e task-clock,context-switches,cpu-migrations -x, -p "$GATEWAY_PID" -o "$WORK/perf-stat.csv" -- sleep "$DURATION" >/dev/null 2>&1 || true
  wait "$WRK_PID" || true
  RPS_SWITCHES="$(awk '/Requests\/sec/ { print $2 }' "$WORK/wrk-switches.out")"
  awk -F, -v rps="$RPS_SWITCHES" -v seconds="$DURATION" '$3 == "task-clock" || $3 == "context-switches" || $3 == "cpu-migrations" {
      printf "%s\t%s\t%.2f\n", $3, $1, $1 / (rps * seconds) }' "$WORK/perf-stat.csv" >"$SWITCHES"
else
  echo "perf stat is not supported on this machine" >"$SWITCHES"
fi

# store.durability: host (synchronous = FULL), same load.
stop_gateway "$WORK/gateway.err"
sed -e "s#^store: {#store: {durability: host, #" "$GW/portcullis.yaml" >"$GW/portcullis-host.yaml"
chmod 644 "$GW/portcullis-host.yaml"
in_agent setpriv --reuid "$GATEWAY_UID" --regid "$GATEWAY_UID" --clear-groups --inh-caps +net_admin,+net_raw \
  --ambient-caps +net_admin,+net_raw -- "$PORTCULLIS" up --config "$GW/portcullis-host.yaml" >"$WORK/gateway-host.out" 2>"$WORK/gateway-host.err" &
for _ in $(seq 1 600); do grep -q '"event":"ready"' "$WORK/gateway-host.out" 2>/dev/null && break; sleep 0.1; done
grep -q '"event":"ready"' "$WORK/gateway-host.out" || die "the gateway (durability host) did not start: $(tail -5 "$WORK/gateway-host.err")"
GATEWAY_PID="$(gateway_pid)"
ln -sf "$WORK/gateway-host.err" "$WORK/gateway-previous.err"
extra_run host-durability portcullis 2 "$CONNECTIONS"

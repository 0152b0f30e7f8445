# The central store's part of scripts/bench.sh (issue 12), sourced by it after the main runs, with
# its variables and helpers (in_agent, in_cluster, wait_tcp, say, die, PORTCULLIS, GW, WORK, TARGET,
# TOKEN, DURATION, CONNECTIONS, CLUSTER_NS, GATEWAY_UID). A throwaway PostgreSQL 15 runs on the
# cluster host (198.18.0.5, TLS); the gateway restarts on a fresh store that ships to it:
#   1. async, at top load: rows per second PostgreSQL absorbs, the backlog's peak, whether it drains;
#   2. required, at top load: the request rate and p50 against async.
# Writes $WORK/central.json for report.py.

CENTRAL_IP=198.18.0.5
PG_BIN=/usr/lib/postgresql/15/bin
PG="$WORK/pg"
ip -n "$CLUSTER_NS" addr add "$CENTRAL_IP/24" dev "$VETH_CLUSTER"
dpkg-query -W -f='${Status}' postgresql 2>/dev/null | grep -q "install ok installed" \
  || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
make_leaf postgres "IP:$CENTRAL_IP"
mkdir -p "$PG/data" "$PG/socket"
cp "$WORK/tls/postgres.crt" "$WORK/tls/postgres.key" "$PG/"
chown -R postgres:postgres "$PG"
chmod 700 "$PG/data" "$PG/socket"
chmod 600 "$PG/postgres.key"
PG_PASSWORD="$(head -c 24 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9')"
printf '%s\n' "$PG_PASSWORD" >"$PG/pw" && chown postgres "$PG/pw" && chmod 600 "$PG/pw"
pg_as() { setpriv --reuid postgres --regid postgres --init-groups "$@"; }
pg_as "$PG_BIN/initdb" -D "$PG/data" -U postgres --auth=scram-sha-256 --pwfile="$PG/pw" -E UTF8 >/dev/null
rm -f "$PG/pw"
printf 'hostssl all all 0.0.0.0/0 scram-sha-256\nhost all all 0.0.0.0/0 reject\n' >"$PG/data/pg_hba.conf"
in_cluster setpriv --reuid postgres --regid postgres --init-groups "$PG_BIN/pg_ctl" -D "$PG/data" -l "$PG/data/pg.log" -w \
  -o "-c listen_addresses=$CENTRAL_IP -p 5432 -c unix_socket_directories=$PG/socket -c ssl=on -c ssl_cert_file=$PG/postgres.crt -c ssl_key_file=$PG/postgres.key" \
  start >/dev/null
psql_su() { in_cluster env PGPASSWORD="$PG_PASSWORD" psql -X -q -At -v ON_ERROR_STOP=1 \
  "host=$CENTRAL_IP port=5432 user=postgres dbname=${2:-portcullis} sslmode=verify-full sslrootcert=$WORK/tls/ca.crt" -c "$1"; }
psql_su "CREATE DATABASE portcullis" postgres
umask_old=$(umask); umask 077
printf '%s\n' "$PG_PASSWORD" >"$WORK/pg-admin.pw"
GW_PASSWORD="$(head -c 24 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9')"
printf '%s\n' "$GW_PASSWORD" >"$GW/central.pw"
umask "$umask_old"
chown "$GATEWAY_UID:$GATEWAY_UID" "$GW/central.pw"
cat >"$WORK/pg-admin.yaml" <<YAML
central: {host: $CENTRAL_IP, user: postgres, passwordFile: $WORK/pg-admin.pw, caFile: $WORK/tls/ca.crt}
YAML
in_cluster "$PORTCULLIS" central migrate --config "$WORK/pg-admin.yaml" >&2
psql_su "$("$PORTCULLIS" central roles --gateway bench=bench-%) ALTER ROLE bench PASSWORD '$GW_PASSWORD';" >/dev/null

# The gateway again, on a fresh store that ships to PostgreSQL in MODE.
restart_gateway_shipping() { # restart_gateway_shipping MODE
  # A shipping gateway drains its backlog on SIGTERM (central.drainTimeout, 10 s by default).
  stop_gateway "$WORK/gateway-previous.err"
  local state="$GW/state-$1"
  sed -e "s#stateDirectory: $GW/state\([,}]\)#stateDirectory: $state\1#" "$GW/portcullis.yaml" >"$GW/portcullis-$1.yaml"
  grep -q "stateDirectory: $state[,}]" "$GW/portcullis-$1.yaml" || die "central: could not point the gateway at a fresh store ($state)"
  cat >>"$GW/portcullis-$1.yaml" <<YAML
central: {host: $CENTRAL_IP, user: bench, passwordFile: $GW/central.pw, caFile: $GW/bench-ca.crt, hostName: bench-$1, mode: $1}
YAML
  chmod 644 "$GW/portcullis-$1.yaml"
  in_agent "$PORTCULLIS" init --skip-user --config "$GW/portcullis-$1.yaml" >/dev/null
  : >"$WORK/gateway-$1.out"
  in_agent setpriv --reuid "$GATEWAY_UID" --regid "$GATEWAY_UID" --clear-groups --inh-caps +net_admin,+net_raw \
    --ambient-caps +net_admin,+net_raw -- "$PORTCULLIS" up --config "$GW/portcullis-$1.yaml" >"$WORK/gateway-$1.out" 2>"$WORK/gateway-$1.err" &
  for _ in $(seq 1 600); do grep -q '"event":"ready"' "$WORK/gateway-$1.out" 2>/dev/null && break; sleep 0.1; done
  grep -q '"event":"ready"' "$WORK/gateway-$1.out" || die "the shipping gateway ($1) did not start: $(tail -5 "$WORK/gateway-$1.err")"
  GATEWAY_PID="$(gateway_pid)"
  ln -sf "$WORK/gateway-$1.err" "$WORK/gateway-previous.err"
}
metric() { in_agent curl -s http://127.0.0.1:19464/metrics | awk -v m="$1" '$1 == m { print $2 }' | head -n 1; }

cp "$WORK/tls/ca.crt" "$GW/bench-ca.crt"   # signs the upstream and PostgreSQL: the gateway trusts both
restart_gateway_shipping async
SHIPPED_BEFORE="$(metric portcullis_central_rows_shipped_total)"
# The async run lasts CENTRAL_SECONDS (30 by default), long enough to tell a bounded backlog from a
# growing one; the backlog is sampled every 0.25 s.
CENTRAL_SECONDS="${CENTRAL_SECONDS:-30}"
in_agent wrk -t2 -c"$CONNECTIONS" -d"${CENTRAL_SECONDS}s" --latency -H "Authorization: Bearer $TOKEN" "${TARGET[portcullis]}" >"$WORK/wrk-async.out" 2>&1 &
WRK_PID=$!
START_NS=$(date +%s%N)
PEAK=0
BACKLOG_SAMPLES=""
while kill -0 "$WRK_PID" 2>/dev/null; do
  behind="$(metric portcullis_central_rows_behind)"; behind=${behind%.*}
  (( ${behind:-0} > PEAK )) && PEAK=${behind:-0}
  BACKLOG_SAMPLES+="${BACKLOG_SAMPLES:+, }[$(( ($(date +%s%N) - START_NS) / 1000000 )), ${behind:-0}]"
  sleep 0.25
done
END_LOAD_NS=$(date +%s%N)
BEHIND_AT_END="$(metric portcullis_central_rows_behind)"; BEHIND_AT_END=${BEHIND_AT_END%.*}
for _ in $(seq 1 1200); do
  behind="$(metric portcullis_central_rows_behind)"; [[ ${behind%.*} == 0 ]] && break; sleep 0.1
done
DRAINED_NS=$(date +%s%N)
SHIPPED="$(metric portcullis_central_rows_shipped_total)"
SHIPPED=${SHIPPED:-0}; SHIPPED_BEFORE=${SHIPPED_BEFORE:-0}
SHIPPED_ROWS=$(( ${SHIPPED%.*} - ${SHIPPED_BEFORE%.*} ))
ASYNC_ERROR="$(in_agent "$PORTCULLIS" status --json --config "$GW/portcullis-async.yaml" 2>/dev/null \
  | /usr/bin/python3 -c 'import json,sys; print((json.load(sys.stdin).get("central") or {}).get("lastError") or "")' 2>/dev/null || true)"
ASYNC_RPS="$(awk '/Requests\/sec/ { print $2 }' "$WORK/wrk-async.out")"
ASYNC_P50="$(awk '$1 == "50%" { print $2 }' "$WORK/wrk-async.out")"
restart_gateway_shipping required
in_agent wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "${TARGET[portcullis]}" >"$WORK/wrk-required.out" 2>&1
REQUIRED_RPS="$(awk '/Requests\/sec/ { print $2 }' "$WORK/wrk-required.out")"
REQUIRED_P50="$(awk '$1 == "50%" { print $2 }' "$WORK/wrk-required.out")"
REQUIRED_NON2XX="$(awk '/Non-2xx/ { print $NF }' "$WORK/wrk-required.out")"
PG_BYTES="$(psql_su "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'portcullis' AND c.relkind = 'r'")"
PG_REQUESTS="$(psql_su "SELECT count(*) FROM portcullis.requests")"
PG_ROWS="$(psql_su "SELECT sum(row_count) FROM portcullis.shipments")"
cat >"$WORK/central.json" <<JSON
{"asyncRps": "${ASYNC_RPS:-0}", "asyncP50": "${ASYNC_P50:-0}", "requiredRps": "${REQUIRED_RPS:-0}", "requiredP50": "${REQUIRED_P50:-0}",
 "requiredNon2xx": ${REQUIRED_NON2XX:-0}, "shippedRows": $SHIPPED_ROWS, "loadSeconds": $(( (END_LOAD_NS - START_NS) / 1000000 ))e-3,
 "drainSeconds": $(( (DRAINED_NS - END_LOAD_NS) / 1000000 ))e-3, "backlogPeak": $PEAK, "backlogAtEnd": ${BEHIND_AT_END:-0},
 "pgBytes": ${PG_BYTES:-0}, "pgRequests": ${PG_REQUESTS:-0}, "pgRows": ${PG_ROWS:-0}, "backlogSamples": [$BACKLOG_SAMPLES],
 "asyncLastError": $(/usr/bin/python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$ASYNC_ERROR")}
JSON
[[ $SHIPPED_ROWS -gt 0 ]] || say "central: nothing was shipped: ${ASYNC_ERROR:-no error reported}"
say "central: async $ASYNC_RPS req/s (backlog peak $PEAK rows, $BEHIND_AT_END at the end), required $REQUIRED_RPS req/s; $SHIPPED_ROWS rows shipped"

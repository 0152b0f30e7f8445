# The relay's part of scripts/bench.sh (issue 16), sourced by it before the gateway starts, with its
# variables and helpers (in_cluster, wait_tcp, say, die, PORTCULLIS, GW, WORK, ISSUER, CLUSTER_NS,
# VETH_CLUSTER, CLUSTER_IP, GATEWAY_UID, COMMIT_DELAY, WATCHES, CONNECTIONS). A relay
# (`portcullis relay`, release build, recording everything) runs on the cluster host at
# 198.18.0.6:8443 in front of the same nginx upstream; the gateway gets one more cluster, `relayed`,
# whose endpoint 198.18.0.7:6443 it intercepts and forwards to the relay with the agent's token
# unchanged. The main runs then measure, in the same rounds: direct, through the gateway, and
# through the gateway and the relay (the `relay` configuration).
# Sets RELAY_CLUSTER (the gateway's clusters entry), RELAYED_IP, RELAY_PID and RELAY_STORE.

RELAY_IP=198.18.0.6
RELAYED_IP=198.18.0.7
RELAY_UID=64995
RL="$WORK/relay"
mkdir -p "$RL"
chmod 755 "$RL"
ip -n "$CLUSTER_NS" addr add "$RELAY_IP/24" dev "$VETH_CLUSTER"
ip -n "$CLUSTER_NS" addr add "$RELAYED_IP/24" dev "$VETH_CLUSTER"
# nginx ignores credentials: the relay's is the same token file the gateway has for the direct cluster.
cp "$GW/cluster.token" "$RL/cluster.token"
chown "$RELAY_UID:$RELAY_UID" "$RL/cluster.token" && chmod 600 "$RL/cluster.token"
cp "$WORK/tls/ca.crt" "$RL/bench-ca.crt"
printf 'defaultEffect: allow\nrules: []\n' >"$RL/policy.yaml"
cat >"$RL/relay.yaml" <<YAML
relay: {uid: $RELAY_UID, listen: ["$RELAY_IP:8443"], serverNames: ["$RELAY_IP"], stateDirectory: $RL/state,
        maxConnectionsPerCaller: $((WATCHES + CONNECTIONS + 64))}
tls: {caCertificate: $RL/tls/ca.crt, caKey: $RL/tls/ca.key}
authentication:
  issuers:
    - {issuerURL: "$ISSUER", clientIDs: [portcullis], usernamePrefix: "bench:", allowInsecureHTTPIssuer: true}
clusters:
  - {name: upstream, endpoints: ["$CLUSTER_IP:6443"], caFile: $RL/bench-ca.crt, tokenFile: $RL/cluster.token}
policy: {file: $RL/policy.yaml}
metrics: {listen: "127.0.0.1:19465"}
store: {commitDelay: $COMMIT_DELAY}
YAML
chmod 644 "$RL/relay.yaml" "$RL/policy.yaml" "$RL/bench-ca.crt"
"$PORTCULLIS" relay init --config "$RL/relay.yaml" >/dev/null
"$PORTCULLIS" relay enroll bench --config "$RL/relay.yaml" --out "$RL/enrolled" --address "$RELAY_IP:8443" >/dev/null 2>&1 \
  || die "portcullis relay enroll failed"
mkdir -p "$GW/relay"
cp "$RL/enrolled/bench.key" "$RL/enrolled/bench.crt" "$RL/enrolled/relay-ca.crt" "$GW/relay/"
chown "$GATEWAY_UID:$GATEWAY_UID" "$GW/relay/bench.key" && chmod 600 "$GW/relay/bench.key"
chmod 644 "$GW/relay/bench.crt" "$GW/relay/relay-ca.crt" && chmod 755 "$GW/relay"
in_cluster setpriv --reuid "$RELAY_UID" --regid "$RELAY_UID" --clear-groups -- \
  "$PORTCULLIS" relay --config "$RL/relay.yaml" >"$WORK/relay.out" 2>"$WORK/relay.err" &
for _ in $(seq 1 600); do grep -q '"event":"ready"' "$WORK/relay.out" 2>/dev/null && break; sleep 0.1; done
grep -q '"event":"ready"' "$WORK/relay.out" || die "the relay did not start: $(tail -5 "$WORK/relay.err")"
RELAY_PID="$(in_cluster pgrep -u "$RELAY_UID" -f "portcullis relay" | head -n 1)"
RELAY_STORE="$RL/state/recording.sqlite"
RELAY_CLUSTER="  - {name: relayed, endpoints: [\"$RELAYED_IP:6443\"], relay: {address: \"$RELAY_IP:8443\", caFile: $GW/relay/relay-ca.crt,
     clientCertificate: $GW/relay/bench.crt, clientKey: $GW/relay/bench.key, cluster: upstream}}"
say "relay listening on $RELAY_IP:8443 (pid $RELAY_PID)"

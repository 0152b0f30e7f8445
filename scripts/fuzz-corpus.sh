#!/usr/bin/env bash
# Makes the fuzzers' seed corpora (Fuzz/Corpus) from real traffic: real kubectl against
# portcullis-sandbox on loopback through a recording relay, the connections' IP packets and the
# kernel's sock_diag replies (Fuzz/capture_corpus.py). Run as root after `swift build`; commit the
# result. The configuration and policy seeds are the example files.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $(id -u) -eq 0 ]] || { echo "fuzz-corpus.sh: run as root (it captures packets on lo)" >&2; exit 1; }
[[ -x $ROOT/.build/debug/portcullis-sandbox ]] || { echo "fuzz-corpus.sh: build first: swift build" >&2; exit 1; }
/usr/bin/python3 "$ROOT/Fuzz/capture_corpus.py"
for pair in "gateway-config:examples/portcullis.yaml" "gateway-config:examples/relay.yaml" "policy:examples/policy.yaml"; do
  mkdir -p "$ROOT/Fuzz/Corpus/${pair%%:*}"
  cp "$ROOT/${pair#*:}" "$ROOT/Fuzz/Corpus/${pair%%:*}/$(basename "${pair#*:}")"
done

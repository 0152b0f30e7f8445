#!/usr/bin/env bash
# Builds and runs a libFuzzer target (docs/fuzzing.md).
#
#   scripts/fuzz.sh TARGET [SECONDS]     one target, SECONDS long (default 60)
#   scripts/fuzz.sh all [SECONDS]        every target in turn, SECONDS each
#   scripts/fuzz.sh list                 the targets
#
# The targets exist only when PORTCULLIS_FUZZ=1 (Package.swift), and are built with
# -sanitize=fuzzer,address into their own scratch path, .build-fuzz, so the normal build and
# scripts/test.sh never compile them. Each run starts from the committed seed corpus
# (Fuzz/Corpus/TARGET, from real kubectl traffic: scripts/fuzz-corpus.sh) and works in a copy of it
# under .build-fuzz/corpus/TARGET, so new inputs never dirty the repository. A crash leaves its input
# in .build-fuzz/crashes/TARGET/crash-<sha1>; re-run it alone with
#   .build-fuzz/debug/fuzz-TARGET .build-fuzz/crashes/TARGET/crash-<sha1>
# Swift's backtracer is turned off (SWIFT_BACKTRACE=enable=no): under libFuzzer it can hang for
# minutes after a crash. Exits 1 when a target crashed, naming it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if ! command -v swift >/dev/null && [[ -x /opt/swift/usr/bin/swift ]]; then export PATH="/opt/swift/usr/bin:$PATH"; fi

TARGETS=(packet-headers sock-diag spdy websocket json-redactor request-info selectors gateway-config policy audit-status protobuf cgroup-path reported-source)
SCRATCH="$ROOT/.build-fuzz"

usage() { echo "usage: scripts/fuzz.sh TARGET|all|list [SECONDS]; targets: ${TARGETS[*]}" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
if [[ $1 == list ]]; then printf '%s\n' "${TARGETS[@]}"; exit 0; fi
seconds="${2:-60}"
[[ $seconds =~ ^[0-9]+$ ]] || usage
if [[ $1 == all ]]; then selected=("${TARGETS[@]}"); else
  [[ " ${TARGETS[*]} " == *" $1 "* ]] || { echo "fuzz.sh: unknown target '$1'" >&2; usage; }
  selected=("$1")
fi

build() {
  local target=$1
  PORTCULLIS_FUZZ=1 swift build --scratch-path "$SCRATCH" --product "fuzz-$target" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -use-ld=lld 2>&1 | grep -v "Cannot export local symbol" >&2
  return "${PIPESTATUS[0]}"
}

failed=()
for target in "${selected[@]}"; do
  echo "fuzz.sh: building fuzz-$target" >&2
  build "$target" || { echo "fuzz.sh: the build of fuzz-$target failed" >&2; exit 1; }
  corpus="$SCRATCH/corpus/$target"
  crashes="$SCRATCH/crashes/$target"
  mkdir -p "$corpus" "$crashes"
  if [[ -d $ROOT/Fuzz/Corpus/$target ]]; then cp -n "$ROOT/Fuzz/Corpus/$target"/* "$corpus"/ 2>/dev/null || true; fi
  log="$SCRATCH/fuzz-$target.log"
  echo "fuzz.sh: running fuzz-$target for ${seconds}s (log: $log)" >&2
  set +e
  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" "$SCRATCH/debug/fuzz-$target" \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$crashes/" "$corpus" >"$log" 2>&1
  status=$?
  set -e
  runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n 1)
  echo "fuzz.sh: fuzz-$target: exit $status, ${runs:-?} executions in ${seconds}s, corpus $(ls "$corpus" | wc -l) inputs" >&2
  if [[ $status -ne 0 ]]; then
    failed+=("$target")
    grep -E "ERROR: |Fatal error|property violated|SUMMARY|Test unit written" "$log" | head -n 8 >&2 || true
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz.sh: FAILED: ${failed[*]} (inputs in $SCRATCH/crashes/)" >&2
  exit 1
fi
echo "fuzz.sh: ${#selected[@]} targets ran ${seconds}s each without a crash" >&2

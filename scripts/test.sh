#!/usr/bin/env bash
# Builds Portcullis and runs all of its tests (XCTest and Swift Testing), then prints the counts.
#
# As root (CI, a Debian 12 machine): runs scripts/setup.sh first, and exports
# PORTCULLIS_REQUIRE_ROOT_TESTS=1 so that the root-only end-to-end tests must run: a missing
# prerequisite fails them, and any skipped test fails the run.
# Not as root: setup is skipped and the root-only tests skip.
#
# The output of the test run is also written to .build/test.log (override with PORTCULLIS_TEST_LOG),
# and the build's to .build/build.log (PORTCULLIS_BUILD_LOG).
# Extra arguments are passed to `swift test` (e.g. --filter KubectlAgainstSandboxTests).
#
# `scripts/test.sh --sanitize` instead runs the unit tests of Proxy, Store and Intercept under the
# thread sanitizer and then the address sanitizer (`swift test --sanitize=thread|address`), each in
# its own scratch path (.build-tsan, .build-asan), and fails when either run fails or a sanitizer
# reports. Leak detection is off (ASAN_OPTIONS=detect_leaks=0): the Swift runtime's and NIO's
# process-lifetime singletons are reported as leaks at exit. ThreadSanitizer does not model
# Synchronization.Mutex on this toolchain; scripts/sanitizers/ holds the probe that shows it and the
# suppressions for the Mutex-guarded state the tests exercise.
#
# A warning about our own sources fails the run (scripts/own-warnings.sh names each one; the
# dependencies' warnings do not count). A build prints warnings only for the files it compiles, so
# the check is complete on a clean build (CI's fresh clone). After an incremental build it covers
# only what was recompiled; PORTCULLIS_RECHECK_WARNINGS=1 recompiles all of our sources (not the
# dependencies) first, for a complete check on a machine that has built before.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

die() { echo "test.sh: $*" >&2; exit 1; }

if ! command -v swift >/dev/null && [[ -x /opt/swift/usr/bin/swift ]]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi

if [[ $(id -u) -eq 0 ]]; then
  "$ROOT/scripts/setup.sh" || die "scripts/setup.sh failed"
  # The end-to-end tests run the gateway, kubectl and its credential plugin as other uids, from
  # this checkout: it must be readable by them (a clone under a mode-700 directory is not).
  setpriv --reuid 65534 --regid 65534 --clear-groups -- test -r "$ROOT/Tests/clients/kubectl_oidc_plugin.py" \
    || die "other users cannot read $ROOT (the end-to-end tests run processes as other uids from it): make it and its parent directories world-readable and traversable, e.g. chmod o+rx on each"
  export PORTCULLIS_REQUIRE_ROOT_TESTS=1
  as_root=1
else
  echo "test.sh: not root: skipping scripts/setup.sh; the root-only tests (network namespaces) will be skipped"
  as_root=0
fi

command -v swift >/dev/null || die "no swift on PATH or at /opt/swift/usr/bin: install a Swift 6 toolchain"

if [[ ${1:-} == --sanitize ]]; then
  shift
  sanitized_failures=()
  for sanitizer in thread address; do
    if [[ $sanitizer == address ]]; then scratch="$ROOT/.build-asan"; else scratch="$ROOT/.build-tsan"; fi
    log="$scratch/test.log"
    mkdir -p "$scratch"
    echo "test.sh: swift build --build-tests --sanitize=$sanitizer --scratch-path ${scratch#$ROOT/}"
    if ! swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch" >"$scratch/build.log" 2>&1; then
      tail -n 30 "$scratch/build.log" >&2
      die "the $sanitizer-sanitized build failed (log: $scratch/build.log)"
    fi
    tsan_options="${TSAN_OPTIONS:-}"
    if [[ $sanitizer == thread ]]; then
      # Synchronization.Mutex is a futex ThreadSanitizer may not model: if a correct use of it is
      # reported on this toolchain, suppress the Mutex-guarded state that the tests exercise
      # (scripts/sanitizers/tsan-suppressions.txt says which, and why).
      swiftc -sanitize=thread -O "$ROOT/scripts/sanitizers/mutex-probe.swift" -o "$scratch/mutex-probe" >/dev/null 2>&1 \
        || die "cannot build scripts/sanitizers/mutex-probe.swift with -sanitize=thread"
      if "$scratch/mutex-probe" 2>&1 | grep -q "WARNING: ThreadSanitizer"; then
        echo "test.sh: thread: this toolchain's ThreadSanitizer does not model Synchronization.Mutex (mutex-probe is reported): applying scripts/sanitizers/tsan-suppressions.txt"
        tsan_options="suppressions=$ROOT/scripts/sanitizers/tsan-suppressions.txt${tsan_options:+:$tsan_options}"
      fi
    fi
    echo "test.sh: swift test --sanitize=$sanitizer: Proxy, Store and Intercept unit tests (log: $log)"
    set +e
    ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" TSAN_OPTIONS="$tsan_options" \
      swift test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" --no-parallel \
      --filter '^(ProxyTests|StoreTests|InterceptTests)\.' "$@" >"$log" 2>&1
    status=$?
    set -e
    reports=$(grep -cE '^(WARNING: ThreadSanitizer|==[0-9]+==ERROR: AddressSanitizer|SUMMARY: (Thread|Address)Sanitizer)' "$log" || true)
    grep -E 'Test run with [0-9]+ tests|Executed [0-9]+ tests?, with' "$log" | tail -n 2 | sed "s/^/test.sh: $sanitizer: /"
    if [[ $status -ne 0 || $reports -gt 0 ]]; then
      echo "test.sh: $sanitizer: FAILED: swift test exited $status, $reports sanitizer reports (see $log)" >&2
      grep -E -A12 '^(WARNING: ThreadSanitizer|==[0-9]+==ERROR: AddressSanitizer)' "$log" | head -n 60 >&2 || true
      sanitized_failures+=("$sanitizer")
    else
      echo "test.sh: $sanitizer: passed, no sanitizer reports"
    fi
  done
  [[ ${#sanitized_failures[@]} -eq 0 ]] || die "failed under: ${sanitized_failures[*]}"
  echo "test.sh: the Proxy, Store and Intercept unit tests pass under the thread and address sanitizers"
  exit 0
fi

BUILD_LOG="${PORTCULLIS_BUILD_LOG:-$ROOT/.build/build.log}"
incremental=0
[[ -d $ROOT/.build/debug/Kube.build ]] && incremental=1
if [[ ${PORTCULLIS_RECHECK_WARNINGS:-0} == 1 ]]; then
  # A newer modification time makes the build recompile these files, and print their warnings.
  find "$ROOT/Sources" "$ROOT/Tests" -name '*.swift' -exec touch {} +
  incremental=0
fi
mkdir -p "$(dirname "$BUILD_LOG")"
echo "test.sh: swift build --build-tests (log: $BUILD_LOG)"
set +e
swift build --build-tests 2>&1 | tee "$BUILD_LOG"
build_status=${PIPESTATUS[0]}
set -e
[[ $build_status -eq 0 ]] || die "the build failed (see above)"
own_warnings="$("$ROOT/scripts/own-warnings.sh" "$BUILD_LOG" "$ROOT")" || true
if [[ -n $own_warnings ]]; then
  echo "test.sh: the build warned about our own sources (the run will fail):" >&2
  printf '%s\n' "$own_warnings" >&2
elif [[ $incremental -eq 1 ]]; then
  echo "test.sh: no warnings in what this incremental build compiled (PORTCULLIS_RECHECK_WARNINGS=1 checks every file)"
else
  echo "test.sh: no warnings about our own sources"
fi

LOG="${PORTCULLIS_TEST_LOG:-$ROOT/.build/test.log}"
mkdir -p "$(dirname "$LOG")"
# One test at a time: the end-to-end tests build namespaces and run kubectl, servers and iptables,
# and several test helpers wait synchronously; run in parallel on a 2-core machine they starve
# each other's bounded waits. Serial runs take about as long and are deterministic.
echo "test.sh: swift test --skip-build --no-parallel $* (log: $LOG)"
set +e
swift test --skip-build --no-parallel "$@" 2>&1 | tee "$LOG"
test_status=${PIPESTATUS[0]}
set -e

# store.durability: host (synchronous = FULL) must pass the whole store suite as the default does.
host_status=0
if [[ $# -eq 0 ]]; then
  HOST_LOG="${LOG%.log}-durability-host.log"
  echo "test.sh: the store suite again with store.durability host (log: $HOST_LOG)"
  set +e
  PORTCULLIS_TEST_STORE_DURABILITY=host swift test --skip-build --no-parallel --filter StoreTests >"$HOST_LOG" 2>&1
  host_status=$?
  set -e
  echo "test.sh: durability host: $(grep -E 'Test run with' "$HOST_LOG" | tail -n 1 | sed -E 's/^[^ ]+ //')"
fi

# Swift Testing prints one line per test: "✔ Test x() passed after …", "✘ Test x() failed after …",
# "➜ Test x() skipped: …", and closes with "… Test run with N tests in M suites passed|failed …".
count() { grep -E "$1" "$LOG" | grep -vc 'Test run with' || true; }
st_total=$(sed -nE 's/.*Test run with ([0-9]+) tests? .*/\1/p' "$LOG" | tail -n 1)
st_passed=$(count '^[^ ]+ Test .* passed after ')
st_failed=$(count '^[^ ]+ Test .* failed after ')
st_skipped=$(count '^[^ ]+ Test .* skipped(\.|: .*)?$')

# XCTest closes with "Executed N tests, with [K tests skipped and ]F failures (U unexpected) in …".
xc_line=$(grep -E 'Executed [0-9]+ tests?, with ' "$LOG" | tail -n 1 || true)
xc_total=$(sed -nE 's/.*Executed ([0-9]+) tests?,.*/\1/p' <<<"$xc_line")
xc_skipped=$(sed -nE 's/.*with ([0-9]+) tests? skipped.*/\1/p' <<<"$xc_line")
xc_failed=$(sed -nE 's/.* ([0-9]+) failures? .*/\1/p' <<<"$xc_line")
xc_total=${xc_total:-0}; xc_skipped=${xc_skipped:-0}; xc_failed=${xc_failed:-0}
xc_passed=$((xc_total - xc_skipped - xc_failed))

passed=$((st_passed + xc_passed))
failed=$((st_failed + xc_failed))
skipped=$((st_skipped + xc_skipped))

echo
echo "test.sh: Swift Testing: ${st_total:-no} tests run: $st_passed passed, $st_failed failed, $st_skipped skipped"
echo "test.sh: XCTest: $xc_total tests run: $xc_passed passed, $xc_failed failed, $xc_skipped skipped"
echo "test.sh: full output in $LOG"

verdict=0
if [[ $test_status -ne 0 ]]; then
  echo "test.sh: FAILED: swift test exited with status $test_status" >&2; verdict=1
fi
if [[ $host_status -ne 0 ]]; then
  echo "test.sh: FAILED: the store suite with store.durability host (see $HOST_LOG):" >&2
  grep -E '^[^ ]+ Test .* (failed after|recorded an issue)' "$HOST_LOG" >&2 || true
  verdict=1
fi
if [[ -z $st_total ]]; then
  echo "test.sh: FAILED: Swift Testing printed no 'Test run with N tests' line (did the runner crash?)" >&2; verdict=1
fi
if [[ $failed -gt 0 ]]; then
  echo "test.sh: FAILED: $failed tests failed" >&2; verdict=1
fi
if [[ $((passed + failed)) -eq 0 ]]; then
  echo "test.sh: FAILED: no test ran" >&2; verdict=1
fi
if [[ -n $own_warnings ]]; then
  echo "test.sh: FAILED: $(wc -l <<<"$own_warnings") warnings about our own sources (full build output in $BUILD_LOG):" >&2
  printf '%s\n' "$own_warnings" >&2
  verdict=1
fi
if [[ $as_root -eq 1 && $skipped -gt 0 ]]; then
  echo "test.sh: FAILED: $skipped tests were skipped although running as root; skipped:" >&2
  grep -E '^[^ ]+ Test .* skipped(\.|: .*)?$|Test skipped' "$LOG" | grep -v 'Test run with' >&2 || true
  verdict=1
fi
echo "Tests: $passed passed, $failed failed, $skipped skipped"
exit $verdict

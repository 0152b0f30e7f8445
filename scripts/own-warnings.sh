#!/usr/bin/env bash
# Lists the compiler and SwiftPM warnings a `swift build` log holds about this package's own sources,
# once each, and exits 1 when there is one (0 when there is none, 2 on a usage error).
#
#   scripts/own-warnings.sh BUILD_LOG [PACKAGE_ROOT]
#
# Ours: a diagnostic whose file is under PACKAGE_ROOT (Sources/, Tests/, Package.swift) but not
# under .build/, and a SwiftPM warning about the package itself ("warning: 'name': …").
# Not ours: dependencies' diagnostics (their files are under .build/checkouts), SwiftPM warnings
# naming a dependency, and SwiftPM's "you may be able to install … using your system-packager"
# notes for system libraries.
#
# A build prints warnings only for the files it compiles: the log of a clean build (CI's fresh
# clone) holds every warning; after an incremental build, only those of the files it recompiled.
# `PORTCULLIS_RECHECK_WARNINGS=1 scripts/test.sh` recompiles all of our sources (not the
# dependencies) first, so its check is complete too.
set -euo pipefail

[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: $0 BUILD_LOG [PACKAGE_ROOT]" >&2; exit 2; }
LOG="$1"
ROOT="${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
[[ -r $LOG ]] || { echo "own-warnings.sh: cannot read $LOG" >&2; exit 2; }

# Dependencies by checkout directory (SwiftPM names a package by it, lowercased).
dependencies=""
if [[ -d $ROOT/.build/checkouts ]]; then
  dependencies="$(find "$ROOT/.build/checkouts" -mindepth 1 -maxdepth 1 -printf '%f\n' | tr '[:upper:]' '[:lower:]')"
fi

# Only the first line of each diagnostic: the source excerpt lines below it start with spaces or '|'.
warnings="$(LC_ALL=C awk -v root="$ROOT/" -v deps="$dependencies" '
  BEGIN { n = split(deps, list, "\n"); for (i = 1; i <= n; i++) if (list[i] != "") dep[list[i]] = 1 }
  /^\/[^ :]+:[0-9]+(:[0-9]+)?: warning: / {
    path = $0; sub(/:[0-9]+(:[0-9]+)?: warning: .*$/, "", path)
    if (index(path, root) == 1 && index(path, root ".build/") != 1) print
    next
  }
  /^warning: / {
    if ($0 ~ /you may be able to install .* using your system-packager/) next
    if (match($0, /^warning: '\''[^'\'']+'\''/)) {
      name = tolower(substr($0, 11, RLENGTH - 11))
      if (name in dep) next
    }
    print
  }
' "$LOG" | sort -u)"

if [[ -n $warnings ]]; then
  printf '%s\n' "$warnings"
  exit 1
fi
exit 0

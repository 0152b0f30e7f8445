#!/usr/bin/env bash
# Generates the Swift code for proto/kubernetes/*.proto into Sources/Kube/Protobuf/Generated, with
# protoc (Debian's protobuf-compiler) and protoc-gen-swift built from the swift-protobuf version
# Package.swift depends on. The output is committed: builds need neither tool (a build-time plugin
# would cost CI about ten minutes). Run it after changing a .proto file, then commit both.
#
#   scripts/generate-protobuf.sh [PATH_TO_protoc-gen-swift]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION=1.39.0
OUT="$ROOT/Sources/Kube/Protobuf/Generated"
command -v protoc >/dev/null || { echo "generate-protobuf.sh: no protoc: apt-get install protobuf-compiler" >&2; exit 1; }
if ! command -v swift >/dev/null && [[ -x /opt/swift/usr/bin/swift ]]; then export PATH="/opt/swift/usr/bin:$PATH"; fi

plugin="${1:-}"
if [[ -z $plugin ]]; then
  work="${TMPDIR:-/tmp}/portcullis-protoc-gen-swift-$VERSION"
  if [[ ! -d $work ]]; then
    git clone -q --depth 1 --branch "$VERSION" https://github.com/apple/swift-protobuf.git "$work"
  fi
  (cd "$work" && swift build --product protoc-gen-swift >&2)
  plugin="$work/.build/debug/protoc-gen-swift"
fi

mkdir -p "$OUT"
rm -f "$OUT"/*.pb.swift
protoc -I "$ROOT/proto/kubernetes" --plugin=protoc-gen-swift="$plugin" \
  --swift_out="$OUT" --swift_opt=Visibility=Internal --swift_opt=FileNaming=FullPath \
  "$ROOT"/proto/kubernetes/*.proto
echo "generate-protobuf.sh: wrote $(ls "$OUT" | wc -l) files to ${OUT#$ROOT/}"

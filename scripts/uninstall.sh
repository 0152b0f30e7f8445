#!/usr/bin/env bash
# Reverses scripts/install.sh, as root: stops and removes the service, removes the gateway's rules
# (so API servers are reachable directly again), the binary, /etc/portcullis (configuration,
# policy, CA) and the portcullis user and portcullis-admin group. The recordings in
# /var/lib/portcullis are kept unless --purge is given.
#
#   scripts/uninstall.sh [--root DIR] [--purge]
set -euo pipefail

DEST=""
PURGE=0
while (($#)); do
  case "$1" in
    --root) DEST="${2:?--root needs a directory}"; shift 2 ;;
    --purge) PURGE=1; shift ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "uninstall.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
die() { echo "uninstall.sh: $*" >&2; exit 1; }
say() { echo "uninstall.sh: $*"; }

[[ $(id -u) -eq 0 ]] || die "run as root"
[[ -z $DEST ]] || DEST="$(cd "$DEST" && pwd)" || die "--root: no such directory"
ETC="$DEST/etc/portcullis"
STATE="$DEST/var/lib/portcullis"
BIN="$DEST/usr/local/bin/portcullis"
UNIT="$DEST/etc/systemd/system/portcullis.service"
PREFIX=()
[[ -n $DEST ]] && PREFIX=(--prefix "$DEST")

# 1. The service.
if [[ -n $DEST ]]; then
  [[ -e $UNIT ]] && systemctl --root "$DEST" disable portcullis.service >/dev/null 2>&1 || true
elif [[ -d /run/systemd/system ]]; then
  systemctl disable --now portcullis.service >/dev/null 2>&1 || true
fi
rm -f "$UNIT"
[[ -z $DEST && -d /run/systemd/system ]] && systemctl daemon-reload
say "removed the service"

# 2. The rules: while they stay, API servers are reachable only through the gateway (fail closed).
if [[ -z $DEST && -x $BIN && -e $ETC/portcullis.yaml ]]; then
  "$BIN" rules remove --config "$ETC/portcullis.yaml" && say "removed the rules: API servers are reachable directly again"
fi

# 3. The binary, the configuration, the user and the group.
rm -f "$BIN"
rm -rf "$ETC"
say "removed $BIN and $ETC"
in_tree() { if [[ -n $DEST ]]; then grep -qE "^$2:" "$DEST/etc/$1" 2>/dev/null; else getent "$1" "$2" >/dev/null; fi; }
in_tree passwd portcullis && userdel "${PREFIX[@]}" portcullis && say "removed the user portcullis"
in_tree group portcullis && groupdel "${PREFIX[@]}" portcullis 2>/dev/null || true
in_tree group portcullis-admin && groupdel "${PREFIX[@]}" portcullis-admin && say "removed the group portcullis-admin"

# 4. The recordings.
if ((PURGE)); then
  rm -rf "$STATE"
  say "removed $STATE and its recordings"
elif [[ -d $STATE ]]; then
  rm -rf "$STATE/admin"
  say "kept the recordings in $STATE (remove them with --purge)"
fi

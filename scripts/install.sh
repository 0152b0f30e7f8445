#!/usr/bin/env bash
# Installs Portcullis on a runner host (Debian 12, Ubuntu 22.04 or 24.04), as root. Idempotent:
# what is already in place is kept (an existing configuration, policy, CA and recordings are never
# overwritten). See README.md, "Deploy on a runner host".
#
#   scripts/install.sh [--binary PATH] [--root DIR] [--skip-packages] [--no-start]
#
#   --binary PATH     install this prebuilt portcullis instead of building one (swift build -c release)
#   --root DIR        install into the tree DIR instead of / (packaging and tests): users go into
#                     DIR/etc/passwd, the written configuration's paths point into DIR, and systemd
#                     is only told through `systemctl --root`
#   --skip-packages   do not install Debian packages
#   --no-start        enable the service but do not start it
set -euo pipefail

ROOT_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BINARY=""
DEST=""
PACKAGES=1
START=1
while (($#)); do
  case "$1" in
    --binary) BINARY="${2:?--binary needs a path}"; shift 2 ;;
    --root) DEST="${2:?--root needs a directory}"; shift 2 ;;
    --skip-packages) PACKAGES=0; shift ;;
    --no-start) START=0; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }

[[ $(id -u) -eq 0 ]] || die "run as root: it creates a system user, /etc/portcullis and a systemd unit"
if [[ -n $DEST ]]; then
  DEST="$(cd "$DEST" && pwd)" || die "--root: no such directory"
  PACKAGES=0
  START=0
fi
ETC="$DEST/etc/portcullis"
STATE="$DEST/var/lib/portcullis"
BIN="$DEST/usr/local/bin/portcullis"
UNIT="$DEST/etc/systemd/system/portcullis.service"
USERADD_PREFIX=()
[[ -n $DEST ]] && USERADD_PREFIX=(--prefix "$DEST")

# 1. System packages: what the gateway needs at run time (and to build, without --binary).
if ((PACKAGES)); then
  . /etc/os-release 2>/dev/null || true
  case "${ID:-}-${VERSION_ID:-}" in
    debian-12|ubuntu-22.04|ubuntu-24.04) ;;
    *) say "warning: tested on Debian 12 and Ubuntu 22.04/24.04, not ${PRETTY_NAME:-this system}" ;;
  esac
  runtime=(iptables ipset conntrack util-linux libnetfilter-queue1 libnfnetlink0 libsqlite3-0 zlib1g ca-certificates)
  build=(pkg-config libnetfilter-queue-dev libnfnetlink-dev libsqlite3-dev zlib1g-dev)
  wanted=("${runtime[@]}")
  [[ -z $BINARY ]] && wanted+=("${build[@]}")
  missing=()
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    say "installing packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# 2. The binary: built in release mode, or the one given.
if [[ -z $BINARY ]]; then
  command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
  command -v swift >/dev/null || die "no Swift toolchain to build with: install Swift 6, or pass --binary PATH"
  say "building in release mode (swift build -c release --product portcullis)"
  (cd "$ROOT_SRC" && swift build -c release --product portcullis) || die "the build failed"
  BINARY="$(cd "$ROOT_SRC" && swift build -c release --show-bin-path)/portcullis"
fi
[[ -x $BINARY ]] || die "$BINARY is not an executable"
install -D -m 0755 "$BINARY" "$BIN.new" && mv -f "$BIN.new" "$BIN"
say "installed $BIN ($("$BIN" --version))"

# 3. The gateway's system user and the admin group (members may approve, deny and grant).
getent_in() { # getent_in DATABASE NAME: a lookup in the target tree's files
  if [[ -n $DEST ]]; then grep -E "^$2:" "$DEST/etc/$1" 2>/dev/null | head -n 1; else getent "$1" "$2" || true; fi
}
if [[ -z $(getent_in group portcullis-admin) ]]; then
  groupadd "${USERADD_PREFIX[@]}" --system portcullis-admin && say "created the group portcullis-admin"
fi
if [[ -z $(getent_in passwd portcullis) ]]; then
  useradd "${USERADD_PREFIX[@]}" --system --user-group --no-create-home --home-dir /var/lib/portcullis \
    --shell /usr/sbin/nologin portcullis && say "created the system user portcullis"
fi
GATEWAY_UID="$(getent_in passwd portcullis | cut -d: -f3)"
ADMIN_GID="$(getent_in group portcullis-admin | cut -d: -f3)"
[[ -n $GATEWAY_UID && -n $ADMIN_GID ]] || die "cannot find the portcullis user or the portcullis-admin group"

# 4. Configuration and policy: examples to start from, never overwriting the operator's.
install -d -m 0755 "$ETC"
if [[ ! -e $ETC/portcullis.yaml ]]; then
  sed -e "s|^  uid: 990$|  uid: $GATEWAY_UID|" \
      -e "s|/etc/portcullis/|$ETC/|g" -e "s|/var/lib/portcullis|$STATE|g" \
      -e "s|^  group: portcullis-admin$|  group: \"$ADMIN_GID\"|" \
      "$ROOT_SRC/examples/portcullis.yaml" >"$ETC/portcullis.yaml"
  chmod 0644 "$ETC/portcullis.yaml"
  say "wrote $ETC/portcullis.yaml from the example: edit its clusters and authentication"
fi
if [[ ! -e $ETC/policy.yaml ]]; then
  install -m 0644 "$ROOT_SRC/examples/policy.yaml" "$ETC/policy.yaml"
  say "wrote $ETC/policy.yaml from the example"
fi

# 5. portcullis init: the state directory, the admin socket's directory, the gateway CA.
"$BIN" init --skip-user --config "$ETC/portcullis.yaml" | sed 's/^/  /'

# 6. The systemd unit.
install -d -m 0755 "$(dirname "$UNIT")"
sed -e "s|/usr/local/bin/portcullis|${BIN#"$DEST"}|" -e "s|/etc/portcullis/|${ETC#"$DEST"}/|g" \
    "$ROOT_SRC/scripts/systemd/portcullis.service" >"$UNIT.new"
mv -f "$UNIT.new" "$UNIT"
chmod 0644 "$UNIT"
if [[ -n $DEST ]]; then
  systemctl --root "$DEST" enable portcullis.service >/dev/null 2>&1 || die "systemctl --root $DEST enable failed"
elif [[ -d /run/systemd/system ]]; then
  systemctl daemon-reload
  systemctl enable portcullis.service >/dev/null 2>&1
  if ((START)) && "$BIN" policy check --config "$ETC/portcullis.yaml" >/dev/null 2>&1 \
      && ! grep -q "issuer.example.com" "$ETC/portcullis.yaml"; then
    systemctl restart portcullis.service
    say "started portcullis.service"
  fi
else
  say "systemd is not running here: the unit is installed but not enabled"
fi

cat <<NEXT

Portcullis is installed. Next:
  1. Edit $ETC/portcullis.yaml: your clusters (endpoints, caFile, the gateway's own tokenFile or
     client certificate) and authentication (your OIDC issuer). Check it: portcullis policy check --config $ETC/portcullis.yaml
  2. Edit $ETC/policy.yaml: who may do what (docs/policy.md).
  3. Give agents a kubeconfig whose user runs an OIDC exec credential plugin (README.md, "Deploy on a
     runner host"), and make them trust the gateway CA $ETC/ca.crt, or supply an intermediate of the
     cluster CA so their kubeconfigs need no change.
  4. systemctl restart portcullis && portcullis status --config $ETC/portcullis.yaml
  Reviewers: add them to the group portcullis-admin (usermod -aG portcullis-admin NAME).
NEXT

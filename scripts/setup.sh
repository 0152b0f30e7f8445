#!/usr/bin/env bash
# Installs exactly what Portcullis needs to build, test and demo on Debian 12, as root.
# Idempotent: packages already present are left alone. Downloads only from Debian's
# archive and PyPI (into a virtual environment under .venv/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

DEBIAN_PACKAGES=(
  iproute2            # ip netns, veth pairs for the test hosts
  iptables            # iptables/ip6tables (nft and legacy backends)
  ipset               # endpoint sets for the rules
  conntrack           # kills flows opened before the rules
  util-linux          # setpriv: run test processes as other uids
  pkg-config          # the CNetfilterQueue system-library target
  libnetfilter-queue-dev
  libnfnetlink-dev
  libsqlite3-dev      # GRDB on the system SQLite
  zlib1g-dev          # SPDY/3.1 header compression (CZlib)
  sqlite3
  systemd             # systemd-analyze verify checks the unit in the tests
  python3             # Debian's interpreter: other uids can execute it
  python3-venv
  ca-certificates
  postgresql          # PostgreSQL 15 (/usr/lib/postgresql/15/bin): the fleet tests' central database
  openssl             # test CAs and certificates for that database and its clients
)
# PyPI packages for the tests: a real OIDC provider, an independent JWT library, and an
# independent WebSocket client for the exec channel protocols.
PYTHON_PACKAGES=(
  oidc-provider-mock
  PyJWT
  cryptography
  websocket-client
  prometheus-client
)
KUBECTL_DIR=/usr/lib/google-cloud-sdk/bin

die() { echo "setup.sh: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (it installs Debian packages)"
command -v apt-get >/dev/null || die "apt-get not found: this script targets Debian 12"

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup.sh: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup.sh: Debian packages already installed"
fi

# Installing postgresql creates the cluster "15 main" on port 5432 and may start it. The tests
# start throwaway servers of their own in network namespaces and never use it, so when this run
# installed the package, it stops that cluster again. A cluster that was there before is left alone.
if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v pg_lsclusters >/dev/null; then
  if pg_lsclusters --no-header 2>/dev/null | awk '$1 == "15" && $2 == "main" && $4 == "online"' | grep -q .; then
    echo "setup.sh: stopping the PostgreSQL cluster 15 main that installing postgresql started"
    pg_ctlcluster 15 main stop
  fi
fi

VENV="$ROOT/.venv"
if [[ ! -x "$VENV/bin/python" ]]; then
  /usr/bin/python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import oidc_provider_mock, jwt, cryptography, websocket, prometheus_client' 2>/dev/null; then
  echo "setup.sh: installing PyPI packages into .venv: ${PYTHON_PACKAGES[*]}"
  "$VENV/bin/pip" install -q --disable-pip-version-check "${PYTHON_PACKAGES[@]}"
else
  echo "setup.sh: PyPI packages already installed in .venv"
fi

command -v swift >/dev/null || [[ -x /opt/swift/usr/bin/swift ]] \
  || die "no Swift toolchain: install Swift 6.x (expected at /opt/swift/usr/bin or on PATH)"

# kubectl 1.27-1.33 come from the Google Cloud SDK's kubectl package, which bundles one
# binary per minor version. It is not in Debian's archive, so it is checked, not installed.
for minor in 27 28 29 30 31 32 33; do
  [[ -x "$KUBECTL_DIR/kubectl.1.$minor" ]] || die "missing $KUBECTL_DIR/kubectl.1.$minor: install the 'kubectl' package from the Google Cloud SDK apt repository (https://cloud.google.com/sdk/docs/install#deb)"
done
echo "setup.sh: ready"

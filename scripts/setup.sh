#!/usr/bin/env bash
# Installs what the tests and the lab need on a Debian/Ubuntu machine (as root): the real tools
# that check rendered files (and Go, whose regexp is the provider's), what the lab builds hosts
# with (haproxy: the lab's stand-in for Tencent's CLB, run in the lab's own namespace), and the npm
# packages. Idempotent.
set -euo pipefail

readonly APT_PACKAGES=(
  nginx keepalived mariadb-server mariadb-client shellcheck curl ca-certificates
  openssh-client iproute2 nftables util-linux debootstrap debian-archive-keyring systemd-container dpkg-dev
  golang-go wrk stress-ng python3 haproxy
)

say() { printf '[setup] %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  say "ERROR: run as root (apt-get, and the lab's namespaces and containers need it)" >&2
  exit 1
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# The rhel-family nginx.conf runs workers as user nginx; nginx -t looks the user up.
getent passwd nginx >/dev/null || useradd --system --no-create-home --shell /usr/sbin/nologin nginx

cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund >/dev/null
fi
say "ready"

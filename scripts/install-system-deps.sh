#!/usr/bin/env bash
# Installs the Debian packages the sandbox runs on. Idempotent: skips apt entirely when all are present,
# so a warm machine pays nothing. Needs root (CI and dev machines here run as root).
set -euo pipefail

PKGS=(golang-go rsync jq openssl etcd-server postgresql-15 prometheus prometheus-alertmanager
  golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev dpkg-dev procps iproute2)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system deps: all present"
  exit 0
fi
echo "system deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Debian's postgresql package would start a cluster of its own via systemd/pg_ctlcluster; the sandbox
# runs a private cluster instead, so policy-rc.d keeps package scripts from starting daemons.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
rm -f /usr/sbin/policy-rc.d
echo "system deps: done"

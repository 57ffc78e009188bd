#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager v1.20.2 from Debian's `kubernetes` source package, and
# unpacks Debian's kubectl of the same version beside them. No registry ships these binaries and nothing else
# downloads here, so this is the only way to get a real control plane. Cached: runs only when a binary is missing.
#
# Output: ${RIPCORD_KUBE_BIN_DIR:-${RIPCORD_CACHE:-~/.cache/ripcord}/kube-v1.20.2}/{kube-apiserver,kube-controller-manager,kubectl}
set -euo pipefail

CACHE="${RIPCORD_CACHE:-$HOME/.cache/ripcord}"
OUT="${RIPCORD_KUBE_BIN_DIR:-$CACHE/kube-v1.20.2}"
if [ -x "$OUT/kube-apiserver" ] && [ -x "$OUT/kube-controller-manager" ] && [ -x "$OUT/kubectl" ]; then
  echo "control plane: cached in $OUT"
  exit 0
fi
if [ -n "${RIPCORD_KUBE_BIN_DIR:-}" ] && [ -x "$OUT/kube-apiserver" ]; then
  echo "control plane: using $OUT (RIPCORD_KUBE_BIN_DIR)"; exit 0
fi
mkdir -p "$OUT" "$CACHE/src"
WORK="$CACHE/src"

if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ripcord-src.sources; then
  cat > /etc/apt/sources.list.d/ripcord-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update -qq
fi

cd "$WORK"
if [ ! -x "$OUT/kubectl" ]; then
  echo "control plane: unpacking Debian's kubectl (kubernetes-client)"
  rm -rf kc && mkdir kc && (cd kc && apt-get download kubernetes-client >/dev/null && dpkg-deb -x ./*.deb root)
  cp kc/root/usr/bin/kubectl "$OUT/kubectl"
fi
if [ -x "$OUT/kube-apiserver" ] && [ -x "$OUT/kube-controller-manager" ]; then exit 0; fi

SRCDIR=$(ls -d "$WORK"/kubernetes-1.20*/ 2>/dev/null | head -n1 || true)
if [ -z "$SRCDIR" ]; then
  echo "control plane: fetching Debian source package kubernetes"
  apt-get source --download-only kubernetes >/dev/null
  dpkg-source --no-check -x kubernetes_*.dsc >/dev/null
  SRCDIR=$(ls -d "$WORK"/kubernetes-1.20*/ | head -n1)
fi
SRCDIR=${SRCDIR%/}
cd "$SRCDIR"

# The vendored reflect2 1.0.1 crashes under Go >= 1.18 (SIGSEGV in mapiternext); Debian ships fixed versions.
for pair in "github.com/modern-go/reflect2" "github.com/json-iterator/go"; do
  rm -rf "vendor/$pair" && mkdir -p "vendor/$pair"
  cp -r /usr/share/gocode/src/$pair/. "vendor/$pair/"
  find "vendor/$pair" -name '*_test.go' -delete
done

# GOPATH mode, as debian/rules builds it.
mkdir -p .go/src/k8s.io
ln -sfn "$SRCDIR" .go/src/k8s.io/kubernetes
export GOPATH="$SRCDIR/.go" GO111MODULE=off CGO_ENABLED=0 GOFLAGS= GOCACHE="$CACHE/gocache"
rm -rf _output
echo "control plane: building kube-apiserver and kube-controller-manager (about 8 minutes on 2 cores)"
cd .go/src/k8s.io/kubernetes
make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" KUBE_VERBOSE=0
cp _output/bin/kube-apiserver _output/bin/kube-controller-manager "$OUT/"
echo "control plane: built into $OUT"

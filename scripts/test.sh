#!/usr/bin/env bash
# Runs every test: unit tests, then integration tests against the sandbox region and real servers.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
export DRSENTINEL_TOOLS="$root/.tools/bin"
cd "$root"
# The production artifact first: the Native AOT executable, with trimming and AOT warnings as errors; a test runs it.
dotnet publish src/DrSentinel -c Release -r linux-x64 -p:PublishAot=true -o "$root/.artifacts/aot" -v quiet -nologo
export DRSENTINEL_AOT_EXECUTABLE="$root/.artifacts/aot/DrSentinel"
dotnet test DrSentinel.sln -c Release --logger "console;verbosity=normal"

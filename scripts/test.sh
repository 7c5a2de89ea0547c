#!/usr/bin/env bash
# Runs every test: unit tests, then integration tests against the sandbox region and real servers.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
export DRSENTINEL_TOOLS="$root/.tools/bin"
cd "$root"
dotnet build DrSentinel.sln -c Release -v quiet -nologo

# The production artifact, the Native AOT executable (trimming and AOT warnings as errors), is published beside the
# tests: most of them wait on region time and alert windows, and the publish is four minutes of CPU, niced so the
# tests' timings come first. The tests that run it wait for the exit code in DRSENTINEL_AOT_PUBLISH_EXIT; a failed
# publish fails them and this script.
artifacts="$root/.artifacts"
mkdir -p "$artifacts"
rm -rf "$artifacts/aot" "$artifacts/aot-publish.exit"
export DRSENTINEL_AOT_EXECUTABLE="$artifacts/aot/DrSentinel" DRSENTINEL_AOT_PUBLISH_EXIT="$artifacts/aot-publish.exit"
# Restored first, so nothing rewrites the project's obj/ while the test run reads it.
dotnet restore src/DrSentinel -r linux-x64 -p:PublishAot=true -v quiet
(
  status=0
  nice -n 10 dotnet publish src/DrSentinel --no-restore -c Release -r linux-x64 -p:PublishAot=true -o "$artifacts/aot" -v quiet -nologo \
    >"$artifacts/aot-publish.log" 2>&1 || status=$?
  echo "$status" >"$DRSENTINEL_AOT_PUBLISH_EXIT"
) &
publish=$!

# The tests start well over a hundred short-lived .NET processes (DrSentinel, drills): tiered PGO and early re-JIT are
# most of their CPU and buy nothing in a life of seconds (tests/README.md). The product is not changed by this.
export DOTNET_TieredPGO=0 DOTNET_TC_CallCountThreshold=1000
tests=0
dotnet test DrSentinel.sln -c Release --no-build --logger "console;verbosity=normal" || tests=$?
wait "$publish"
if [ "$(cat "$DRSENTINEL_AOT_PUBLISH_EXIT")" != 0 ]; then
  echo "the Native AOT publish failed:" >&2
  cat "$artifacts/aot-publish.log" >&2
  exit 1
fi
exit "$tests"

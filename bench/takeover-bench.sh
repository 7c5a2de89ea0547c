#!/usr/bin/env bash
# Two DrSentinel replicas electing one actor through the sandbox's Lease API, with the chart's timings
# (Leadership:LeaseDuration 15 s, RenewDeadline 10 s, RetryPeriod 2 s; BENCH_LEASE overrides the duration):
#   takeover - the leader is SIGKILLed while its first group update of an evacuation hangs; measured: kill -> the
#              follower leads, kill -> the follower's first mutating call (the rest of the plan), against the lease;
#   webhook  - wrk posting the same notification to the leader and to the follower, side by side (p50, p99);
#   memory   - each replica's resident set (VmRSS) with the elector running, idle and after the webhook load.
#
#   bench/takeover-bench.sh          # BENCH_ROUNDS=3 BENCH_WRK_SECONDS=10 BENCH_DRSENTINEL=aot|jit (default aot if published)
#
# Prints a Markdown report on stdout (docs/benchmarks.md quotes it); logs go to $BENCH_WORK (a temp dir).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rounds=${BENCH_ROUNDS:-3}
wrk_seconds=${BENCH_WRK_SECONDS:-10}
lease=${BENCH_LEASE:-15}
require "wrk curl python3" wrk curl python3

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
sample() { curl -sf "$1" | awk -v s="$2" '$1 == s {v = $2} END {print v + 0}'; }
calls() { curl -sf "$sandbox/sandbox/state" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("apiCalls", {}).get("autoscaling:UpdateAutoScalingGroup", 0))'; }
poll() { for _ in $(seq 1 6000); do eval "$1" && return 0; sleep 0.01; done; echo "timed out: $2" >&2; exit 1; }
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

dotnet build "$root/DrSentinel.sln" -c Release -v quiet -nologo >"$work/build.log"
sandbox_bin="$root/src/DrSentinel.Sandbox/bin/Release/net10.0"
if [ "${BENCH_DRSENTINEL:-aot}" = aot ] && [ -x "$root/.artifacts/aot/DrSentinel" ]; then
  drsentinel=("$root/.artifacts/aot/DrSentinel"); build="Native AOT"
else
  drsentinel=(dotnet "$root/src/DrSentinel/bin/Release/net10.0/DrSentinel.dll"); build="JIT"
fi
echo -n "bench-token" >"$work/token"

# start_replica <name> <lease name>: one replica, live for the sandbox's groups; sets $url and $pid.
start_replica() {
  local port; port=$(free_port)
  "${drsentinel[@]}" --urls "http://127.0.0.1:$port" --Aws:ServiceUrl="$sandbox/" --Kubernetes:Host="$sandbox/" --Inventory:ClusterName=pyairtable \
    --Aws:AccessKeyId=AKIASANDBOXDRSENTINEL --Aws:SecretAccessKey=sandbox/secret/access/key/for/drills0000 --Inventory:AwsRefreshInterval=00:00:15 \
    --Receiver:Enabled=true --Receiver:BearerTokenFile="$work/token" --Receiver:StateDirectory="$work/state-$1-$2" \
    --Actions:DryRun=false --Actions:AllowedNodeGroups:0=primary --Actions:AllowedNodeGroups:1=critical \
    --Leadership:Enabled=true --Leadership:Namespace=drsentinel --Leadership:LeaseName="$2" --Leadership:Identity="$1" \
    --Leadership:LeaseDuration="00:00:$(printf %02d "$lease")" --Leadership:RenewDeadline="00:00:$(printf %02d $((lease * 2 / 3)))" \
    --Leadership:RetryPeriod=00:00:02 >"$work/drsentinel-$1-$2.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  wait_http "http://127.0.0.1:$port/readyz"
  url="http://127.0.0.1:$port"
}

start_sandbox() {
  local port; port=$(free_port); sandbox="http://127.0.0.1:$port"
  # Speed 10: a hard-failed zone's nodes go NotReady after 4 s instead of 40 s; DrSentinel's own clock is the wall clock.
  dotnet "$sandbox_bin/DrSentinel.Sandbox.dll" --port "$port" --speed 10 --no-data-plane >"$work/sandbox-$1.log" 2>&1 &
  sandbox_pid=$!
  pids+=("$sandbox_pid")
  wait_http "$sandbox/version"
}

alert='{"version":"4","status":"firing","receiver":"drsentinel","groupKey":"{}","alerts":[{"status":"firing","fingerprint":"beef","labels":{"alertname":"DrSentinelAzUnavailable","az":"eu-central-1a","cluster":"pyairtable"},"startsAt":"2026-12-03T03:00:00Z"}]}'
post() { curl -sf -H 'content-type: application/json' -H 'authorization: Bearer bench-token' "$1/alertmanager/webhook" -d "$alert" >/dev/null; }

declare -a leads acts
for round in $(seq 1 "$rounds"); do
  start_sandbox "$round"
  start_replica a "round-$round"; a_url=$url; a_pid=$pid
  poll "[ \"\$(sample $a_url/metrics 'drsentinel_leader{replica=\"a\"}')\" = 1 ]" "a leads"
  start_replica b "round-$round"; b_url=$url; b_pid=$pid
  # The leader's first group update hangs (longer than its 3 s timeout): it is killed in the middle of the evacuation.
  curl -sf -X POST "$sandbox/sandbox/faults" -H 'content-type: application/json' \
    -d '{"service":"autoscaling","operation":"UpdateAutoScalingGroup","latencyMs":90000,"count":1}' >/dev/null
  curl -sf -X POST "$sandbox/sandbox/zones/eu-central-1a/fail?mode=hard" >/dev/null
  for u in "$a_url" "$b_url"; do poll "[ \"\$(sample $u/metrics 'drsentinel_az_status{az=\"eu-central-1a\",status=\"unavailable\"}')\" = 1 ]" "zone unavailable"; done
  post "$a_url"; post "$b_url" # as Alertmanager's peers and repeats would
  poll "[ \"\$(calls)\" -ge 1 ]" "the leader's first update under way"
  kill -9 "$a_pid"; killed=$(now_ms)
  poll "[ \"\$(sample $b_url/metrics 'drsentinel_leader{replica=\"b\"}')\" = 1 ]" "b leads"
  leads+=($(( $(now_ms) - killed )))
  poll "[ \"\$(calls)\" -ge 2 ]" "b acts"
  acts+=($(( $(now_ms) - killed )))
  if [ "$round" -lt "$rounds" ]; then kill "$b_pid" "$sandbox_pid" 2>/dev/null || true; wait "$b_pid" "$sandbox_pid" 2>/dev/null || true; fi
done

# The last round's sandbox stays: a fresh pair, both idle, then the same notification posted to each.
start_replica leader webhook; leader_url=$url; leader_pid=$pid
poll "[ \"\$(sample $leader_url/metrics 'drsentinel_leader{replica=\"leader\"}')\" = 1 ]" "leader leads"
start_replica follower webhook; follower_url=$url; follower_pid=$pid
sleep 10 # idle: the elector renewing, the sources refreshing (a measurement window, not a synchronisation)
idle_leader=$(rss_mib "$leader_pid"); idle_follower=$(rss_mib "$follower_pid")
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-token"
wrk.body = '$alert'
LUA
percentile() { awk -v p="$2" '$1 == p {print $2}' "$1"; }
for role in leader follower; do
  target=${role}_url
  wrk -t1 -c4 -d2s -s "$work/post.lua" "${!target}/alertmanager/webhook" >/dev/null
  wrk -t1 -c4 -d"${wrk_seconds}s" --latency -s "$work/post.lua" "${!target}/alertmanager/webhook" >"$work/wrk-$role.txt"
done
loaded_leader=$(rss_mib "$leader_pid"); loaded_follower=$(rss_mib "$follower_pid")

summary() { python3 -c 'import sys, statistics as s; v=[int(x) for x in sys.argv[1:]]; print(f"{min(v)/1000:.1f} / {s.median(v)/1000:.1f} / {max(v)/1000:.1f} s")' "$@"; }
echo "### Takeover run of $(date -u +%Y-%m-%dT%H:%MZ) ($build, $rounds rounds, lease $lease s)"
echo
echo "| measured | min / median / max | against |"
echo "|---|---|---|"
echo "| leader SIGKILLed → the follower leads | $(summary "${leads[@]}") | lease duration $lease s |"
echo "| leader SIGKILLed → the follower's first mutating call (the rest of the plan) | $(summary "${acts[@]}") | lease duration $lease s |"
echo
echo "| webhook, same notification again (wrk -t1 -c4, ${wrk_seconds} s) | requests/s | p50 | p99 |"
echo "|---|---|---|---|"
for role in leader follower; do
  echo "| $role | $(awk '/Requests\/sec/ {print $2}' "$work/wrk-$role.txt") | $(percentile "$work/wrk-$role.txt" 50%) | $(percentile "$work/wrk-$role.txt" 99%) |"
done
echo
echo "| resident set (VmRSS), elector running | leader | follower |"
echo "|---|---|---|"
echo "| idle | $idle_leader MiB | $idle_follower MiB |"
echo "| after the webhook load | $loaded_leader MiB | $loaded_follower MiB |"

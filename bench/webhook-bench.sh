#!/usr/bin/env bash
# The Alertmanager webhook under load, beside a bare Kestrel endpoint that reads the body and answers 202 (its floor),
# in the same run: wrk posting bodies of 1 and of 100 alerts, DrSentinel in dry-run, two ways:
#   redelivered - the same alerts again and again, as Alertmanager sends a group every group_interval and from each HA
#                 peer: after the first request every alert is a duplicate, answered from memory;
#   new         - every alert never seen before (a fresh fingerprint each time): each is written to the inbox journal,
#                 flushed to the device before the answer, logged, and planned by the engine on the same cores.
# Then, live, the time from an alert's arrival to the first mutating AWS call, over BENCH_CYCLES evacuations of a failed
# zone (drsentinel_alert_to_first_call_seconds).
#
#   bench/webhook-bench.sh           # BENCH_WRK_SECONDS=20 BENCH_CYCLES=20 BENCH_DRSENTINEL=aot|jit (default aot if published)
#
# Prints a Markdown report on stdout (docs/benchmarks.md quotes it); logs go to $BENCH_WORK (a temp dir).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
wrk_seconds=${BENCH_WRK_SECONDS:-20}
cycles=${BENCH_CYCLES:-20}
require "wrk curl python3" wrk curl python3

sample() { curl -sf "$1" | awk -v s="$2" '$1 == s {v = $2} END {print v + 0}'; }
poll() { for _ in $(seq 1 3000); do eval "$1" && return 0; sleep 0.02; done; echo "timed out: $2" >&2; exit 1; }

dotnet build "$root/DrSentinel.sln" -c Release -v quiet -nologo >"$work/build.log"
dotnet build "$root/bench/bare-kestrel" -c Release -v quiet -nologo -o "$work/bare" >"$work/bare-build.log"
sandbox_bin="$root/src/DrSentinel.Sandbox/bin/Release/net10.0"
if [ "${BENCH_DRSENTINEL:-aot}" = aot ] && [ -x "$root/.artifacts/aot/DrSentinel" ]; then
  drsentinel=("$root/.artifacts/aot/DrSentinel"); build="Native AOT"
else
  drsentinel=(dotnet "$root/src/DrSentinel/bin/Release/net10.0/DrSentinel.dll"); build="JIT"
fi

sandbox_port=$(free_port); sandbox="http://127.0.0.1:$sandbox_port"
dotnet "$sandbox_bin/DrSentinel.Sandbox.dll" --port "$sandbox_port" --speed 1000 --no-data-plane >"$work/sandbox.log" 2>&1 &
pids+=($!)
wait_http "$sandbox/version"
echo -n "bench-token" >"$work/token"

# start_drsentinel <name> <dry-run true|false>: starts one with a state directory of its own; sets $url and $pid.
start_drsentinel() {
  local port; port=$(free_port)
  "${drsentinel[@]}" --urls "http://127.0.0.1:$port" --Aws:ServiceUrl="$sandbox/" --Kubernetes:Host="$sandbox/" --Inventory:ClusterName=pyairtable \
    --Aws:AccessKeyId=AKIASANDBOXDRSENTINEL --Aws:SecretAccessKey=sandbox/secret/access/key/for/drills0000 --Inventory:AwsRefreshInterval=00:00:05 \
    --Aws:Timeout=00:00:01 --Aws:MaxAttempts=2 --Aws:RetryMaxDelay=00:00:00.200 \
    --Receiver:Enabled=true --Receiver:BearerTokenFile="$work/token" --Receiver:StateDirectory="$work/state-$1" --Receiver:QueueCapacity=1000000 \
    --Actions:DryRun="$2" --Actions:AllowedNodeGroups:0=primary --Actions:AllowedNodeGroups:1=critical --Actions:Cooldown=00:00:00 \
    --Actions:MaxActionsPerHour=100000 >"$work/drsentinel-$1.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  wait_http "http://127.0.0.1:$port/readyz"
  url="http://127.0.0.1:$port"
}

# stop_drsentinel: stops the last one started, so that what it still has queued does not run beside the next measurement.
stop_drsentinel() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }

# A wrk script posting a notification of ALERTS alerts: with FRESH=1 each with a fingerprint never sent before, else the same ones.
cat >"$work/post.lua" <<'LUA'
local alerts = tonumber(os.getenv("ALERTS") or "1")
local fresh = os.getenv("FRESH") == "1"
local counter = 0
local thread_id = tostring(math.random(1, 1e9))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-token"
request = function()
  local items = {}
  for i = 1, alerts do
    if fresh then counter = counter + 1 else counter = i end
    items[i] = string.format('{"status":"firing","labels":{"alertname":"DrSentinelAzUnavailable","az":"eu-central-1a","cluster":"pyairtable","severity":"critical"},"annotations":{"summary":"bench"},"startsAt":"2026-11-25T03:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus/graph","fingerprint":"%x%08x"}', thread_id, counter)
  end
  local body = '{"receiver":"drsentinel","status":"firing","alerts":[' .. table.concat(items, ",") .. '],"groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am","version":"4","groupKey":"{}:{}","truncatedAlerts":0}'
  return wrk.format(nil, os.getenv("WEBHOOK_PATH") or "/alertmanager/webhook", nil, body)
end
LUA

bare_port=$(free_port)
dotnet "$work/bare/BareKestrel.dll" --urls "http://127.0.0.1:$bare_port" --Logging:LogLevel:Microsoft.AspNetCore=Warning >"$work/bare.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do curl -s -o /dev/null -X POST "http://127.0.0.1:$bare_port/alertmanager/webhook" -d '{}' && break; sleep 0.1; done # poll until it listens
# row <label> <url> <alerts> <fresh 0|1> [path]: requests/s and latency for one target.
row() {
  local path=${5:-/alertmanager/webhook}
  ALERTS=$3 FRESH=$4 WEBHOOK_PATH=$path wrk -t1 -c4 -d2s -s "$work/post.lua" "$2$path" >/dev/null # warm-up
  ALERTS=$3 FRESH=$4 WEBHOOK_PATH=$path wrk -t1 -c4 -d"${wrk_seconds}s" --latency -s "$work/post.lua" "$2$path" >"$work/wrk-$1-$3-$4.txt"
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk-$1-$3-$4.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$work/wrk-$1-$3-$4.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk-$1-$3-$4.txt")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk-$1-$3-$4.txt")
  echo "$rps|$p50|$p99|${non2xx:-0}"
}
declare -A R
start_drsentinel redelivered true
for n in 1 100; do
  R[bare_$n]=$(row bare "http://127.0.0.1:$bare_port" "$n" 0)
  R[tokens_$n]=$(row tokens "http://127.0.0.1:$bare_port" "$n" 0 /alertmanager/webhook-tokenized)
  R[again_$n]=$(row drsentinel "$url" "$n" 0)
done
stop_drsentinel
# New alerts leave the dry-run engine minutes of plans to make: each run gets an instance of its own, stopped after it.
for n in 1 100; do
  start_drsentinel "new-$n" true
  R[new_$n]=$(row drsentinel "$url" "$n" 1)
  stop_drsentinel
done
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }

# Live: fail eu-central-1a, post a new alert, wait for the evacuation, recover, post its resolution, wait for the restore.
# The first cycle opens the connections the mutating calls use; it is reported apart from the steady state.
start_drsentinel live false
live=$url
for cycle in $(seq 0 "$cycles"); do
  curl -sf -X POST "$sandbox/sandbox/zones/eu-central-1a/fail?mode=hard" >/dev/null
  poll "[ \"\$(sample $live/metrics 'drsentinel_az_status{az=\"eu-central-1a\",status=\"unavailable\"}')\" = 1 ]" "zone unavailable"
  start=$(printf '2026-11-25T03:%02d:%02dZ' $((cycle / 60)) $((cycle % 60)))
  body() { echo "{\"version\":\"4\",\"status\":\"$1\",\"receiver\":\"drsentinel\",\"groupKey\":\"{}\",\"alerts\":[{\"status\":\"$1\",\"fingerprint\":\"beef\",\"labels\":{\"alertname\":\"DrSentinelAzUnavailable\",\"az\":\"eu-central-1a\"},\"startsAt\":\"$start\"}]}"; }
  curl -sf -H 'content-type: application/json' -H 'authorization: Bearer bench-token' "$live/alertmanager/webhook" -d "$(body firing)" >/dev/null
  poll "[ \"\$(sample $live/metrics 'drsentinel_az_evacuated{az=\"eu-central-1a\"}')\" = 1 ]" "zone evacuated"
  curl -sf -X POST "$sandbox/sandbox/zones/eu-central-1a/recover" >/dev/null
  poll "[ \"\$(sample $live/metrics 'drsentinel_az_status{az=\"eu-central-1a\",status=\"healthy\"}')\" = 1 ]" "zone healthy"
  curl -sf -H 'content-type: application/json' -H 'authorization: Bearer bench-token' "$live/alertmanager/webhook" -d "$(body resolved)" >/dev/null
  poll "[ \"\$(sample $live/metrics 'drsentinel_az_evacuated{az=\"eu-central-1a\"}')\" = 0 ]" "zone restored"
  if [ "$cycle" = 0 ]; then curl -sf "$live/metrics" >"$work/first-call-cold.prom"; fi
done
curl -sf "$live/metrics" >"$work/first-call-all.prom"
first_call=$(python3 - "$work/first-call-cold.prom" "$work/first-call-all.prom" <<'PY'
import sys
def buckets(path):
    out = []
    for line in open(path):
        if line.startswith("drsentinel_alert_to_first_call_seconds_bucket"):
            le = line.split('le="')[1].split('"')[0]
            out.append((float("inf") if le == "+Inf" else float(le), float(line.split()[-1])))
    return out
cold, everything = buckets(sys.argv[1]), buckets(sys.argv[2])
steady = [(le, c - c0) for (le, c), (_, c0) in zip(everything, cold)]
def q(bs, p):
    total = bs[-1][1]
    return next(le for le, c in bs if c >= p * total) * 1000
print(f"{int(steady[-1][1])}|{q(steady, 0.5):.0f}|{q(steady, 0.99):.0f}|{q(cold, 1.0):.0f}")
PY
)
IFS='|' read -r samples p50_first p99_first cold_first <<<"$first_call"

cat <<MD
### Webhook run of $(date -u +%Y-%m-%dT%H:%MZ)

Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); DrSentinel $build, dry-run, bearer token; wrk -t1 -c4
-d${wrk_seconds}s. Floor: a bare Kestrel endpoint (bench/bare-kestrel) reading the body and answering 202, logging as DrSentinel
does (Microsoft.AspNetCore at Warning); beside it the same endpoint also running System.Text.Json's reader over every token
(what any receiver that reads the alerts must at least do). *Redelivered*: the same alerts in every request, as
Alertmanager repeats a group (duplicates after the first request). *New*: a fresh fingerprint for every alert (each one
journalled and flushed before the answer, logged, and planned by the dry-run engine on the same cores).

| target | alerts per body | alerts | requests/s | p50 | p99 | non-2xx | vs bare Kestrel | vs Kestrel + tokenizer |
|---|---|---|---|---|---|---|---|---|
MD
for n in 1 100; do
  IFS='|' read -r b_rps b_50 b_99 b_bad <<<"${R[bare_$n]}"
  IFS='|' read -r t_rps t_50 t_99 t_bad <<<"${R[tokens_$n]}"
  echo "| bare Kestrel | $n | - | $b_rps | $b_50 | $b_99 | $b_bad | 1.00x | $(ratio "$b_rps" "$t_rps")x |"
  echo "| Kestrel + tokenizer | $n | - | $t_rps | $t_50 | $t_99 | $t_bad | $(ratio "$t_rps" "$b_rps")x | 1.00x |"
  for kind in again new; do
    IFS='|' read -r d_rps d_50 d_99 d_bad <<<"${R[${kind}_$n]}"
    label=$([ "$kind" = again ] && echo redelivered || echo new)
    echo "| DrSentinel webhook | $n | $label | $d_rps | $d_50 | $d_99 | $d_bad | $(ratio "$d_rps" "$b_rps")x | $(ratio "$d_rps" "$t_rps")x |"
  done
done
cat <<MD

Alert arrival to the first mutating call (a node patch or an Auto Scaling call), live, over $samples alerts ($cycles evacuations of a
hard-failed zone and their restores, after one cold cycle; the drsentinel_alert_to_first_call_seconds histogram, bucket upper
bounds): p50 ≤ ${p50_first} ms, p99 ≤ ${p99_first} ms. The cold cycle (first calls open their connections): ≤ ${cold_first} ms.
The engine takes the alert while its journal flush is under way and plans from the inventory snapshot (nodes watched, groups
read again after every plan carried out); the first call is the first node's cordon, conditional on the resourceVersion the
watch last saw.

Reproduce: \`bench/webhook-bench.sh\` (BENCH_WRK_SECONDS, BENCH_CYCLES, BENCH_DRSENTINEL=aot|jit; logs in BENCH_WORK).
MD

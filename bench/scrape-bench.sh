#!/usr/bin/env bash
# Footprint, startup and scrape latency of DrSentinel watching a 5,000-node sandbox region — the Native AOT executable
# (the production artifact) and the JIT build (`dotnet DrSentinel.dll`), one after the other against the same sandbox
# and Redis servers — measured in the same run beside prometheus-redis-exporter (on the same Redis primary DrSentinel
# probes) and prometheus-node-exporter; then, for each build, Kubernetes LIST calls over a steady-state window and AWS
# calls per minute with and without scrape load.
#
#   bench/scrape-bench.sh            # BENCH_NODES=5000 BENCH_WRK_SECONDS=30 BENCH_STEADY_SECONDS=600
#                                    # BENCH_AOT=path/to/DrSentinel uses that executable instead of publishing one
#
# Prints a Markdown report on stdout (docs/benchmarks.md holds the last one); logs go to $BENCH_WORK (a temp dir).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
nodes=${BENCH_NODES:-5000}
wrk_seconds=${BENCH_WRK_SECONDS:-30}
steady_seconds=${BENCH_STEADY_SECONDS:-600}
require "redis-server prometheus-redis-exporter prometheus-node-exporter wrk curl" redis-server prometheus-redis-exporter prometheus-node-exporter wrk curl python3

rss_kib() { awk -v k="${2:-VmRSS}:" '$1 == k {print $2}' "/proc/$1/status"; }
state() { curl -sf "$sandbox/sandbox/state"; }
calls() { state | python3 -c 'import json,sys; c=json.load(sys.stdin)["apiCalls"]; k=sys.argv[1]; print(sum(v for n,v in c.items() if n.startswith(k)))' "$1"; }
# The value of one sample (name{labels} exactly as exposed) in a scrape of $1, 0 when absent.
sample() { curl -sf "$1" | awk -v s="$2" '$1 == s {v = $2} END {print v + 0}'; }

dotnet build "$root/DrSentinel.sln" -c Release -v quiet -nologo >"$work/build.log"
bin="$root/src/DrSentinel/bin/Release/net10.0"
sandbox_bin="$root/src/DrSentinel.Sandbox/bin/Release/net10.0"
aot=${BENCH_AOT:-}
if [ -z "$aot" ]; then
  # About three minutes on two cores; the same command scripts/test.sh runs, so the bench measures what CI tests.
  dotnet publish "$root/src/DrSentinel" -c Release -r linux-x64 -p:PublishAot=true -o "$root/.artifacts/aot" -v quiet -nologo >"$work/publish.log"
  aot="$root/.artifacts/aot/DrSentinel"
fi
[ -x "$aot" ] || { echo "no AOT executable at $aot" >&2; exit 2; }

# The region: three node groups, one Auto Scaling group per zone, $nodes nodes in all.
python3 - "$nodes" >"$work/topology.json" <<'PY'
import json, sys
n = int(sys.argv[1]); zones = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
topology = {
  "region": "eu-central-1", "clusterName": "bench", "availabilityZones": zones,
  "subnets": [{"id": f"subnet-bench{i}", "availabilityZone": z} for i, z in enumerate(zones)],
  "nodeGroups": [{"name": f"bench-{z[-1]}", "instanceTypes": ["m5.large"], "minSize": 0, "maxSize": n,
                  "desiredSize": n // 3 + (1 if i < n % 3 else 0), "subnets": [f"subnet-bench{i}"]} for i, z in enumerate(zones)],
  "dbInstances": [{"id": "pyairtable-primary", "availabilityZone": zones[0], "secondaryAvailabilityZone": zones[1], "multiAz": True}],
  "replicationGroups": [{"id": "pyairtable-redis", "members": [
      {"cacheClusterId": f"pyairtable-redis-00{i + 1}", "availabilityZone": z, "primary": i == 0} for i, z in enumerate(zones)]}],
}
print(json.dumps(topology))
PY

start_redis_chain

sandbox_port=$(free_port); sandbox="http://127.0.0.1:$sandbox_port"
dotnet "$sandbox_bin/DrSentinel.Sandbox.dll" --port "$sandbox_port" --topology "$work/topology.json" --no-data-plane >"$work/sandbox.log" 2>&1 &
pids+=($!)
wait_http "$sandbox/version"

# The same settings for both builds; the AOT executable has no embedded sandbox and runs with Production settings.
drs_args=(--Aws:ServiceUrl="$sandbox/"
  --Aws:AccessKeyId=AKIASANDBOXDRSENTINEL --Aws:SecretAccessKey=sandbox/secret/access/key/for/drills0000
  --Kubernetes:Host="$sandbox/" --Inventory:ClusterName=bench --Probes:Redis:Enabled=true
  --Probes:Redis:Endpoints:pyairtable-redis-001="127.0.0.1:${redis_ports[0]}"
  --Probes:Redis:Endpoints:pyairtable-redis-002="127.0.0.1:${redis_ports[1]}"
  --Probes:Redis:Endpoints:pyairtable-redis-003="127.0.0.1:${redis_ports[2]}")
aot_cmd=("$aot")
jit_cmd=(dotnet "$bin/DrSentinel.dll" --Sandbox:Enabled=false)

# One target after the other, same machine, same wrk settings.
measure() {
  local name=$1 url=$2 pid=$3
  for _ in $(seq 1 50); do curl -sf "$url" >/dev/null; done
  wrk -t1 -c1 -d"${wrk_seconds}s" --latency "$url" >"$work/wrk-$name.txt"
  local p50 p99 rps bytes series
  p50=$(awk '$1 == "50%" {print $2}' "$work/wrk-$name.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk-$name.txt")
  rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk-$name.txt")
  bytes=$(curl -sf "$url" | wc -c)
  series=$(curl -sf "$url" | grep -vc '^#')
  echo "$name|$p50|$p99|$rps|$(rss_kib "$pid")|$bytes|$series"
}
to_ms() { python3 -c "import re,sys; v=sys.argv[1]; m=re.match(r'([0-9.]+)(us|ms|s)', v); f={'us':0.001,'ms':1,'s':1000}[m.group(2)]; print(f'{float(m.group(1))*f:.3f}')" "$1"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
mib() { python3 -c "import sys; print(f'{float(sys.argv[1]) / 1024:.1f}')" "$1"; }
secs() { python3 -c "import sys; print(f'{float(sys.argv[1]) / 1000:.2f}')" "$1"; }
met() { python3 -c "import sys; print('met' if float(sys.argv[1]) <= float(sys.argv[2]) else 'NOT met')" "$1" "$2"; }

# Peers first, then stopped, so that only the DrSentinel build under test runs beside the sandbox and Redis afterwards.
redis_exporter_port=$(free_port)
prometheus-redis-exporter -redis.addr "redis://127.0.0.1:${redis_ports[0]}" -web.listen-address "127.0.0.1:$redis_exporter_port" >"$work/redis-exporter.log" 2>&1 &
redis_exporter_pid=$!; pids+=($redis_exporter_pid)
node_exporter_port=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$node_exporter_port" >"$work/node-exporter.log" 2>&1 &
node_exporter_pid=$!; pids+=($node_exporter_pid)
wait_http "http://127.0.0.1:$redis_exporter_port/metrics"
wait_http "http://127.0.0.1:$node_exporter_port/metrics"
redis_row=$(measure redis-exporter "http://127.0.0.1:$redis_exporter_port/metrics" "$redis_exporter_pid")
node_row=$(measure node-exporter "http://127.0.0.1:$node_exporter_port/metrics" "$node_exporter_pid")
kill "$redis_exporter_pid" "$node_exporter_pid"; wait "$redis_exporter_pid" "$node_exporter_pid" 2>/dev/null || true

# A throwaway start of each build until /readyz: the sandbox's handlers and both builds' files are warm for the runs
# that count, whichever goes first.
for build in aot jit; do
  declare -n cmd="${build}_cmd"
  port=$(free_port); started=$(date +%s%N)
  "${cmd[@]}" --urls "http://127.0.0.1:$port" "${drs_args[@]}" >"$work/warmup-$build.log" 2>&1 &
  pid=$!; pids+=("$pid")
  wait_ms "http://127.0.0.1:$port/readyz" "$started" "$pid" >/dev/null
  kill "$pid"; wait "$pid" 2>/dev/null || true
  unset -n cmd
done

# One build at a time against the same sandbox and Redis servers: start, /readyz, scrape latency, AWS calls idle and
# under load, the steady-state window, stop. Figures go to R[<build>_<figure>].
declare -A R
run_drsentinel() {
  local build=$1; shift
  local port url pid started watches_before lists_before aws_before end
  port=$(free_port); url="http://127.0.0.1:$port"
  watches_before=$(calls "kubernetes:watch-nodes")
  started=$(date +%s%N)
  "$@" --urls "$url" "${drs_args[@]}" >"$work/drsentinel-$build.log" 2>&1 &
  pid=$!; pids+=("$pid")
  R[${build}_healthz_ms]=$(wait_ms "$url/healthz" "$started" "$pid")
  R[${build}_ready_ms]=$(wait_ms "$url/readyz" "$started" "$pid")
  R[${build}_rss_ready]=$(rss_kib "$pid")
  R[${build}_list_ms]=$(sample "$url/metrics" 'drsentinel_source_refresh_duration_seconds{source="kubernetes_nodes"}' | python3 -c 'import sys; print(round(float(sys.stdin.read()) * 1000))')
  R[${build}_nodes]=$(curl -sf "$url/metrics" | awk '/^drsentinel_kubernetes_nodes\{/ {s += $2} END {print s}')

  R[${build}_row]=$(measure "drsentinel-$build" "$url/metrics" "$pid")

  # AWS calls per minute: one minute idle, one minute under wrk's scrape load.
  aws_before=$(calls "rds:")
  sleep 60
  R[${build}_aws_idle]=$(( $(calls "rds:") - aws_before ))
  aws_before=$(calls "rds:")
  wrk -t2 -c4 -d60s "$url/metrics" >"$work/wrk-load-$build.txt"
  R[${build}_aws_loaded]=$(( $(calls "rds:") - aws_before ))
  R[${build}_load_rps]=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk-load-$build.txt")

  # Steady state: Prometheus-like scraping once a second, count Kubernetes LIST calls.
  lists_before=$(calls "kubernetes:list-nodes")
  end=$(( $(date +%s) + steady_seconds ))
  R[${build}_failed]=0
  while [ "$(date +%s)" -lt "$end" ]; do
    curl -sf "$url/metrics" >/dev/null || R[${build}_failed]=$(( R[${build}_failed] + 1 ))
    alive "$pid" || { echo "DrSentinel ($build) exited during the steady-state window: see $work/drsentinel-$build.log" >&2; exit 1; }
    sleep 1
  done
  R[${build}_lists]=$(( $(calls "kubernetes:list-nodes") - lists_before ))
  R[${build}_watches]=$(( $(calls "kubernetes:watch-nodes") - watches_before ))
  R[${build}_rss_after]=$(rss_kib "$pid")
  R[${build}_rss_anon]=$(rss_kib "$pid" RssAnon)
  R[${build}_rss_file]=$(rss_kib "$pid" RssFile)
  R[${build}_gc_heap]=$(sample "$url/metrics" dotnet_total_memory_bytes)
  R[${build}_gcs]=$(curl -sf "$url/metrics" | awk '/^dotnet_collection_count_total\{/ {s += $2} END {print s + 0}')
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
run_drsentinel aot "${aot_cmd[@]}"
run_drsentinel jit "${jit_cmd[@]}"

IFS='|' read -r _ a50 a99 arps arss abytes aseries <<<"${R[aot_row]}"
IFS='|' read -r _ j50 j99 jrps jrss jbytes jseries <<<"${R[jit_row]}"
IFS='|' read -r _ r50 r99 rrps rrss rbytes rseries <<<"$redis_row"
IFS='|' read -r _ n50 n99 nrps nrss nbytes nseries <<<"$node_row"
a50=$(to_ms "$a50"); a99=$(to_ms "$a99"); j50=$(to_ms "$j50"); j99=$(to_ms "$j99")
r50=$(to_ms "$r50"); r99=$(to_ms "$r99"); n50=$(to_ms "$n50"); n99=$(to_ms "$n99")
counted=${R[aot_nodes]}
build_row() {
  local b=$1 label=$2
  echo "| $label | $(secs "${R[${b}_healthz_ms]}") s | $(secs "${R[${b}_ready_ms]}") s | $(secs "${R[${b}_list_ms]}") s | $(secs $(( R[${b}_ready_ms] - R[${b}_list_ms] ))) s | $(mib "${R[${b}_rss_ready]}") MiB | $(mib "${R[${b}_rss_after]}") MiB | $(mib "${R[${b}_rss_anon]}") + $(mib "${R[${b}_rss_file]}") MiB | $(python3 -c "import sys; print(f'{float(sys.argv[1]) / 1048576:.1f}')" "${R[${b}_gc_heap]}") MiB, ${R[${b}_gcs]} GCs | $(ratio "${R[${b}_rss_ready]}" "$rrss")x / $(ratio "${R[${b}_rss_after]}" "$rrss")x |"
}
aot_rss_max=$(( R[aot_rss_ready] > R[aot_rss_after] ? R[aot_rss_ready] : R[aot_rss_after] ))
aot_overhead_ms=$(( R[aot_ready_ms] - R[aot_list_ms] ))

cat <<MD
### Run of $(date -u +%Y-%m-%dT%H:%MZ)

Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/^Mem/ {print $2}') GiB;
.NET $(dotnet --version); wrk -t1 -c1 -d${wrk_seconds}s --latency (one scraper, one connection, as Prometheus scrapes a target) against each target in turn, after 50 warm-up requests.
Region: $counted Kubernetes nodes over 3 zones, 3 Auto Scaling groups, 1 RDS instance, 1 Redis replication group of
3 real redis-server processes; prometheus-redis-exporter scrapes the primary DrSentinel probes; prometheus-node-exporter
scrapes this machine. The two DrSentinel builds ran one after the other against the same sandbox, each with the same
settings, after a throwaway start of each had warmed the sandbox and the files.

| target | p50 scrape | p99 scrape | scrapes/s | RSS after wrk | body | series |
|---|---|---|---|---|---|---|
| DrSentinel, Native AOT | ${a50} ms | ${a99} ms | ${arps} | $(mib "$arss") MiB | ${abytes} B | ${aseries} |
| DrSentinel, JIT | ${j50} ms | ${j99} ms | ${jrps} | $(mib "$jrss") MiB | ${jbytes} B | ${jseries} |
| prometheus-redis-exporter | ${r50} ms | ${r99} ms | ${rrps} | $(mib "$rrss") MiB | ${rbytes} B | ${rseries} |
| prometheus-node-exporter | ${n50} ms | ${n99} ms | ${nrps} | $(mib "$nrss") MiB | ${nbytes} B | ${nseries} |

| DrSentinel | start → /healthz | start → /readyz | first node list | ready − list | RSS at ready | RSS after ${steady_seconds} s | anon + file | GC heap | RSS / redis-exporter (ready / after) |
|---|---|---|---|---|---|---|---|---|---|
$(build_row aot "Native AOT")
$(build_row jit "JIT")

Ratios, p99 / peer: AOT $(ratio "$a99" "$r99")x redis-exporter, $(ratio "$a99" "$n99")x node-exporter; JIT $(ratio "$j99" "$r99")x, $(ratio "$j99" "$n99")x.

- Target RSS ≤ 48 MiB at ${counted} nodes (≤ 3.2x redis-exporter), AOT: **$(mib "$aot_rss_max") MiB**, $(ratio "$aot_rss_max" "$rrss")x redis-exporter — $(met "$aot_rss_max" $((48 * 1024))) (JIT: $(mib "${R[jit_rss_after]}") MiB after the window).
- Target ready ≤ 0.5 s after start plus the first list, AOT: **$(secs "${R[aot_ready_ms]}") s** with a $(secs "${R[aot_list_ms]}") s list, $(secs "$aot_overhead_ms") s besides it — $(met "$aot_overhead_ms" 500) (JIT: $(secs "${R[jit_ready_ms]}") s, list $(secs "${R[jit_list_ms]}") s).
- Target p99 scrape no worse than before (≈ 1.3–1.7 ms), and < 5 ms: AOT **${a99} ms** — $(met "$a99" 1.7); JIT ${j99} ms.
- Kubernetes LIST calls in ${steady_seconds} s of steady state (scraped once a second): AOT **${R[aot_lists]}**, JIT **${R[jit_lists]}** (watch requests since each start: ${R[aot_watches]}, ${R[jit_watches]}; failed scrapes: ${R[aot_failed]}, ${R[jit_failed]}).
- RDS calls in a minute without scrapes / under load: AOT **${R[aot_aws_idle]} / ${R[aot_aws_loaded]}** (${R[aot_load_rps]} scrapes/s), JIT **${R[jit_aws_idle]} / ${R[jit_aws_loaded]}** (${R[jit_load_rps]} scrapes/s).

Reproduce: \`bench/scrape-bench.sh\` (BENCH_NODES, BENCH_WRK_SECONDS, BENCH_STEADY_SECONDS, BENCH_AOT; logs in BENCH_WORK).
MD

#!/usr/bin/env bash
# Scrape latency and resident memory of DrSentinel watching a 5,000-node sandbox region, measured in the same run beside
# prometheus-redis-exporter (on the same Redis primary DrSentinel probes) and prometheus-node-exporter; then Kubernetes
# LIST calls over a steady-state window and AWS calls per minute with and without scrape load.
#
#   bench/scrape-bench.sh            # BENCH_NODES=5000 BENCH_WRK_SECONDS=30 BENCH_STEADY_SECONDS=600
#
# Prints a Markdown report on stdout (docs/benchmarks.md holds the last one); logs go to $BENCH_WORK (a temp dir).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
nodes=${BENCH_NODES:-5000}
wrk_seconds=${BENCH_WRK_SECONDS:-30}
steady_seconds=${BENCH_STEADY_SECONDS:-600}
work=${BENCH_WORK:-$(mktemp -d)}
mkdir -p "$work"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

for tool in redis-server prometheus-redis-exporter prometheus-node-exporter wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install redis-server prometheus-redis-exporter prometheus-node-exporter wrk curl" >&2; exit 2; }
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_http() { for _ in $(seq 1 600); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "timed out waiting for $1" >&2; exit 1; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
state() { curl -sf "$sandbox/sandbox/state"; }
calls() { state | python3 -c 'import json,sys; c=json.load(sys.stdin)["apiCalls"]; k=sys.argv[1]; print(sum(v for n,v in c.items() if n.startswith(k)))' "$1"; }

dotnet build "$root/DrSentinel.sln" -c Release -v quiet -nologo >"$work/build.log"
bin="$root/src/DrSentinel/bin/Release/net10.0"
sandbox_bin="$root/src/DrSentinel.Sandbox/bin/Release/net10.0"

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

redis_ports=()
for i in 0 1 2; do
  port=$(free_port); redis_ports+=("$port"); mkdir -p "$work/redis-$i"
  replica=(); [ "$i" -gt 0 ] && replica=(--replicaof 127.0.0.1 "${redis_ports[0]}")
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work/redis-$i" "${replica[@]}" >"$work/redis-$i.log" 2>&1 &
  pids+=($!)
done

sandbox_port=$(free_port); sandbox="http://127.0.0.1:$sandbox_port"
dotnet "$sandbox_bin/DrSentinel.Sandbox.dll" --port "$sandbox_port" --topology "$work/topology.json" --no-data-plane >"$work/sandbox.log" 2>&1 &
pids+=($!)
wait_http "$sandbox/version"

drs_port=$(free_port); drs="http://127.0.0.1:$drs_port"
started=$(date +%s.%N)
dotnet "$bin/DrSentinel.dll" --urls "$drs" --Sandbox:Enabled=false --Aws:ServiceUrl="$sandbox/" \
  --Aws:AccessKeyId=AKIASANDBOXDRSENTINEL --Aws:SecretAccessKey=sandbox/secret/access/key/for/drills0000 \
  --Kubernetes:Host="$sandbox/" --Inventory:ClusterName=bench --Probes:Redis:Enabled=true \
  --Probes:Redis:Endpoints:pyairtable-redis-001="127.0.0.1:${redis_ports[0]}" \
  --Probes:Redis:Endpoints:pyairtable-redis-002="127.0.0.1:${redis_ports[1]}" \
  --Probes:Redis:Endpoints:pyairtable-redis-003="127.0.0.1:${redis_ports[2]}" >"$work/drsentinel.log" 2>&1 &
drs_pid=$!; pids+=($drs_pid)
wait_http "$drs/readyz"
ready_seconds=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
counted=$(curl -sf "$drs/metrics" | awk '/^drsentinel_kubernetes_nodes\{/ {s += $2} END {print s}')

redis_exporter_port=$(free_port)
prometheus-redis-exporter -redis.addr "redis://127.0.0.1:${redis_ports[0]}" -web.listen-address "127.0.0.1:$redis_exporter_port" >"$work/redis-exporter.log" 2>&1 &
redis_exporter_pid=$!; pids+=($redis_exporter_pid)
node_exporter_port=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$node_exporter_port" >"$work/node-exporter.log" 2>&1 &
node_exporter_pid=$!; pids+=($node_exporter_pid)
wait_http "http://127.0.0.1:$redis_exporter_port/metrics"
wait_http "http://127.0.0.1:$node_exporter_port/metrics"

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

rows=()
rows+=("$(measure drsentinel "$drs/metrics" "$drs_pid")")
rows+=("$(measure redis-exporter "http://127.0.0.1:$redis_exporter_port/metrics" "$redis_exporter_pid")")
rows+=("$(measure node-exporter "http://127.0.0.1:$node_exporter_port/metrics" "$node_exporter_pid")")

# AWS calls per minute: one minute idle, one minute under wrk's scrape load.
aws_before=$(calls "rds:")
sleep 60
aws_idle=$(( $(calls "rds:") - aws_before ))
aws_before=$(calls "rds:")
wrk -t2 -c4 -d60s "$drs/metrics" >"$work/wrk-load.txt"
aws_loaded=$(( $(calls "rds:") - aws_before ))
load_rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk-load.txt")

# Steady state: Prometheus-like scraping once a second, count Kubernetes LIST calls.
lists_before=$(calls "kubernetes:list-nodes")
end=$(( $(date +%s) + steady_seconds ))
while [ "$(date +%s)" -lt "$end" ]; do curl -sf "$drs/metrics" >/dev/null; sleep 1; done
lists=$(( $(calls "kubernetes:list-nodes") - lists_before ))
watches=$(calls "kubernetes:watch-nodes")
rss_after=$(rss_kib "$drs_pid")

IFS='|' read -r _ d50 d99 drps drss dbytes dseries <<<"${rows[0]}"
IFS='|' read -r _ r50 r99 rrps rrss rbytes rseries <<<"${rows[1]}"
IFS='|' read -r _ n50 n99 nrps nrss nbytes nseries <<<"${rows[2]}"
d50=$(to_ms "$d50"); d99=$(to_ms "$d99"); r50=$(to_ms "$r50"); r99=$(to_ms "$r99"); n50=$(to_ms "$n50"); n99=$(to_ms "$n99")
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }

cat <<MD
### Run of $(date -u +%Y-%m-%dT%H:%MZ)

Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/^Mem/ {print $2}') GiB;
.NET $(dotnet --version); wrk -t1 -c1 -d${wrk_seconds}s --latency (one scraper, one connection, as Prometheus scrapes a target) against each target in turn, after 50 warm-up requests.
Region: $counted Kubernetes nodes over 3 zones (DrSentinel ready ${ready_seconds} s after start), 3 Auto Scaling groups,
1 RDS instance, 1 Redis replication group of 3 real redis-server processes; prometheus-redis-exporter scrapes the
primary DrSentinel probes; prometheus-node-exporter scrapes this machine.

| target | p50 scrape | p99 scrape | scrapes/s | RSS | body | series |
|---|---|---|---|---|---|---|
| DrSentinel | ${d50} ms | ${d99} ms | ${drps} | $((drss / 1024)) MiB | ${dbytes} B | ${dseries} |
| prometheus-redis-exporter | ${r50} ms | ${r99} ms | ${rrps} | $((rrss / 1024)) MiB | ${rbytes} B | ${rseries} |
| prometheus-node-exporter | ${n50} ms | ${n99} ms | ${nrps} | $((nrss / 1024)) MiB | ${nbytes} B | ${nseries} |

Ratios, DrSentinel / peer: p99 $(ratio "$d99" "$r99")x redis-exporter, $(ratio "$d99" "$n99")x node-exporter;
RSS $(ratio "$drss" "$rrss")x redis-exporter, $(ratio "$drss" "$nrss")x node-exporter.

- Target p99 < 5 ms at ${counted} nodes: **${d99} ms**.
- Kubernetes LIST calls in ${steady_seconds} s of steady state (scraped once a second): **${lists}** (watch requests since start: ${watches}); RSS after it: $((rss_after / 1024)) MiB.
- RDS calls: **${aws_idle}** in a minute without scrapes, **${aws_loaded}** in a minute under ${load_rps} scrapes/s.

Reproduce: \`bench/scrape-bench.sh\` (BENCH_NODES, BENCH_WRK_SECONDS, BENCH_STEADY_SECONDS; logs in BENCH_WORK).
MD

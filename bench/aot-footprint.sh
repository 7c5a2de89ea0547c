#!/usr/bin/env bash
# What the Native AOT executable's resident set is made of, and what moves it: the executable alone against a sandbox
# region, started in turn with the variants below (probes, GC settings, region size). For each: RSS at /readyz, after
# wrk -t1 -c1 (the latency measurement of scrape-bench.sh), after wrk -t2 -c4 (its load minute), and after a quiet
# window scraped once a second, with /proc/<pid>/smaps_rollup and a per-mapping breakdown at the end.
#
#   bench/aot-footprint.sh           # BENCH_NODES=5000 BENCH_WRK_SECONDS=30 BENCH_QUIET_SECONDS=60
#                                    # BENCH_AOT=path/to/DrSentinel (default .artifacts/aot/DrSentinel, published if missing)
#
# Prints a Markdown table on stdout (docs/benchmarks.md quotes the last one); logs go to $BENCH_WORK (a temp dir).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
nodes=${BENCH_NODES:-5000}
wrk_seconds=${BENCH_WRK_SECONDS:-30}
quiet_seconds=${BENCH_QUIET_SECONDS:-60}
require "redis-server wrk curl binutils" redis-server wrk curl python3 readelf

rss_kib() { awk -v k="${2:-VmRSS}:" '$1 == k {print $2}' "/proc/$1/status"; }
mib() { python3 -c "import sys; print(f'{float(sys.argv[1]) / 1024:.1f}')" "$1"; }
sample() { curl -sf "$1" | awk -v s="$2" '$1 == s {v = $2} END {print v + 0}'; }

aot=${BENCH_AOT:-$root/.artifacts/aot/DrSentinel}
if [ ! -x "$aot" ]; then
  dotnet publish "$root/src/DrSentinel" -c Release -r linux-x64 -p:PublishAot=true -o "$root/.artifacts/aot" -v quiet -nologo >"$work/publish.log"
fi
# A copy, so that a publish during the run (scripts/test.sh writes the same path) does not swap the file under it.
mkdir -p "$work/aot"; cp "$aot" "$(dirname "$aot")"/appsettings*.json "$work/aot/"; aot="$work/aot/$(basename "$aot")"
dotnet build "$root/src/DrSentinel.Sandbox" -c Release -v quiet -nologo >"$work/build.log"
sandbox_bin="$root/src/DrSentinel.Sandbox/bin/Release/net10.0"

# Resident KiB of one process by kind of mapping: the executable's file pages and its copied-on-write pages, its .bss
# and .hydrated sections (the type data the runtime rehydrates at start), the GC's reservation (the one anonymous range
# of 1 GiB or more), the rest of the anonymous memory (malloc arenas, thread stacks, [heap]) and other files.
cat >"$work/smaps.py" <<'PY'
import re, subprocess, sys
pid, exe = sys.argv[1], sys.argv[2]
sections = {}
for line in subprocess.run(["readelf", "-SW", exe], capture_output=True, text=True).stdout.splitlines():
    m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", line)
    if m: sections[m.group(1)] = (int(m.group(2), 16), int(m.group(3), 16))
maps, cur = [], None
for line in open(f"/proc/{pid}/smaps"):
    m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ \d+\s*(.*)", line)
    if m:
        cur = {"start": int(m.group(1), 16), "end": int(m.group(2), 16), "offset": int(m.group(4), 16), "path": m.group(5)}
        maps.append(cur)
    elif cur is not None and ":" in line:
        k, v = line.split(":", 1)
        if v.strip().endswith("kB"): cur[k] = int(v.split()[0])
base = min(m["start"] - m["offset"] for m in maps if m["path"] == exe)
lo = base + min(sections[s][0] for s in (".bss", ".hydrated") if s in sections)
hi = base + max(sections[s][0] + sections[s][1] for s in (".bss", ".hydrated") if s in sections)
runs, run = [], []
for m in maps:
    if m["path"] == "" and run and run[-1]["end"] == m["start"]: run.append(m)
    else:
        if run: runs.append(run)
        run = [m] if m["path"] == "" else []
if run: runs.append(run)
gc = {id(m) for r in runs if r[-1]["end"] - r[0]["start"] >= 1 << 30 for m in r}
out = {"exe_file": 0, "exe_cow": 0, "exe_bss_hydrated": 0, "gc_heap": 0, "other_anon": 0, "other_files": 0}
for m in maps:
    rss, anon = m.get("Rss", 0), m.get("Anonymous", 0)
    if m["path"] == exe: out["exe_file"] += rss - anon; out["exe_cow"] += anon
    elif m["path"] == "" and m["start"] < hi and m["end"] > lo: out["exe_bss_hydrated"] += rss
    elif id(m) in gc: out["gc_heap"] += rss
    elif m["path"] == "" or m["path"].startswith("["): out["other_anon"] += rss
    else: out["other_files"] += rss
print(" ".join(f"{k}={v}" for k, v in out.items()))
PY

topology() {
  python3 - "$1" <<'PY'
import json, sys
n = int(sys.argv[1]); zones = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
print(json.dumps({
  "region": "eu-central-1", "clusterName": "bench", "availabilityZones": zones,
  "subnets": [{"id": f"subnet-bench{i}", "availabilityZone": z} for i, z in enumerate(zones)],
  "nodeGroups": [{"name": f"bench-{z[-1]}", "instanceTypes": ["m5.large"], "minSize": 0, "maxSize": n,
                  "desiredSize": n // 3 + (1 if i < n % 3 else 0), "subnets": [f"subnet-bench{i}"]} for i, z in enumerate(zones)],
  "dbInstances": [{"id": "pyairtable-primary", "availabilityZone": zones[0], "secondaryAvailabilityZone": zones[1], "multiAz": True}],
  "replicationGroups": [{"id": "pyairtable-redis", "members": [
      {"cacheClusterId": f"pyairtable-redis-00{i + 1}", "availabilityZone": z, "primary": i == 0} for i, z in enumerate(zones)]}],
}))
PY
}

start_redis_chain

# Two regions side by side: $nodes nodes and the sandbox's 9-node size.
declare -A sandbox
for n in "$nodes" 9; do
  topology "$n" >"$work/topology-$n.json"
  port=$(free_port); sandbox[$n]="http://127.0.0.1:$port"
  dotnet "$sandbox_bin/DrSentinel.Sandbox.dll" --port "$port" --topology "$work/topology-$n.json" --no-data-plane >"$work/sandbox-$n.log" 2>&1 &
  pids+=($!)
done
for n in "$nodes" 9; do wait_http "${sandbox[$n]}/version"; curl -sf "${sandbox[$n]}/api/v1/nodes" >/dev/null; done

probes=(--Probes:Redis:Enabled=true
  --Probes:Redis:Endpoints:pyairtable-redis-001="127.0.0.1:${redis_ports[0]}"
  --Probes:Redis:Endpoints:pyairtable-redis-002="127.0.0.1:${redis_ports[1]}"
  --Probes:Redis:Endpoints:pyairtable-redis-003="127.0.0.1:${redis_ports[2]}")

# run <label> <nodes> <probes on|off> [VAR=value ...]: one start of the executable, its figures as one table row.
run() {
  local label=$1 n=$2 with_probes=$3; shift 3
  local port url pid started ready r_ready r_wrk r_load r_quiet gc_heap gcs parts args=()
  [ "$with_probes" = on ] && args=("${probes[@]}")
  port=$(free_port); url="http://127.0.0.1:$port"
  started=$(date +%s%N)
  env "$@" "$aot" --urls "$url" --Aws:ServiceUrl="${sandbox[$n]}/" --Kubernetes:Host="${sandbox[$n]}/" --Inventory:ClusterName=bench \
    --Aws:AccessKeyId=AKIASANDBOXDRSENTINEL --Aws:SecretAccessKey=sandbox/secret/access/key/for/drills0000 \
    "${args[@]}" >"$work/drsentinel-${label// /_}.log" 2>&1 &
  pid=$!; pids+=("$pid")
  # A variant whose process dies (a heap limit too small) is reported as such, and the others still run.
  ready=$(wait_ms "$url/readyz" "$started" "$pid") || { echo "| $label | did not get ready (see drsentinel-${label// /_}.log) |"; return 0; }
  r_ready=$(rss_kib "$pid")
  for _ in $(seq 1 50); do curl -sf "$url/metrics" >/dev/null || true; done
  wrk -t1 -c1 -d"${wrk_seconds}s" "$url/metrics" >/dev/null
  alive "$pid" || { echo "| $label | exited under wrk -c1 after $(mib "$r_ready") MiB at ready (see its log) |"; return 0; }
  r_wrk=$(rss_kib "$pid")
  wrk -t2 -c4 -d"${wrk_seconds}s" "$url/metrics" >/dev/null
  alive "$pid" || { echo "| $label | exited under wrk -c4 after $(mib "$r_wrk") MiB (see its log) |"; return 0; }
  r_load=$(rss_kib "$pid")
  local end=$(( $(date +%s) + quiet_seconds ))
  while [ "$(date +%s)" -lt "$end" ]; do curl -sf "$url/metrics" >/dev/null || true; sleep 1; done
  alive "$pid" || { echo "| $label | exited in the quiet window (see its log) |"; return 0; }
  r_quiet=$(rss_kib "$pid")
  gc_heap=$(sample "$url/metrics" dotnet_total_memory_bytes)
  gcs=$(curl -sf "$url/metrics" | awk '/^dotnet_collection_count_total\{/ {s += $2} END {print s + 0}')
  cp "/proc/$pid/smaps_rollup" "$work/smaps_rollup-${label// /_}.txt"
  parts=$(python3 "$work/smaps.py" "$pid" "$(readlink -f "$aot")") || { echo "| $label | no breakdown (see the log) |"; kill "$pid"; wait "$pid" 2>/dev/null || true; return 0; }
  echo "$parts" >"$work/smaps-${label// /_}.txt"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  declare -A p; local kv
  for kv in $parts; do p[${kv%%=*}]=${kv#*=}; done
  echo "| $label | $(python3 -c "import sys; print(f'{int(sys.argv[1]) / 1000:.2f}')" "$ready") s | $(mib "$r_ready") | $(mib "$r_wrk") | $(mib "$r_load") | $(mib "$r_quiet") | $(mib "${p[exe_file]}") | $(mib $(( p[exe_cow] + p[exe_bss_hydrated] ))) | $(mib "${p[gc_heap]}") | $(mib "${p[other_anon]}") | $(mib "${p[other_files]}") | $(python3 -c "import sys; print(f'{float(sys.argv[1]) / 1048576:.1f}')" "$gc_heap"), $gcs |"
}

cat <<MD
### AOT footprint, $(date -u +%Y-%m-%dT%H:%MZ)

Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); $(stat -c %s "$aot") B executable. RSS in MiB: at /readyz, after
wrk -t1 -c1 ${wrk_seconds} s, after wrk -t2 -c4 ${wrk_seconds} s, after ${quiet_seconds} s scraped once a second; then, at that point, by mapping
(the executable's file pages; its copied-on-write, .bss and .hydrated pages; the GC's reservation; other anonymous
memory: malloc arenas, thread stacks; other files: libc, libssl…), and the GC heap (dotnet_total_memory_bytes) with the GC count.

| variant | ready | RSS ready | after wrk -c1 | after wrk -c4 | after quiet | exe file | exe data (anon) | GC heap (anon) | other anon | other files | GC heap used, GCs |
|---|---|---|---|---|---|---|---|---|---|---|---|
MD
run "$nodes nodes, probes on" "$nodes" on
run "$nodes nodes, probes off" "$nodes" off
run "$nodes nodes, the runtime's own gen0 budget (DOTNET_GCgen0size=0)" "$nodes" on DOTNET_GCgen0size=0
run "$nodes nodes, DOTNET_GCgen0size=2 MiB" "$nodes" on DOTNET_GCgen0size=200000
run "$nodes nodes, DOTNET_GCgen0MaxBudget=6 MiB" "$nodes" on DOTNET_GCgen0MaxBudget=600000
run "$nodes nodes, DOTNET_gcConcurrent=1" "$nodes" on DOTNET_gcConcurrent=1
run "$nodes nodes, DOTNET_GCHeapHardLimit=48 MiB" "$nodes" on DOTNET_GCHeapHardLimit=3000000
run "$nodes nodes, DOTNET_GCConserveMemory=9" "$nodes" on DOTNET_GCConserveMemory=9
run "9 nodes, probes on" 9 on
run "9 nodes, probes off, GCgen0size=2 MiB" 9 off DOTNET_GCgen0size=200000

# What every bench script shares; sourced right after `set -euo pipefail`. Sets $root (the repository) and $work
# (BENCH_WORK or a temp dir, for logs); whatever a script starts goes into $pids and is stopped when it exits.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${BENCH_WORK:-$(mktemp -d)}
mkdir -p "$work"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# require "<apt-get packages>" <tool>...: exits 2 naming the first missing tool and what to install.
require() {
  local packages=$1; shift
  for tool in "$@"; do command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install $packages" >&2; exit 2; }; done
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_http() { for _ in $(seq 1 600); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "timed out waiting for $1" >&2; exit 1; }

# Whether process $1 still runs (a child that has exited stays a zombie until it is waited for).
alive() { [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat")" != Z ]; }
# Milliseconds from $2 (date +%s%N) until $1 answers, polled every 10 ms for at most 60 s; fails if process $3 exits.
wait_ms() {
  for _ in $(seq 1 6000); do
    curl -sf -o /dev/null "$1" && { echo $(( ($(date +%s%N) - $2) / 1000000 )); return 0; }
    alive "$3" || { echo "process $3 exited before $1 answered" >&2; return 1; }
    sleep 0.01
  done
  echo "timed out waiting for $1" >&2; return 1
}

# start_redis_chain: a Redis primary and two replicas on free loopback ports, for DrSentinel's probes; sets $redis_ports.
start_redis_chain() {
  redis_ports=()
  for i in 0 1 2; do
    port=$(free_port); redis_ports+=("$port"); mkdir -p "$work/redis-$i"
    replica=(); [ "$i" -gt 0 ] && replica=(--replicaof 127.0.0.1 "${redis_ports[0]}")
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work/redis-$i" "${replica[@]}" >"$work/redis-$i.log" 2>&1 &
    pids+=($!)
  done
}

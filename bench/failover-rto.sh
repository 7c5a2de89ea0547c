#!/usr/bin/env bash
# RTO and RPO as the application sees them, from the data: the sandbox at region speed 1 (the wall clock) with its real
# PostgreSQL and Redis, DrSentinel live (its receiver allowed to fail the seed's databases over, default grace), real
# Prometheus running alerts/drsentinel.rules.yml unchanged (default `for`) every 15 s, real Alertmanager running
# alerts/alertmanager.example.yml. A client writes a numbered row through the RDS endpoint and a numbered key through
# the Redis primary endpoint every 0.5 s; the zone holding both primaries fails (gray, then hard in a new region).
#
#   RTO = zone failure -> first write acknowledged again (per endpoint)
#   RPO = writes acknowledged and then missing from the new primary, counted after the failover
#   and, for a failover DrSentinel made, the time from its call to the resource available in the new zone (its log)
#
#   bench/failover-rto.sh            # BENCH_MODES="gray hard" BENCH_EVALUATION=15s
#
# Prints a Markdown report on stdout (docs/benchmarks.md quotes it); logs go to $BENCH_WORK (a temp dir).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
modes=${BENCH_MODES:-gray hard}
evaluation=${BENCH_EVALUATION:-15s}
require "prometheus prometheus-alertmanager postgresql-client redis-tools curl python3-boto3" prometheus prometheus-alertmanager psql redis-cli curl /usr/bin/python3

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# Seconds a failover DrSentinel followed took from its call to the resource available in the new zone ("-" if none).
followed_s() { grep -a -m1 -F "Failover done: $1:" "$work/drsentinel-$mode.log" | sed -n 's/.*available after \([0-9]*\) s.*/\1/p' | grep . || echo -; }
since() { [ "$1" = - ] && echo - || echo "$(( ($1 - failed_at) / 1000 )).$(( ($1 - failed_at) % 1000 / 100 ))"; }

dotnet build "$root/src/DrSentinel" -c Release -v quiet -nologo >"$work/build.log"
echo -n "bench-token" >"$work/token"
mkdir -p "$work/secrets"
for name in pagerduty-routing-key tickets-token; do echo unused >"$work/secrets/$name"; done

run() {
  mode=$1
  local port sandbox_port prom_port am_port
  port=$(free_port); sandbox_port=$(free_port); prom_port=$(free_port); am_port=$(free_port)
  local drsentinel="http://127.0.0.1:$port" sandbox="http://127.0.0.1:$sandbox_port"
  # DrSentinel with its embedded sandbox (the README's run command), live for the seed's databases only.
  DOTNET_ENVIRONMENT=Development ASPNETCORE_ENVIRONMENT=Development dotnet "$root/src/DrSentinel/bin/Release/net10.0/DrSentinel.dll" \
    --urls "$drsentinel" --Sandbox:Speed=1 --Sandbox:Port="$sandbox_port" \
    --Receiver:BearerTokenFile="$work/token" --Receiver:StateDirectory="$work/state-$mode" --Receiver:AllowUnauthenticated=false \
    --Actions:DryRun=false --Actions:AllowedDatabases:0=pyairtable-primary --Actions:AllowedDatabases:1=pyairtable-redis \
    --Logging:Console:FormatterOptions:TimestampFormat="yyyy-MM-ddTHH:mm:ss.fff " --Logging:Console:FormatterOptions:UseUtcTimestamp=true \
    >"$work/drsentinel-$mode.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  wait_http "$drsentinel/readyz"
  # The real servers up and probed (initdb and the standbys' base backups take a while).
  for _ in $(seq 1 1200); do
    [ "$(curl -sf "$drsentinel/metrics" | grep -c -E '^drsentinel_(postgres|redis)_probe_up\{.* 1$')" -ge 5 ] && break
    sleep 0.1
  done

  sed -e "s#http://drsentinel.drsentinel.svc:9464/#$drsentinel/#" -e "s#/etc/alertmanager/secrets/drsentinel-webhook-token#$work/token#" \
      -e "s#/etc/alertmanager/secrets/#$work/secrets/#" -e "s#https://tickets.example.com/alertmanager#http://127.0.0.1:9/tickets#" \
      "$root/alerts/alertmanager.example.yml" >"$work/alertmanager-$mode.yml"
  prometheus-alertmanager --config.file="$work/alertmanager-$mode.yml" --storage.path="$work/am-$mode" --web.listen-address="127.0.0.1:$am_port" \
    --cluster.listen-address= --log.level=warn >"$work/alertmanager-$mode.log" 2>&1 &
  pids+=($!)
  cat >"$work/prometheus-$mode.yml" <<YAML
global: {scrape_interval: $evaluation, evaluation_interval: $evaluation}
rule_files: ['$root/alerts/drsentinel.rules.yml']
alerting: {alertmanagers: [{static_configs: [{targets: ['127.0.0.1:$am_port']}]}]}
scrape_configs:
  - job_name: drsentinel
    static_configs: [{targets: ['127.0.0.1:$port'], labels: {cluster: pyairtable, region: eu-central-1}}]
YAML
  prometheus --config.file="$work/prometheus-$mode.yml" --storage.tsdb.path="$work/prom-$mode" --web.listen-address="127.0.0.1:$prom_port" \
    --log.level=warn >"$work/prometheus-$mode.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$am_port/-/ready"; wait_http "http://127.0.0.1:$prom_port/-/ready"

  # The endpoints as an application finds them: from the Describe answers (boto3, as in AWS).
  local pg_port redis_port
  read -r pg_port redis_port < <(/usr/bin/python3 - "$sandbox" <<'PY'
import sys, boto3
args = dict(endpoint_url=sys.argv[1], region_name='eu-central-1', aws_access_key_id='AKIASANDBOXDRSENTINEL',
            aws_secret_access_key='sandbox/secret/access/key/for/drills0000')
db = boto3.client('rds', **args).describe_db_instances(DBInstanceIdentifier='pyairtable-primary')['DBInstances'][0]
group = boto3.client('elasticache', **args).describe_replication_groups(ReplicationGroupId='pyairtable-redis')['ReplicationGroups'][0]
print(db['Endpoint']['Port'], group['NodeGroups'][0]['PrimaryEndpoint']['Port'])
PY
)
  PGCONNECT_TIMEOUT=2 psql -qAt -h 127.0.0.1 -p "$pg_port" -U postgres -c "CREATE TABLE rto (id int primary key)" >/dev/null
  sleep $(( ${evaluation%s} * 3 ))  # Prometheus has the healthy region on record before the failure

  # The application: one numbered write to each endpoint every 0.5 s; an acknowledged write is logged with its time.
  : >"$work/pg-acked-$mode"; : >"$work/redis-acked-$mode"
  (
    i=0
    while true; do
      i=$((i + 1))
      timeout 2 psql -qAt -h 127.0.0.1 -p "$pg_port" -U postgres -c "INSERT INTO rto VALUES ($i)" >/dev/null 2>&1 && echo "$i $(now_ms)" >>"$work/pg-acked-$mode" &
      [ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$redis_port" SET "rto:$i" 1 2>/dev/null)" = OK ] && echo "$i $(now_ms)" >>"$work/redis-acked-$mode" &
      sleep 0.5
    done
  ) &
  local writer=$!; pids+=("$writer")
  sleep 5
  failed_at=$(now_ms)
  curl -sf -X POST "$sandbox/sandbox/zones/eu-central-1a/fail?mode=$mode" >/dev/null

  # Until a write acknowledged after the failure has been seen on both endpoints (15 minutes at most).
  local pg_back=- redis_back=-
  for _ in $(seq 1 1800); do
    [ "$pg_back" = - ] && pg_back=$(awk -v t="$failed_at" '$2 > t + 1000 {print $2; exit}' "$work/pg-acked-$mode" | grep . || echo -)
    [ "$redis_back" = - ] && redis_back=$(awk -v t="$failed_at" '$2 > t + 1000 {print $2; exit}' "$work/redis-acked-$mode" | grep . || echo -)
    [ "$pg_back" != - ] && [ "$redis_back" != - ] && break
    sleep 0.5
  done
  sleep 5
  kill "$writer" 2>/dev/null || true; wait "$writer" 2>/dev/null || true
  sleep 3  # the last writes in flight end (timeout 2)

  # RPO: acknowledged, then missing from what the new primary serves.
  local pg_lost redis_lost acked_pg acked_redis
  psql -qAt -h 127.0.0.1 -p "$pg_port" -U postgres -c "SELECT id FROM rto ORDER BY id" >"$work/pg-present-$mode"
  acked_pg=$(wc -l <"$work/pg-acked-$mode")
  pg_lost=$(cut -d' ' -f1 "$work/pg-acked-$mode" | sort -n | comm -23 - <(sort -n "$work/pg-present-$mode") | wc -l)
  acked_redis=$(wc -l <"$work/redis-acked-$mode")
  redis_lost=0
  while read -r id _; do
    [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" EXISTS "rto:$id")" = 1 ] || redis_lost=$((redis_lost + 1))
  done <"$work/redis-acked-$mode"

  local calls
  calls=$(curl -sf "$sandbox/sandbox/state" | python3 -c 'import json,sys; c=json.load(sys.stdin).get("apiCalls",{}); print(sum(v for k,v in c.items() if k in ("rds:RebootDBInstance","elasticache:TestFailover","elasticache:ModifyReplicationGroup")))' 2>/dev/null || echo "?")
  echo "| $mode | $(since "$pg_back") | $(since "$redis_back") | $(followed_s pyairtable-primary) | $(followed_s pyairtable-redis) | $calls | $pg_lost of $acked_pg | $redis_lost of $acked_redis |"
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
}

echo "### Failover RTO/RPO run of $(date -u +%Y-%m-%dT%H:%MZ) (region speed 1, evaluation and scrape every $evaluation, default \`for\` and grace)"
echo
echo "| failure | RDS writable again (s) | Redis writable again (s) | RDS failover, call to available (s) | Redis failover, call to available (s) | DrSentinel's failover calls | PostgreSQL writes lost (of acked) | Redis writes lost (of acked) |"
echo "|---|---|---|---|---|---|---|---|"
for mode in $modes; do run "$mode"; done
echo
echo "Seconds from the zone's failure. Logs: $work"

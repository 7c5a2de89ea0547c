#!/usr/bin/env bash
# Copies the one source of the alert rules and the dashboards into the Helm chart, which can read only its own files.
# Run it after changing alerts/drsentinel.rules.yml or dashboards/*.json; ChartTests fail on any difference.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
files="$root/charts/drsentinel/files"
mkdir -p "$files/dashboards"
cp "$root/alerts/drsentinel.rules.yml" "$files/drsentinel.rules.yml"
rm -f "$files/dashboards/"*.json
cp "$root/dashboards/"*.json "$files/dashboards/"
echo "charts/drsentinel/files: rules and $(ls "$root/dashboards/"*.json | wc -l) dashboards copied"

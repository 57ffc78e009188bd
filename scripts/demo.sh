#!/usr/bin/env bash
# The main job, on a fresh machine too: set up, start the sandbox, play the runbook's incident (a release that
# fails 5% of requests), watch Prometheus and Alertmanager see it, roll it back with Ripcord, and show recovery.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
R="node bin/ripcord.js"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. Start the sandbox (real kube-apiserver, kubelet, PostgreSQL, Prometheus, Alertmanager)"
$R sandbox up
# shellcheck disable=SC1091
. .ripcord/sandbox/env

step "2. Deploy the healthy release venue-service:v1.2.2 with 3 replicas"
$R sandbox deploy venue-service:v1.2.2 --replicas 3
kubectl get pods -n tickettoken -o wide

step "2b. Healthy traffic for 30 s: the baseline verification compares with"
$R sandbox load --service venue-service --rps 40 --duration 30s >/dev/null

step "3. Deploy the bad release venue-service:v1.2.3 (returns 5xx on 5% of requests)"
$R sandbox deploy venue-service:v1.2.3
# shellcheck disable=SC1091
. .ripcord/sandbox/env   # now with VENUE_SERVICE_URL, which examples/venue-service/ripcord.yaml reads
export RIPCORD_CONFIG=examples/venue-service/ripcord.yaml
$R history venue-service

step "4. Production traffic for 40 s"
$R sandbox load --service venue-service --rps 40 --duration 40s

step "5. What monitoring sees: 5xx share (runbook trigger: > 1%) and the alert"
q='sum(rate(http_requests_total{namespace="tickettoken",status=~"5.."}[30s]))/sum(rate(http_requests_total{namespace="tickettoken"}[30s]))'
curl -s --get "$PROMETHEUS_URL/api/v1/query" --data-urlencode "query=$q" | jq -r '"5xx share: \(.data.result[0].value[1] // "n/a")"'
curl -s "$ALERTMANAGER_URL/api/v2/alerts?filter=namespace%3D%22tickettoken%22" | jq -r '.[] | "alert: \(.labels.alertname) \(.status.state) since \(.startsAt)"'

step "6. Pull the cord: plan, then roll back (journaled, locked, verified) while users keep calling"
$R plan venue-service
# Traffic goes on during the rollback: recovery is proven on it (a sequential test, not one quiet window).
$R sandbox load --service venue-service --rps 40 --duration 150s >/dev/null &
rollback_load=$!
$R rollback venue-service --yes
kill $rollback_load 2>/dev/null || true
$R runs --limit 3

step "7. Traffic again for 15 s: only v1.2.2 answers"
$R sandbox load --service venue-service --rps 40 --duration 15s

step "8. Let Ripcord watch: deploy v1.2.4 (P50 +80%) under load; it detects, rolls back, verifies, notifies"
# A local ticket-system stand-in receives the runbook's communication template (docs/notifications.md).
sink_log=.ripcord/demo-notifications.txt
: >"$sink_log"
node scripts/demo-webhook-sink.mjs "$sink_log" >.ripcord/demo-sink.url &
sink_pid=$!
$R sandbox load --service venue-service --rps 40 --duration 150s >/dev/null &
load_pid=$!
trap 'kill $sink_pid $load_pid 2>/dev/null || true' EXIT
sleep 20 # a baseline for Prometheus: v1.2.2 under load before the rollout
export TICKET_WEBHOOK_URL="$(cat .ripcord/demo-sink.url)"
$R sandbox deploy venue-service:v1.2.4 --no-wait
$R watch venue-service --until-decided
kill $load_pid 2>/dev/null || true

step "9. Why it acted: the evidence behind the verdict"
$R explain "$($R runs --limit 1 -o json | jq -r '.[0].id')"

step "10. What the ticket system received"
sleep 1
cat "$sink_log"

printf '\nThe sandbox keeps running: . .ripcord/sandbox/env && kubectl get pods -A; stop it with: npx ripcord sandbox down\n'

#!/usr/bin/env bash
# A local Prometheus + Alertmanager with demo data, for trying the live gates (slo, incidents).
#
#   scripts/live-stack.sh [start]   start both (or leave them running) and print their URLs
#   scripts/live-stack.sh stop      stop what this script started
#   scripts/live-stack.sh restart   stop, then start with fresh demo data (it covers two hours)
#   scripts/live-stack.sh status    say what is running
#
# Idempotent: `start` on a running stack only reloads the demo alerts and prints the URLs.
# Prometheus gets the example's metrics snapshot (examples/prep-monolith/monitoring/), shifted to
# run from an hour ago to an hour from now, backfilled with promtool. Alertmanager gets a Sev-2
# API alert (not blocking) and a silenced Sev-1 worker alert, so `prepctl gate phase-0` shows a
# passing incidents criterion with a muted alert in its evidence. Fire a blocking one with:
#   scripts/live-stack.sh fire
# Ports: PREPCTL_PROM_PORT (19090) and PREPCTL_AM_PORT (19093), on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
here="$(pwd)"
state="${PREPCTL_LIVE_DIR:-$here/.prepctl/live-stack}"
prom_port="${PREPCTL_PROM_PORT:-19090}"
am_port="${PREPCTL_AM_PORT:-19093}"
prom_url="http://127.0.0.1:$prom_port"
am_url="http://127.0.0.1:$am_port"
snapshot="$here/examples/prep-monolith/monitoring/prometheus-snapshot.om"
python="${PYTHON:-python3}"

die() { echo "live-stack: $*" >&2; exit 2; }

need_binaries() {
  local missing=()
  command -v prometheus >/dev/null || missing+=(prometheus)
  command -v promtool >/dev/null || missing+=(prometheus)
  command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
  [ "${#missing[@]}" -eq 0 ] && return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "live-stack: installing ${missing[*]}"
    apt-get update -qq
    # Keep the packaged services from starting on the default ports.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    rm -f /usr/sbin/policy-rc.d
  else
    die "missing ${missing[*]}: sudo apt-get install ${missing[*]}"
  fi
}

alive() { [ -f "$state/$1.pid" ] && kill -0 "$(cat "$state/$1.pid")" 2>/dev/null; }

ready() { "$python" - "$1" <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
except Exception:
    sys.exit(1)
PY
}

wait_ready() {
  local url="$1" name="$2"
  for _ in $(seq 1 150); do
    ready "$url" && return 0
    alive "$name" || die "$name exited; see $state/$name.log"
    sleep 0.2
  done
  die "$name not ready after 30s; see $state/$name.log"
}

start_prometheus() {
  if alive prometheus && ready "$prom_url/-/ready"; then
    echo "live-stack: Prometheus already running (pid $(cat "$state/prometheus.pid"))"
    return
  fi
  rm -rf "$state/prometheus" && mkdir -p "$state/prometheus/data"
  # Move the snapshot so that it ends an hour from now: an hour of history for window objectives.
  local end now offset
  end=$(awk '!/^#/ && NF { if ($NF > m) m = $NF } END { printf "%d", m }' "$snapshot")
  now=$(date +%s)
  offset=$(( now / 60 * 60 + 3600 - end ))
  awk -v off="$offset" '/^#/ || NF == 0 { print; next } { $NF = $NF + off; print }' "$snapshot" \
    > "$state/prometheus/demo.om"
  promtool tsdb create-blocks-from openmetrics "$state/prometheus/demo.om" "$state/prometheus/data" >/dev/null
  printf 'global:\n  scrape_interval: 1h\nscrape_configs: []\n' > "$state/prometheus/prometheus.yml"
  nohup prometheus --config.file="$state/prometheus/prometheus.yml" \
    --storage.tsdb.path="$state/prometheus/data" --storage.tsdb.retention.time=3650d \
    --web.listen-address="127.0.0.1:$prom_port" > "$state/prometheus.log" 2>&1 < /dev/null &
  echo $! > "$state/prometheus.pid"
  wait_ready "$prom_url/-/ready" prometheus
  echo "live-stack: Prometheus started (pid $(cat "$state/prometheus.pid"))"
}

start_alertmanager() {
  if alive alertmanager && ready "$am_url/-/ready"; then
    echo "live-stack: Alertmanager already running (pid $(cat "$state/alertmanager.pid"))"
    return
  fi
  mkdir -p "$state/alertmanager"
  cat > "$state/alertmanager/alertmanager.yml" <<'YAML'
route:
  receiver: nobody
  group_wait: 1h
receivers:
  - name: nobody
inhibit_rules:
  - source_matchers: ['alertname="MaintenanceWindow"']
    target_matchers: ['severity=~"sev0|sev1"']
    equal: [service]
YAML
  # An empty cluster address: no gossip port, nothing listening beyond 127.0.0.1.
  nohup prometheus-alertmanager --config.file="$state/alertmanager/alertmanager.yml" \
    --storage.path="$state/alertmanager/data" --web.listen-address="127.0.0.1:$am_port" \
    --cluster.listen-address= > "$state/alertmanager.log" 2>&1 < /dev/null &
  echo $! > "$state/alertmanager.pid"
  wait_ready "$am_url/-/ready" alertmanager
  echo "live-stack: Alertmanager started (pid $(cat "$state/alertmanager.pid"))"
}

# Post alerts (and a silence, once) through Alertmanager's own API. Args: demo | fire
alerts() { "$python" - "$am_url" "$1" <<'PY'
import json, sys, urllib.request
from datetime import datetime, timedelta, timezone
url, what = sys.argv[1], sys.argv[2]
now = datetime.now(timezone.utc)
def send(method, path, body=None):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode() if body is not None else None,
                                 method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        text = resp.read()
    return json.loads(text) if text.strip() else None
def alert(labels, summary):
    return {"labels": labels, "annotations": {"summary": summary},
            "startsAt": (now - timedelta(minutes=20)).isoformat(), "endsAt": (now + timedelta(hours=12)).isoformat()}
if what == "fire":
    send("POST", "/api/v2/alerts", [alert({"alertname": "ApiErrorBudgetBurn", "severity": "sev1",
                                           "service": "api"}, "API burning its error budget")])
    print("live-stack: fired a Sev-1 api alert; `prepctl gate phase-0` now fails its incidents criterion")
    sys.exit(0)
send("POST", "/api/v2/alerts", [
    alert({"alertname": "SlowHostDashboard", "severity": "sev2", "service": "api"}, "Host dashboard slow"),
    alert({"alertname": "WorkerQueueBacklog", "severity": "sev1", "service": "worker"}, "Nightly rollup backlog"),
])
silences = send("GET", "/api/v2/silences") or []
if not any(s.get("comment") == "prepctl live-stack demo" and s["status"]["state"] == "active" for s in silences):
    send("POST", "/api/v2/silences", {
        "matchers": [{"name": "alertname", "value": "WorkerQueueBacklog", "isRegex": False, "isEqual": True}],
        "startsAt": now.isoformat(), "endsAt": (now + timedelta(hours=12)).isoformat(),
        "createdBy": "scripts/live-stack.sh", "comment": "prepctl live-stack demo"})
print("live-stack: demo alerts loaded (a Sev-2 on api, a silenced Sev-1 on worker)")
PY
}

stop_one() {
  if alive "$1"; then
    kill "$(cat "$state/$1.pid")" && echo "live-stack: stopped $1"
  else
    echo "live-stack: $1 not running"
  fi
  rm -f "$state/$1.pid"
}

show() {
  cat <<EOF

Prometheus:   $prom_url
Alertmanager: $am_url

Point prepctl at them (phases.yaml reads these variables):
  export PREPCTL_PROMETHEUS_URL=$prom_url
  export PREPCTL_ALERTMANAGER_URL=$am_url
  .venv/bin/prepctl gate phase-0
Stop them with: scripts/live-stack.sh stop
EOF
}

case "${1:-start}" in
  start)
    need_binaries
    command -v "$python" >/dev/null || die "needs $python"
    mkdir -p "$state"
    start_prometheus
    start_alertmanager
    alerts demo
    show
    ;;
  fire)
    alive alertmanager || die "not running; start it with scripts/live-stack.sh"
    alerts fire
    ;;
  stop)
    stop_one prometheus
    stop_one alertmanager
    ;;
  restart)
    stop_one prometheus
    stop_one alertmanager
    exec bash "$0" start
    ;;
  status)
    for name in prometheus alertmanager; do
      if alive "$name"; then echo "$name: running (pid $(cat "$state/$name.pid"))"; else echo "$name: stopped"; fi
    done
    ;;
  *) die "usage: scripts/live-stack.sh [start|stop|restart|status|fire]";;
esac

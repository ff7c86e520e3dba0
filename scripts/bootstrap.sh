#!/usr/bin/env bash
# Install what prepctl needs on a fresh Debian machine; safe to run again (idempotent).
#   scripts/bootstrap.sh demo   -> Graphviz + the package
#   scripts/bootstrap.sh test   -> Graphviz, Prometheus, Alertmanager, Chromium + test extras
set -euo pipefail
mode="${1:-demo}"
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: command -> package
declare -A debs=([dot]=graphviz)
if [ "$mode" = test ]; then
  debs+=([prometheus]=prometheus [promtool]=prometheus [prometheus-alertmanager]=prometheus-alertmanager
         [amtool]=prometheus-alertmanager [chromium]=chromium)
fi
missing=()
for cmd in "${!debs[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${debs[$cmd]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  sudo_if_needed apt-get update -qq
  # The packaged daemons must not start as services: tests start their own on free ports.
  printf '#!/bin/sh\nexit 101\n' | sudo_if_needed tee /usr/sbin/policy-rc.d >/dev/null
  sudo_if_needed chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  sudo_if_needed rm -f /usr/sbin/policy-rc.d
fi

# The virtualenv, reinstalled only when pyproject.toml changed.
python="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$python" -m venv .venv
extras=""
[ "$mode" = test ] && extras="[test]"
stamp=".venv/.prepctl-installed-$mode-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "bootstrap: installing prepctl$extras into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extras"
  touch "$stamp"
fi

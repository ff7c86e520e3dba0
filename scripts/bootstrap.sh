#!/usr/bin/env bash
# Install what prepctl needs on a fresh Debian machine; safe to run again (idempotent).
#   scripts/bootstrap.sh demo   -> Graphviz + the package
#   scripts/bootstrap.sh test   -> Graphviz, Prometheus, Alertmanager, Chromium + test extras
set -euo pipefail
mode="${1:-demo}"
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

python="${PYTHON:-python3}"

# Debian packages: command -> package
declare -A debs=([dot]=graphviz)
# The C import lexer (prepctl/graph/scan/native_lexer.c) is built by `pip install` below: a C
# compiler, and Python.h for the interpreter (python3-dev when it is Debian's own). Without them
# the install still succeeds and prepctl runs the pure-Python lexer.
debs+=([cc]=build-essential)
if [ "$mode" = test ]; then
  debs+=([prometheus]=prometheus [promtool]=prometheus [prometheus-alertmanager]=prometheus-alertmanager
         [amtool]=prometheus-alertmanager [chromium]=chromium)
fi
missing=()
for cmd in "${!debs[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${debs[$cmd]}")
done
if ! "$python" -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'; then
  missing+=(python3-dev)
fi
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

# The virtualenv, reinstalled only when the package's build inputs changed (pyproject.toml,
# setup.py, the C source): `pip install -e .` builds the C lexer in place.
[ -x .venv/bin/python ] || "$python" -m venv .venv
extras=""
[ "$mode" = test ] && extras="[test]"
inputs="$(cat pyproject.toml setup.py prepctl/graph/scan/native_lexer.c | sha256sum | cut -c1-16)"
stamp=".venv/.prepctl-installed-$mode-$inputs"
if [ ! -f "$stamp" ]; then
  echo "bootstrap: installing prepctl$extras into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extras"
  touch "$stamp"
fi
.venv/bin/python -c 'from prepctl.graph.scan import lexer; print("bootstrap: import lexer:", "C accelerator" if lexer.NATIVE else "pure Python (no C build; set up a compiler and rerun)")'

#!/usr/bin/env bash
# Installs the comparison targets and the HTTP load generator from Debian when they are missing:
# nginx, HAProxy and wrk. `pnpm bench` skips (with a message) any target that is still absent,
# so running this is optional. The packages' own services are stopped and disabled: the
# benchmark starts each proxy itself, with a generated config on free 127.0.0.1 ports.
set -euo pipefail

missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)

if [ ${#missing[@]} -eq 0 ]; then
  echo "bench/setup.sh: nginx, haproxy and wrk are already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo=sudo; else
    echo "bench/setup.sh: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
else
  sudo=
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "bench/setup.sh: no apt-get here; install ${missing[*]} yourself (the benchmark skips what is missing)" >&2
  exit 1
fi

echo "bench/setup.sh: installing ${missing[*]}"
# Keep the packages' post-install scripts from starting their own daemons on port 80.
policy_created=
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  policy_created=1
fi
trap '[ -n "$policy_created" ] && $sudo rm -f /usr/sbin/policy-rc.d' EXIT
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
for service in nginx haproxy; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled "$service" >/dev/null 2>&1; then
    $sudo systemctl disable --now "$service" >/dev/null 2>&1 || true
  fi
done
echo "bench/setup.sh: done"

#!/usr/bin/env bash
# Installs the Debian packages the tests need, idempotently:
#   bubblewrap  - the shell.execute sandbox (bwrap)
#   util-linux  - mount, setsid and friends the sandbox tests rely on (rlimits are set by dash `ulimit`)
#   python3     - what the sandbox and injection tests run inside the sandbox (ctypes, urllib)
#   chromium    - the browser that browser.navigate drives through playwright-core
#   ca-certificates, fonts-liberation - TLS roots and a font so pages render headless
#   prometheus  - promtool, which checks the /metrics output and the exported alert rules (observe/)
#   postgresql  - initdb/postgres binaries; store and cluster tests start their own server in a temp dir
#   nats-server - the cluster bus (Debian's 2.9.10: JetStream, no sync_interval); cluster tests run nats-server -js in a temp dir
#   iproute2    - ip netns / ip link / ss: the fault suite's partitions between network namespaces
# Safe to run repeatedly: packages already present are skipped without touching apt at all.
set -euo pipefail

PACKAGES=(bubblewrap util-linux python3 chromium ca-certificates fonts-liberation prometheus postgresql nats-server iproute2)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "ci-deps: all present (${PACKAGES[*]})"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

echo "ci-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"

# bwrap must be able to create a user namespace; say so clearly when the host forbids it.
if ! bwrap --unshare-user --ro-bind / / true 2>/dev/null; then
  echo "ci-deps: warning: bwrap cannot create a user namespace here (kernel.unprivileged_userns_clone=0 or a container without CAP_SYS_ADMIN)" >&2
fi
echo "ci-deps: done"

#!/usr/bin/env bash
# Installs Debian's postfix package non-interactively if it is missing.
# The system instance is left unconfigured ("No configuration") and is
# never started by the project: tests and the demo run private instances.
set -euo pipefail
if [ -x /usr/lib/postfix/sbin/master ] && command -v smtp-sink >/dev/null && command -v postconf >/dev/null; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "postfix is not installed and we are not root: run as root, or 'apt-get install postfix' first" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "postfix postfix/mailname string localhost" | debconf-set-selections
apt-get update -q
apt-get install -y -q postfix
# Debian starts the (unconfigured) system instance; it is not ours to run.
if command -v systemctl >/dev/null 2>&1; then systemctl stop postfix >/dev/null 2>&1 || true; fi

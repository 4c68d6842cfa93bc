#!/bin/sh
# Installs the Debian packages the tests use, when missing and when we are allowed to (root or sudo).
set -e
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
[ -d /usr/share/datasets/fashion-mnist ] || missing="$missing dataset-fashion-mnist"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ]; then SUDO=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
  echo "missing Debian packages:$missing (run: sudo apt-get install$missing)"; exit 1; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null

#!/bin/sh
# Installs Debian packages the app or the tests use, when missing and when we are allowed to (root or sudo).
# Usage: ensure_system_packages.sh [chromium] [dataset-fashion-mnist] [nginx]   (all three when none is named)
# nginx is the reverse proxy of `make class` (several dashboard processes on one port) and its tests; installing
# Debian's package may start its default site on port 80 where a service manager runs; `make class` never uses it.
set -e
wanted="${*:-chromium dataset-fashion-mnist nginx}"
missing=""
for package in $wanted; do
  case "$package" in
    chromium) [ -x /usr/bin/chromium ] || missing="$missing chromium" ;;
    dataset-fashion-mnist) [ -d "${AECORE_FASHION_DIR:-/usr/share/datasets/fashion-mnist}" ] || missing="$missing dataset-fashion-mnist" ;;
    nginx) [ -x /usr/sbin/nginx ] || missing="$missing nginx" ;;
    *) echo "unknown package $package"; exit 2 ;;
  esac
done
[ -z "$missing" ] && exit 0
command -v apt-get >/dev/null || { echo "missing:$missing (not a Debian system: no apt-get)"; exit 1; }
if [ "$(id -u)" = "0" ]; then SUDO=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
  echo "missing Debian packages:$missing (run: sudo apt-get install$missing)"; exit 1; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null

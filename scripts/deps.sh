#!/usr/bin/env bash
# Installs what the test suite runs for real, on Debian, when missing.
set -euo pipefail
need=()
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v curl >/dev/null || need+=(curl)
[ -x /usr/bin/python3 ] || need+=(python3) # the escape suite runs Debian's python3
command -v gcc >/dev/null || need+=(gcc)
command -v pgrep >/dev/null || need+=(procps)
command -v ipcmk >/dev/null || need+=(util-linux)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
	echo "missing: ${need[*]}; install them (Debian: apt-get install -y ${need[*]})" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null

#!/usr/bin/env bash
# make bench: installs the comparison tools when missing (as root, on
# Debian), builds permc and permc-bench outside every writable root, and
# writes BENCHMARKS.md. A peer that cannot be installed is reported as not
# measured on the page; it does not stop the run. Extra arguments go to
# permc-bench (-quick, -only SECTIONS).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
# permc refuses to run from a directory a sandbox could write: not /tmp.
DIR=${PERMC_BENCH_DIR:-/opt/permc-bench}

need=()
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v socat >/dev/null || need+=(socat)     # the two-hop bridge; sandbox-runtime needs it too
command -v tinyproxy >/dev/null || need+=(tinyproxy)
command -v cc >/dev/null || need+=(gcc)           # builds the minimal C relay (bench/floor/relay.c)
command -v rg >/dev/null || need+=(ripgrep)      # sandbox-runtime needs it on Linux
command -v strace >/dev/null || need+=(strace)   # reads the bwrap arguments permc passes
command -v npm >/dev/null || need+=(npm)         # installs sandbox-runtime
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		export DEBIAN_FRONTEND=noninteractive
		# Installing tinyproxy must not leave its service running.
		if [ ! -e /usr/sbin/policy-rc.d ]; then
			printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
			chmod 755 /usr/sbin/policy-rc.d
			trap 'rm -f /usr/sbin/policy-rc.d' EXIT
		fi
		apt-get update -qq || true
		for p in "${need[@]}"; do
			apt-get install -y -qq "$p" >/dev/null ||
				echo "bench: apt-get could not install $p; what needs it is reported as not measured" >&2
		done
	else
		echo "bench: missing ${need[*]} (Debian: apt-get install -y ${need[*]}); what needs them is reported as not measured" >&2
	fi
fi

mkdir -p "$DIR"
srt="$DIR/node/node_modules/@anthropic-ai/sandbox-runtime/package.json"
if [ ! -f "$srt" ] && command -v npm >/dev/null; then
	mkdir -p "$DIR/node"
	# SRT_VERSION pins a release; npm otherwise picks the newest one the
	# installed Node.js supports.
	npm install --prefix "$DIR/node" --no-audit --no-fund --loglevel=error \
		"@anthropic-ai/sandbox-runtime${SRT_VERSION:+@$SRT_VERSION}" >/dev/null ||
		echo "bench: npm could not install @anthropic-ai/sandbox-runtime; it is reported as not measured" >&2
fi

$GO build -o "$DIR/permc" ./cmd/permc
$GO build -o "$DIR/permc-bench" ./bench/cmd/permc-bench
exec "$DIR/permc-bench" -repo . -dir "$DIR" -o BENCHMARKS.md "$@"

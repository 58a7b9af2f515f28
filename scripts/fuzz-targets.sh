#!/usr/bin/env bash
# Lists every fuzz target as PACKAGE:NAME:EXECS, for make fuzz-short and
# fuzz. EXECS is the short run's budget in executions: a count, not a
# duration, because Go 1.26's fuzz coordinator can report a spurious
# "context deadline exceeded" failure when a -fuzztime duration expires
# while a worker is busy (fixed upstream in Go 1.27). Targets that compile
# and evaluate whole profiles run about a hundred times a second and get a
# smaller budget.
set -euo pipefail
cd "$(dirname "$0")/.."
budget() {
	case "$1" in
	FuzzEquivalence) echo 2000 ;;
	*) echo 50000 ;;
	esac
}
grep -rl --include='*_test.go' '^func Fuzz' . | while read -r f; do
	pkg="./$(dirname "${f#./}")"
	grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //' | while read -r name; do
		echo "$pkg:$name:$(budget "$name")"
	done
done | sort -u

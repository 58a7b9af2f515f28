#!/usr/bin/env bash
# make examples: permc build on every bundled example, into out/, with
# the same arguments golden/ was built with (the targets of
# examples/limits.txt), so that `diff -r out golden` compares them.
set -euo pipefail
cd "$(dirname "$0")/.."
permc=./bin/permc

build() { # build NAME LIMITS-KEY ARGS...
	local name=$1 key=$2
	shift 2
	local targets
	targets=$(awk -v k="$key" '$1 == k { print $2 }' examples/limits.txt)
	if [ -n "$targets" ]; then
		set -- "$@" --target "$targets"
	fi
	"$permc" build -o "out/$name" "$@" 2>/dev/null || {
		echo "examples: permc build -o out/$name $* failed:" >&2
		"$permc" build -o "out/$name" "$@" >&2 || true
		return 1
	}
	built+=("$name")
}

built=()

mkdir -p out
build builtins builtins
build legacy legacy -c examples/legacy.toml
build layered layered -c examples/layered/system.toml -c examples/layered/user.toml
build org org -c examples/org/system.toml -c examples/org/user.toml --requirements examples/org/requirements.toml
for f in examples/spec/*.toml; do
	n=$(basename "$f" .toml)
	build "spec-$n" "spec/$n.toml" -c "$f"
done
stale=0
for n in "${built[@]}"; do
	diff -r "out/$n" "golden/$n" >/dev/null || { echo "out/$n differs from golden/$n" >&2; stale=1; }
done
if [ "$stale" = 0 ]; then
	echo "${#built[@]} folders in out/, each identical to its golden/ twin (make golden rewrites golden/)"
fi
exit "$stale"

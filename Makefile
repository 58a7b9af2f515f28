# permc: the build, test and benchmark entry points.
GO ?= go
# Fuzz budgets are execution counts per target (scripts/fuzz-targets.sh),
# multiplied by FUZZSCALE: make fuzz runs each target 100 times longer.
FUZZSCALE ?= 1
# permc is built without cgo: Landlock is applied to every thread through
# psx, whose pure-Go variant (syscall.AllThreadsSyscall) needs cgo off, and
# the proxy then uses Go's own resolver.
export CGO_ENABLED ?= 0

.PHONY: all build examples test deps unit fuzz-short fuzz golden docs bench vet cross clean

all: build

build:
	$(GO) build -o bin/permc ./cmd/permc

# The main job: compile every bundled example into out/.
examples: build
	@scripts/examples.sh

# The whole suite: vet, unit and end-to-end tests, cross-compilation, and a
# short run of every fuzz target.
test: deps vet cross unit fuzz-short

# What the tests run for real: bubblewrap (the Linux sandbox), curl, python3,
# gcc, procps and util-linux. Installed with apt-get when missing and
# running as root.
deps:
	@scripts/deps.sh

unit:
	$(GO) test -count=1 ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || \
		{ echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

cross:
	GOOS=darwin $(GO) build ./...
	GOOS=windows $(GO) build ./...
	GOOS=windows $(GO) vet ./...

fuzz-short:
	@for target in $$(scripts/fuzz-targets.sh); do \
		pkg=$${target%%:*}; rest=$${target#*:}; name=$${rest%%:*}; \
		execs=$$(( $${rest##*:} * $(FUZZSCALE) )); \
		echo "fuzz $$pkg $$name ($${execs} executions)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $${execs}x \
			-fuzzminimizetime 100x $$pkg || exit 1; \
	done

fuzz:
	$(MAKE) fuzz-short FUZZSCALE=100

golden:
	$(GO) test ./cmd/permc -run TestGolden -update

docs:
	$(GO) run ./internal/diag/gendocs docs/diagnostics.md

# permc side by side with bwrap, sandbox-runtime, find, tinyproxy and socat;
# writes BENCHMARKS.md. BENCHFLAGS=-quick checks that everything runs.
bench:
	@GO=$(GO) scripts/bench.sh $(BENCHFLAGS)

clean:
	rm -rf bin out bench.out

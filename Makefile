# gdetach: build, test, benchmark and install the commands.
#
#   make                   build every command into bin/
#   make test              run every test, with the race detector, then again without cgo
#   make bench             measure against the classic tools; writes docs/benchmarks.md
#   make cross             build for darwin and freebsd too
#   make install           install commands and man pages under PREFIX (/usr/local)
#   make docs-check        render every man page with man -l, failing on warnings
#   make stress            run the end-to-end tests 50 times, to flush out flakes
#   make fuzz              run every fuzz target for FUZZTIME (30s) each, in turn
#   make clean

GO       ?= go
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man/man1
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMANDS := $(notdir $(patsubst %/main.go,%,$(wildcard cmd/g*/main.go)))
MANPAGES := $(wildcard docs/*.1)
FUZZTIME ?= 30s
FUZZFLAGS ?=
LDFLAGS  := -s -w -X github.com/gdetach/gdetach/cmd/internal/cli.version=$(VERSION)

# Static binaries: pflag imports net, whose cgo resolver would otherwise make
# every start of a command load libc through ld.so (docs/benchmarks.md).
export CGO_ENABLED ?= 0

.PHONY: all build test bench cross install docs-check stress fuzz clean

all: build

build:
	@mkdir -p bin
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ $(addprefix ./cmd/,$(COMMANDS))

# The race detector needs cgo, whatever the build above uses. The second run
# is without cgo, as the commands ship: a test that passes only because the
# race build links cgo (a helper parked in `select {}` survives only there)
# fails in it.
# -count=1: go test's cache cannot see that the end-to-end tests build the
# commands from cmd/ and the library in a subprocess, and would replay a
# stale pass after the library changed.
test:
	CGO_ENABLED=1 $(GO) test -count=1 -race ./...
	CGO_ENABLED=0 $(GO) test -count=1 ./...

bench: build
	$(GO) run ./tests/bench -runs 2000 -bin bin -o docs/benchmarks.md
	@cat docs/benchmarks.md

cross:
	GOOS=darwin $(GO) build ./...
	GOOS=freebsd $(GO) build ./...

install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)
	install -m 0755 $(addprefix bin/,$(COMMANDS)) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/

docs-check:
	@for page in $(MANPAGES); do \
		out=$$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l $$page 2>&1 >/dev/null); \
		if [ -n "$$out" ]; then echo "$$page:"; echo "$$out"; exit 1; fi; \
	done; echo "man pages render cleanly: $(MANPAGES)"

# First grespawn's long run at its full length (20,000 restarts with a
# rotated log and a watch under churn; 2,000 in make test, skipped by -short).
# Fifty runs take far longer than go test's default 10-minute limit for the
# binary; every wait inside still has its own deadline (testutil.Deadline).
stress:
	GDETACH_LONG=1 CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 1h -run LongRun -v ./respawn
	CGO_ENABLED=1 $(GO) test -race -count=50 -timeout 4h ./tests/...

# Every func FuzzX in a *_test.go file, found anew each time, runs alone (go
# test fuzzes one target at a time) for FUZZTIME; FUZZFLAGS is passed on, e.g.
# FUZZFLAGS=-parallel=1 to leave the other CPUs free. A failing input is kept
# under the package's testdata/fuzz/FuzzX/, where go test then replays it. A
# failure does not stop the others; the targets that failed are listed last.
fuzz:
	@failed=; for file in $$(grep -rl --include='*_test.go' --exclude-dir=testdata -E '^func Fuzz[A-Za-z0-9_]*\(' . | sort); do \
		for target in $$(sed -n -E 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/p' "$$file"); do \
			pkg=$$(dirname "$$file"); \
			echo "$(GO) test -run='^\$$' -fuzz='^$$target\$$' -fuzztime=$(FUZZTIME) $(FUZZFLAGS) $$pkg"; \
			$(GO) test -run='^$$' -fuzz="^$$target\$$" -fuzztime=$(FUZZTIME) $(FUZZFLAGS) "$$pkg" || failed="$$failed $$pkg:$$target"; \
		done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz targets that failed:$$failed"; exit 1; fi

clean:
	rm -rf bin

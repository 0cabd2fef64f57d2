# gdetach: build, test, benchmark and install the commands.
#
#   make                   build every command into bin/
#   make test              run every test, with the race detector, then again without cgo
#   make bench             measure against the classic tools; writes docs/benchmarks.md
#   make cross             build for darwin and freebsd too
#   make install           install commands, man pages and completions under PREFIX (/usr/local)
#   make uninstall         remove exactly what make install installs
#   make completions       regenerate docs/completions from the commands' options
#   make deb               build the Debian package into DEBDIR (dist/)
#   make dist              build the release tarballs and SHA256SUMS into DISTDIR (dist/)
#   make docs-check        render every man page with man -l, failing on warnings
#   make stress            run the end-to-end tests 50 times, to flush out flakes
#   make fuzz              run every fuzz target for FUZZTIME (30s) each, in turn
#   make clean

GO       ?= go
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man/man1
# Where bash-completion, zsh (site-functions; Debian's own packages use
# vendor-completions) and fish look for completions under PREFIX.
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
VERSION  ?= $(shell cat VERSION)
COMMANDS := $(notdir $(patsubst %/main.go,%,$(wildcard cmd/g*/main.go)))
MANPAGES := $(wildcard docs/*.1)
BUILDDIR ?= build
DISTDIR  ?= dist
DEBDIR   ?= $(DISTDIR)
# The release tarballs' platforms, as GOOS/GOARCH (arm is ARMv7, GOARM=7).
DIST_TARGETS ?= linux/amd64 linux/arm64 linux/arm linux/386 darwin/amd64 darwin/arm64 freebsd/amd64
# The time stamped on every file of the tarballs and the package: the last
# commit's, so that two builds of one commit are the same bytes.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
FUZZTIME ?= 30s
FUZZFLAGS ?=
LDFLAGS  := -s -w -X github.com/gdetach/gdetach/cmd/internal/cli.version=$(VERSION)

# Static binaries: pflag imports net, whose cgo resolver would otherwise make
# every start of a command load libc through ld.so (docs/benchmarks.md).
export CGO_ENABLED ?= 0

.PHONY: all build test bench cross check-install-paths install install-data uninstall completions deb dist docs-check stress fuzz clean

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

# make splits words at blanks: a PREFIX, DESTDIR or install directory with a
# blank would install into, or remove from, pieces of it. Refused first.
INSTALLPATHS = $(DESTDIR)$(BINDIR)$(DESTDIR)$(MANDIR)$(DESTDIR)$(BASHCOMPDIR)$(DESTDIR)$(ZSHCOMPDIR)$(DESTDIR)$(FISHCOMPDIR)
check-install-paths:
	@case '$(INSTALLPATHS)' in *[[:space:]]*) echo "make: PREFIX, DESTDIR and the install directories cannot contain blanks" >&2; exit 2;; esac

install: check-install-paths build install-data
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(addprefix bin/,$(COMMANDS)) $(DESTDIR)$(BINDIR)/

# Man pages and completions: what make install and make deb both install.
install-data: check-install-paths
	install -d $(DESTDIR)$(MANDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/
	install -m 0644 $(addprefix docs/completions/bash/,$(COMMANDS)) $(DESTDIR)$(BASHCOMPDIR)/
	install -m 0644 $(addprefix docs/completions/zsh/_,$(COMMANDS)) $(DESTDIR)$(ZSHCOMPDIR)/
	install -m 0644 $(addsuffix .fish,$(addprefix docs/completions/fish/,$(COMMANDS))) $(DESTDIR)$(FISHCOMPDIR)/

# The files make install installs, and not the directories, which other
# packages share.
uninstall: check-install-paths
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(COMMANDS))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/,$(notdir $(MANPAGES)))
	rm -f $(addprefix $(DESTDIR)$(BASHCOMPDIR)/,$(COMMANDS))
	rm -f $(addprefix $(DESTDIR)$(ZSHCOMPDIR)/_,$(COMMANDS))
	rm -f $(addsuffix .fish,$(addprefix $(DESTDIR)$(FISHCOMPDIR)/,$(COMMANDS)))

# The completion scripts are generated from each command's options; its
# TestCompletionsAreUpToDate fails when they are stale, and -update rewrites
# them.
completions:
	$(GO) test -count=1 -run '^TestCompletionsAreUpToDate$$' $(addprefix ./cmd/,$(COMMANDS)) -args -update

# make deb: a Debian package of the static commands for this machine's
# architecture (DEBARCH), built with dpkg-deb alone from a staging tree.
# Releases are static whatever CGO_ENABLED says (make test sets it to 1 for
# the race detector, and its tests run make deb and make dist).
DEBARCH ?= $(shell dpkg --print-architecture 2>/dev/null)
goarch.amd64   := amd64
goarch.arm64   := arm64
goarch.armhf   := arm
goarch.i386    := 386
goarch.ppc64el := ppc64le
goarch.riscv64 := riscv64
goarch.s390x   := s390x
DEBROOT := $(BUILDDIR)/deb/gdetach
DEBDOC  := $(DEBROOT)/usr/share/doc/gdetach
DEB      = $(DEBDIR)/gdetach_$(VERSION)_$(DEBARCH).deb

deb:
	@test -n "$(goarch.$(DEBARCH))" || { echo "make deb: no Go architecture for the Debian architecture '$(DEBARCH)'; set DEBARCH" >&2; exit 1; }
	@grep -q '^gdetach ($(VERSION))' docs/debian/changelog || { echo "make deb: docs/debian/changelog: the first entry is not version $(VERSION)" >&2; exit 1; }
	rm -rf $(DEBROOT)
	CGO_ENABLED=0 GOOS=linux GOARCH=$(goarch.$(DEBARCH)) GOARM=7 $(GO) build -buildvcs=false -trimpath -ldflags '$(LDFLAGS)' -o $(DEBROOT)/usr/bin/ $(addprefix ./cmd/,$(COMMANDS))
	$(MAKE) --no-print-directory install-data DESTDIR=$(DEBROOT) PREFIX=/usr ZSHCOMPDIR=/usr/share/zsh/vendor-completions
	gzip -9n $(DEBROOT)/usr/share/man/man1/*.1
	install -d $(DEBDOC)/examples
	install -m 0644 docs/debian/copyright README.md $(DEBDOC)/
	gzip -9n < docs/debian/changelog > $(DEBDOC)/changelog.gz
	gzip -9n < NEWS > $(DEBDOC)/NEWS.gz
	cp -R docs/examples/. $(DEBDOC)/examples/
	install -d $(DEBROOT)/usr/share/lintian/overrides
	install -m 0644 docs/debian/lintian-overrides $(DEBROOT)/usr/share/lintian/overrides/gdetach
	find $(DEBROOT) -type d -exec chmod 0755 {} +
	find $(DEBROOT) -type f -exec chmod 0644 {} +
	chmod 0755 $(DEBROOT)/usr/bin/*
	install -d $(DEBROOT)/DEBIAN
	cd $(DEBROOT) && find usr -type f | LC_ALL=C sort | xargs md5sum > DEBIAN/md5sums
	sed -e 's/@VERSION@/$(VERSION)/' -e 's/@ARCH@/$(DEBARCH)/' \
		-e "s/@SIZE@/$$(du -sk --apparent-size $(DEBROOT)/usr | cut -f1)/" \
		docs/debian/control.in > $(DEBROOT)/DEBIAN/control
	chmod 0644 $(DEBROOT)/DEBIAN/md5sums $(DEBROOT)/DEBIAN/control
	mkdir -p $(DEBDIR)
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) dpkg-deb --root-owner-group -Zxz --build $(DEBROOT) $(DEB)

# make dist: for each of DIST_TARGETS, DISTDIR/gdetach-VERSION-OS-ARCH.tar.gz
# holding gdetach-VERSION/ with bin/, man/man1/, completions/, LICENSE,
# README.md and NEWS, owned by root, stamped with SOURCE_DATE_EPOCH, in name
# order; then DISTDIR/SHA256SUMS, for sha256sum -c.
dist:
	rm -rf $(BUILDDIR)/dist $(DISTDIR)/gdetach-$(VERSION)-*.tar.gz $(DISTDIR)/SHA256SUMS
	mkdir -p $(DISTDIR)
	set -e; for target in $(DIST_TARGETS); do \
		os=$${target%/*}; arch=$${target#*/}; \
		stage=$(BUILDDIR)/dist/$$os-$$arch; top=$$stage/gdetach-$(VERSION); \
		echo "dist: $$os/$$arch"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch GOARM=7 $(GO) build -buildvcs=false -trimpath -ldflags '$(LDFLAGS)' -o $$top/bin/ $(addprefix ./cmd/,$(COMMANDS)); \
		install -d $$top/man/man1 $$top/completions; \
		install -m 0644 $(MANPAGES) $$top/man/man1/; \
		cp -R docs/completions/bash docs/completions/zsh docs/completions/fish $$top/completions/; \
		install -m 0644 LICENSE README.md NEWS $$top/; \
		tar -C $$stage --sort=name --owner=0 --group=0 --numeric-owner \
			--mtime=@$(SOURCE_DATE_EPOCH) --mode='u+rw,go+rX,go-w' \
			-cf - gdetach-$(VERSION) | gzip -9n > $(DISTDIR)/gdetach-$(VERSION)-$$os-$$arch.tar.gz; \
	done
	cd $(DISTDIR) && sha256sum gdetach-$(VERSION)-*.tar.gz > SHA256SUMS
	@cat $(DISTDIR)/SHA256SUMS

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
	rm -rf bin $(BUILDDIR) $(DISTDIR)

# storeedge build and test entry points. `make run` and `make test` are the
# quick start; both work on a fresh Debian machine with Go installed.

GO        ?= go
PKG       := storeedge
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE      ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS   := -s -w -X $(PKG)/version.Version=$(VERSION) -X $(PKG)/version.Commit=$(COMMIT) -X $(PKG)/version.Date=$(DATE)
DATA      ?= .storeedge-data
LISTEN    ?= 127.0.0.1:8723
RATE      ?= 6

# System packages the tests use: program-or-path:debian-package.
TEST_DEPS := gcc:gcc /usr/include/stdio.h:libc6-dev chromium:chromium node:nodejs pg_ctlcluster:postgresql \
	     systemd-analyze:systemd makensis:nsis 7z:p7zip-full dpkg-deb:dpkg /usr/sbin/useradd:passwd \
	     deb-systemd-helper:init-system-helpers \
	     pkg-config:pkg-config /usr/include/libusb-1.0/libusb.h:libusb-1.0-0-dev \
	     umockdev-wrapper:umockdev /usr/include/umockdev-1.0/umockdev.h:libumockdev-dev \
	     /usr/share/unifont/unifont.hex:unifont
# What `make package` needs.
PACKAGE_DEPS := dpkg-deb:dpkg dpkg-shlibdeps:dpkg-dev makensis:nsis readelf:binutils gcc:gcc pkg-config:pkg-config \
		/usr/include/libusb-1.0/libusb.h:libusb-1.0-0-dev

.PHONY: all build run test deps vet lint unit bench fuzz clean crash chaos package package-test

all: build

# usb:// printers need cgo and libusb's development files. Without them the
# binary is built without cgo: everything works but usb:// (make deps installs them).
BUILD_CGO ?= $(shell [ "$$($(GO) env CGO_ENABLED)" = 1 ] && pkg-config --exists libusb-1.0 2>/dev/null && echo 1 || echo 0)

build:
	@[ "$(BUILD_CGO)" = 1 ] || echo "note: building without usb:// printers (no cgo or no libusb-1.0-0-dev; 'make deps' installs it)"
	CGO_ENABLED=$(BUILD_CGO) $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/storeedge ./cmd/storeedge

## run: the demo (simulator upstream, virtual printers, status page)
run: build
	./bin/storeedge demo --data $(DATA) --listen $(LISTEN) --orders-per-minute $(RATE)

## test: what CI runs
test: deps lint unit

deps:
	@scripts/ensure-deps.sh $(TEST_DEPS)

lint:
	@fmt=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$fmt" ]; then echo "gofmt needed:"; echo "$$fmt"; exit 1; fi
	$(GO) vet ./...
	GOOS=windows $(GO) build ./...
	GOOS=windows $(GO) vet ./printer/... ./cmd/...
	CGO_ENABLED=0 $(GO) build ./...

unit:
	$(GO) test -race -count=1 ./...

## crash: kill the real agent with SIGKILL 50 times while orders arrive (make test does 5)
crash:
	$(GO) test -count=1 -v -run '^TestCrash$$' -timeout 20m ./internal/crashtest -kills $${KILLS:-50}

## chaos: run the agent through kills, upstream, network, printer and disk
## faults at once while orders and stock changes arrive (make test runs a
## short one); DURATION, KILLS and SEED choose the run, RECOVER how long the
## agent may take to catch up afterwards (stock retries back off up to 10m)
chaos:
	$(GO) test -count=1 -v -run '^TestChaos$$' -timeout 60m ./internal/chaos -duration $${DURATION:-5m} -kills $${KILLS:-40} -seed $${SEED:-0} -recover $${RECOVER:-11m}

## scale: a chain of STORES stores (default 200), one agent process each
## polling every POLL (default 30s) against one simulator while orders
## arrive for DURATION (default 4m): every order once on its own store's
## paper; requests per second, memory and start-up per agent, poll spread
.PHONY: scale
scale:
	$(GO) test -count=1 -v -run '^TestChain$$' -timeout 60m ./internal/scale -stores $${STORES:-200} -duration $${DURATION:-4m} -poll $${POLL:-30s}

## package: the release artefacts in dist/: .deb for amd64 and arm64, the
## Windows installer, a tar.gz per platform, SHA256SUMS
package:
	@scripts/ensure-deps.sh $(PACKAGE_DEPS)
	VERSION='$(VERSION)' COMMIT='$(COMMIT)' DATE='$(DATE)' GO='$(GO)' packaging/build.sh dist

## package-test: build the packages, then inspect them and install the .deb
## into a throwaway root
package-test: package
	@scripts/ensure-deps.sh $(TEST_DEPS)
	STOREEDGE_DIST=$(CURDIR)/dist $(GO) test -count=1 -run '^TestDist' ./packaging/

## bench: every benchmark, one package at a time (the process benchmarks
## of internal/perf run the binary `make build` made), then one table of the
## figures with their targets and the machine; bench-readme (or
## BENCH_README=1) also writes the table into README.md
BENCH_PKGS ?= ./...
BENCH_OUT  ?= bin/bench.txt
bench: build
	@{ STOREEDGE_BIN='$(CURDIR)/bin/storeedge' $(GO) test -p 1 -run '^$$' -bench . -benchmem -timeout 30m $(BENCH_PKGS); \
	  echo $$? > '$(BENCH_OUT).status'; } 2>&1 | tee '$(BENCH_OUT)'
	@echo
	@$(GO) run ./internal/benchtab $(if $(filter-out 0,$(BENCH_README)),-readme README.md) '$(BENCH_OUT)' && \
	  test "$$(cat '$(BENCH_OUT).status')" = 0

.PHONY: bench-readme
bench-readme:
	@$(MAKE) --no-print-directory bench BENCH_README=1

## fuzz: run every fuzz target for FUZZTIME (default 15s) with FUZZPAR
## workers (default: all cores), then keep the inputs each run found as
## seeds in the package's testdata/fuzz (scripts/fuzz-corpus.sh), so go
## test replays them; failing inputs stay there too, and make fails
fuzz:
	@fuzztime='$(or $(FUZZTIME),15s)'; par='$(or $(FUZZPAR),$(shell nproc 2>/dev/null || echo 1))'; \
	  start=$$(mktemp); failed=; began=$$(date +%s); \
	  for line in $$($(GO) list -f '{{.ImportPath}}={{.Dir}}' ./...); do \
	    pkg=$${line%%=*}; dir=$${line#*=}; \
	    for t in $$(cat $$dir/*_test.go 2>/dev/null | sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p'); do \
	      echo "fuzz $$pkg $$t ($$fuzztime, $$par workers)"; \
	      $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $$fuzztime -fuzzminimizetime 5s -parallel $$par -timeout 0 $$pkg \
	        || failed="$$failed $$pkg.$$t"; \
	      GO='$(GO)' scripts/fuzz-corpus.sh -since $$start $$pkg $$dir $$t || failed="$$failed corpus:$$pkg.$$t"; \
	    done; \
	  done; \
	  rm -f $$start; echo "fuzz: $$(( $$(date +%s) - began ))s"; \
	  if [ -n "$$failed" ]; then echo "fuzz failed:$$failed (failing inputs are kept in the package's testdata/fuzz)"; exit 1; fi

clean:
	rm -rf bin dist $(DATA)

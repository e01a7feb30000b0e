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

.PHONY: all build run test deps vet lint unit bench fuzz clean crash package package-test

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

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-20s} $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin dist $(DATA)

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
TEST_DEPS := gcc:gcc /usr/include/stdio.h:libc6-dev chromium:chromium node:nodejs

.PHONY: all build run test deps vet lint unit bench fuzz clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/storeedge ./cmd/storeedge

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

unit:
	$(GO) test -race -count=1 ./...

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

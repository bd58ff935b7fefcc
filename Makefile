# phonesim: build, test and tooling. `make help` lists the targets.
SHELL := /bin/bash
GO ?= go

BIN := bin/phonesim
# Fuzzing time per fuzz target (make fuzz FUZZTIME=1m).
FUZZTIME ?= 10s
# Packages whose benchmarks `make bench` runs.
BENCH_PKGS ?= ./...
TEST_TIMEOUT ?= 12m
COVER_PROFILE := bin/coverage.out

.PHONY: all help deps build run test fuzz bench lint cover clean

all: lint test

help:
	@echo "make deps    install sipp, kamailio, baresip (as root, Debian) and Go modules"
	@echo "make build   build $(BIN)"
	@echo "make run     build and run the demo ($(BIN) without arguments)"
	@echo "make test    go vet, then all tests with -race"
	@echo "make fuzz    run each fuzz target for FUZZTIME (default $(FUZZTIME))"
	@echo "make bench   run the benchmarks of BENCH_PKGS (default $(BENCH_PKGS))"
	@echo "make lint    gofmt must list nothing, go vet must pass"
	@echo "make cover   tests with a coverage profile in $(COVER_PROFILE)"
	@echo "make clean   remove bin/"

deps:
	@scripts/deps.sh

build:
	$(GO) build -o $(BIN) ./cmd/phonesim

run: build
	./$(BIN)

test: deps
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

# Go micro-benchmarks, then the figures of docs/benchmarks.md (a table,
# also written to bin/benchmarks.md).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 $(BENCH_PKGS)
	$(GO) run ./cmd/phonesim-bench -out bin/benchmarks.md
	$(GO) run ./cmd/phonesim-bench -fleet 10000 -out bin/fleet-bench.md
	$(GO) run ./cmd/phonesim-bench -callrate 200 -callsecs 60 -out bin/callrate-bench.md

# Every .go file outside testdata (including files behind build tags that
# `go list` would leave out).
GO_FILES = $(shell find . -name '*.go' -not -path './.git/*' -not -path '*/testdata/*')

lint:
	@unformatted=$$(gofmt -l $(GO_FILES)); \
	if [[ -n $$unformatted ]]; then echo "gofmt -w needed for:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

cover: deps
	@mkdir -p bin
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) -covermode=atomic -coverprofile=$(COVER_PROFILE) ./...
	$(GO) tool cover -func=$(COVER_PROFILE) | tail -n 1
	@echo "HTML report: $(GO) tool cover -html=$(COVER_PROFILE)"

clean:
	rm -rf bin

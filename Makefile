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

# The shipped scenarios `make scenarios` runs.
SCENARIOS ?= $(wildcard scenarios/*.yaml)

.PHONY: all help deps build run test scenarios fuzz bench lint cover clean gui screenshot gui-bench

all: lint test

help:
	@echo "make deps    install sipp, kamailio, baresip, linphone (as root, Debian) and Go modules"
	@echo "make build   build $(BIN)"
	@echo "make run     build and run the demo ($(BIN) without arguments)"
	@echo "make test    go vet, then all tests with -race, then make scenarios"
	@echo "make scenarios  run the shipped scenarios (JUnit XML in bin/scenarios.xml)"
	@echo "make fuzz    run each fuzz target for FUZZTIME (default $(FUZZTIME))"
	@echo "make bench   run the benchmarks of BENCH_PKGS (default $(BENCH_PKGS))"
	@echo "make lint    gofmt must list nothing, go vet must pass"
	@echo "make cover   tests with a coverage profile in $(COVER_PROFILE)"
	@echo "make clean   remove bin/"
	@echo "make gui     build $(GUI_BIN) (cgo, X11/GL headers: make deps) and show the demo phones"
	@echo "make screenshot  write docs/screenshot.png (the demo with a call up; Xvfb if no DISPLAY) and docs/actionurl.png (the Action URL page, chromium)"
	@echo "make gui-bench   idle CPU of the GUI, min-FPS and ebiten's default mode (docs/benchmarks.md)"

deps:
	@scripts/deps.sh

build:
	$(GO) build -o $(BIN) ./cmd/phonesim

run: build
	./$(BIN)

test: deps
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...
	$(GO) vet -tags gui ./gui/... ./cmd/phonesim-gui
	$(GO) test -tags gui -race -count=1 -timeout $(TEST_TIMEOUT) ./gui/...
	@$(MAKE) --no-print-directory scenarios

# The shipped call flows through the binary, as CI would run them.
scenarios: build
	./$(BIN) scenario --parallel 2 --junit bin/scenarios.xml $(SCENARIOS)

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

# The GUI (build tag gui): needs cgo, the X11/GL headers and a display.
GUI_BIN := bin/phonesim-gui
# A display for the GUI: the desktop's, or a virtual one.
XRUN = $(if $(DISPLAY),,xvfb-run -a -s "-screen 0 1920x1080x24")

$(GUI_BIN): FORCE
	$(GO) build -tags gui -o $(GUI_BIN) ./cmd/phonesim-gui

gui: $(GUI_BIN)
	@if [[ -z "$$DISPLAY" ]]; then echo "make gui: no DISPLAY (run it on a desktop; headless: make screenshot)"; exit 1; fi
	./$(GUI_BIN)

screenshot: $(GUI_BIN)
	$(XRUN) ./$(GUI_BIN) --scale 1 --no-sound --call --screenshot docs/screenshot.png
	PHONESIM_SCREENSHOT=$(CURDIR)/docs/actionurl.png $(GO) test -count=1 -run '^TestScreenshotActionURLPage$$' ./webui/

# CPU use of the GUI showing four phones (gui/testdata/four.yaml), in both
# redraw modes (and "present": the cost of presenting alone), idle and with a call up.
GUI_BENCH_SECONDS ?= 20s
gui-bench: $(GUI_BIN)
	@for mode in min present default; do for call in "" --call; do \
		$(XRUN) ./$(GUI_BIN) --config gui/testdata/four.yaml --no-sound --fps $$mode $$call --measure $(GUI_BENCH_SECONDS) 2>/dev/null | grep '^cpu'; \
	done; done

.PHONY: FORCE
FORCE:

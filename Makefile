# mamori — make help lists the targets.
GO        ?= go
BIN       ?= ./mamori
PKGS      ?= ./...
FUZZTIME  ?= 10s

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build the mamori binary into ./mamori
	$(GO) build -o $(BIN) ./cmd/mamori

.PHONY: demo
demo: build ## run the console on the built-in live demo (no config or data needed)
	$(BIN) demo

.PHONY: test
test: ## run the unit and integration tests with the race detector
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 $(PKGS)

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME each (default 10s)
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

.PHONY: fmt
fmt: ## format the code
	gofmt -w $$(git ls-files '*.go')

.PHONY: lint
lint: ## vet, gofmt check and golangci-lint (installed on first use)
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.6.2 run $(PKGS)

.PHONY: e2e
e2e: ## run the end-to-end tests: the real binary in tmux at 80x24 (needs tmux), scans of several demo offices
	$(GO) test -tags e2e -count=1 -v ./e2e/
	$(GO) test -tags e2e -count=1 -run 'TestScanFindsTheDemoAttack' ./cmd/mamori/

.PHONY: eval
eval: ## detection scorecard on the real data sets (see EVALUATION.md; EVALFLAGS=-v lists every alert)
	$(GO) run ./cmd/mamori-eval $(EVALFLAGS)

.PHONY: bench
bench: ## measure ingest, detection and console performance (see BENCHMARKS.md; takes several minutes)
	./bench/run.sh

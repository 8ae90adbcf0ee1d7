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

# make dist: static binaries for the platforms a rescue team's laptop or an
# office box may be, named as GoReleaser names them, with SHA256SUMS.
DIST      ?= dist
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
PLATFORMS ?= linux/amd64 linux/arm64 windows/amd64 darwin/arm64

.PHONY: dist
dist: ## static binaries for linux/amd64, linux/arm64, windows/amd64, darwin/arm64 and SHA256SUMS in dist/
	@rm -rf $(DIST) && mkdir -p $(DIST)
	@set -e; for p in $(PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; ext=; [ "$$os" = windows ] && ext=.exe; \
	  out=$(DIST)/mamori_$(VERSION)_$${os}_$${arch}$$ext; \
	  echo "  $$out"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o $$out ./cmd/mamori; \
	done
	@cd $(DIST) && sha256sum mamori_* > SHA256SUMS && cat SHA256SUMS

.PHONY: demo
demo: build ## run the console on the built-in live demo (no config or data needed)
	$(BIN) demo

.PHONY: test
test: ## run the unit and integration tests with the race detector (make lint vets)
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
e2e: ## run the end-to-end tests: the real binary in tmux at 80x24 (needs tmux), scans of several demo offices, kill -9 of a 100k-line ingest
	$(GO) test -tags e2e -count=1 -v ./e2e/
	$(GO) test -tags e2e -count=1 -run 'TestScanFindsTheDemoAttack' ./cmd/mamori/
	$(GO) test -tags e2e -race -count=1 -run 'TestKill9' ./ingest/

.PHONY: eval
eval: ## detection scorecard on the real data sets (see EVALUATION.md; EVALFLAGS=-v lists every alert)
	$(GO) run ./cmd/mamori-eval $(EVALFLAGS)

.PHONY: bench
bench: ## measure ingest, detection and console performance (see BENCHMARKS.md; takes several minutes)
	./bench/run.sh

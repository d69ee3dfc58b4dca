# Waymark: business-journey observability.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# go.mod names the patched toolchain (standard-library security fixes); let go
# fetch it through the module proxy even where the machine's go env says local.
export GOTOOLCHAIN ?= auto
# The Go vulnerability database (golang.org/x/vulndb) the scan uses; pinned so
# that CI is reproducible. `make vulndb-latest` shows the newest to move to.
VULNDB ?= v0.0.0-20261105234957-e22db6528018

.PHONY: help demo test build generate lint assets bench vulndb-latest

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

demo: build ## start Waymark with the embedded trace store and live demo shop traffic on http://127.0.0.1:8080
	@scripts/ensure-postgres.sh waymark
	bin/waymark demo

test: ## the whole suite: generated code, lint, vet, tests with the race detector, then every fuzz target briefly (FUZZTIME, default 3s each)
	@scripts/ensure-postgres.sh
	@scripts/ensure-chromium.sh
	scripts/check-generated.sh
	$(MAKE) lint
	GO=$(GO) WAYMARK_VULNDB_VERSION=$(VULNDB) scripts/vulncheck.sh
	$(GO) test -race -count=1 -timeout 12m ./...
	GO=$(GO) scripts/fuzz.sh

build: ## build bin/waymark
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/waymark ./cmd/waymark

generate: ## regenerate templ code
	$(GO) tool templ generate

lint: ## golangci-lint (.golangci.yml: errcheck, staticcheck, revive exported, unparam, gofmt, goimports) and vet; fails on any finding
	$(GO) tool golangci-lint run ./...
	$(GO) vet ./...

assets: ## re-vendor front-end libraries from npm into web/static
	scripts/vendor-assets.sh

vulndb-latest: ## print the newest vulnerability database version
	@cd /tmp && GOWORK=off $(GO) list -m -f '{{.Version}}' golang.org/x/vulndb@latest

bench: ## run the benchmarks
	@scripts/ensure-postgres.sh
	$(GO) test -run '^$$' -bench . -benchmem ./...

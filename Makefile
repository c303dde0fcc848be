# posterm — make help lists the targets.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
GO ?= go
BIN := bin/posterm
DEMO_DIR ?= posterm-demo

.PHONY: help run run-hub test-cluster test-browser test-postgres build test e2e bench bench-report soak fuzz vet clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: build ## start the register on the embedded sandbox gateway (demo merchant, demo cashiers)
	@mkdir -p $(DEMO_DIR)
	./$(BIN) register --demo --data-dir $(DEMO_DIR)

run-hub: build ## start a demo store hub (embedded NATS JetStream) with two demo tills selling on the sandbox
	@mkdir -p $(DEMO_DIR)/hub
	./$(BIN) hub --demo --data-dir $(DEMO_DIR)/hub --demo-tills 2

test-cluster: ## the store hub on a 3-node in-process NATS cluster losing a node (build tag cluster)
	$(GO) test -race -tags cluster -run Cluster ./hub/

test-browser: ## the manager's page in headless Chromium (build tag browser; needs Debian's chromium)
	$(GO) test -tags browser -run Browser ./hub/

test-postgres: ## the hub's store on PostgreSQL (build tag postgres; POSTERM_TEST_DATABASE_URL=postgres://…)
	$(GO) test -tags postgres -run Postgres ./hub/

build: ## build bin/posterm
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

vet: ## go vet every package
	$(GO) vet ./...

test: vet ## vet, then every test with the race detector
	$(GO) test -race -count=1 -timeout 15m ./...

e2e: ## only the end-to-end tests: the real register in tmux (needs tmux; make test runs them too)
	$(GO) test -race -count=1 -run 'E2E|QRScreen' .

bench: ## run the benchmarks (ratios against baselines measured in the same run)
	$(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 30m ./...

bench-report: ## run the money core's benchmarks once and write BENCHMARKS.md (path, now, baseline, ratio)
	GO=$(GO) ./scripts/bench-report.sh BENCHMARKS.md

soak: ## long runs: crash test with many more kills, fuzzers for a while
	POSTERM_SOAK=1 $(GO) test -race -count=1 -timeout 60m -run 'Crash|Soak' ./...

fuzz: ## run each fuzz target for FUZZTIME (default 20s)
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-20s} $$pkg || exit 1; \
	  done; \
	done

clean: ## remove build output and demo data
	rm -rf bin $(DEMO_DIR)

# posterm — make help lists the targets.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
GO ?= go
BIN := bin/posterm
DEMO_DIR ?= posterm-demo

.PHONY: help run build test e2e bench soak fuzz vet clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: build ## start the register on the embedded sandbox gateway (demo merchant, demo cashiers)
	@mkdir -p $(DEMO_DIR)
	./$(BIN) register --demo --data-dir $(DEMO_DIR)

build: ## build bin/posterm
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

vet: ## go vet every package
	$(GO) vet ./...

test: vet ## vet, then every test with the race detector (the UI's once more in the shops' zone)
	$(GO) test -race -count=1 -timeout 15m ./...
	TZ=Asia/Shanghai $(GO) test -count=1 ./ui/...

e2e: ## only the end-to-end tests: the real register in tmux (needs tmux; make test runs them too)
	$(GO) test -race -count=1 -run 'E2E|QRScreen' .

bench: ## run the benchmarks (ratios against baselines measured in the same run)
	$(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 30m ./...

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

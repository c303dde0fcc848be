# posterm — make help lists the targets.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
GO ?= go
BIN := bin/posterm
DEMO_DIR ?= posterm-demo

.PHONY: help run run-hub build test e2e bench bench-report soak fuzz vet clean cross-tools release release-test test-cluster test-browser test-postgres test-postgres-local

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

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

test-postgres-local: ## make test-postgres on a private throw-away PostgreSQL cluster (installs Debian's postgresql when missing)
	GO=$(GO) ./scripts/ci-postgres.sh $(MAKE) test-postgres

build: ## build bin/posterm
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

vet: ## go vet every package
	$(GO) vet ./...

test: vet ## vet, then every test with the race detector (the UI's once more in the shops' zone)
	$(GO) test -race -count=1 -timeout 15m ./...
	TZ=Asia/Shanghai $(GO) test -count=1 ./ui/...

e2e: ## only the end-to-end tests: the real register in tmux (needs tmux; make test runs them too)
	$(GO) test -race -count=1 -run 'E2E|QRScreen' ./cli

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

# Debian's cross compilers (and the target's libc) for cgo, qemu-user-static
# to run the arm binaries in release-test, dpkg-deb and systemd-analyze.
CROSS_PKGS := aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu aarch64-linux-gnu-gcc:libc6-dev-arm64-cross \
	arm-linux-gnueabihf-gcc:gcc-arm-linux-gnueabihf arm-linux-gnueabihf-gcc:libc6-dev-armhf-cross \
	qemu-aarch64-static:qemu-user-static dpkg-deb:dpkg systemd-analyze:systemd

cross-tools: ## install the Debian cross compilers, qemu-user-static, dpkg and systemd-analyze when missing (apt, root)
	@need=""; for p in $(CROSS_PKGS); do cmd=$${p%%:*}; pkg=$${p#*:}; \
	  command -v $$cmd >/dev/null || need="$$need $$pkg"; done; \
	if [ -n "$$need" ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "installing:$$need"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$need; \
	fi

release: cross-tools ## dist/posterm_VERSION_ARCH.deb for amd64, arm64, armhf (cgo, -trimpath, stripped; nfpm)
	rm -rf dist
	GO=$(GO) ./packaging/release.sh $(VERSION)

release-test: ## check dist/*.deb: contents, modes, scripts, systemd-analyze verify, arm binaries under qemu
	cd packaging && RELEASE_DIST=$(CURDIR)/dist $(GO) test -count=1 -v -timeout 20m ./...

clean: ## remove build output and demo data
	rm -rf bin dist $(DEMO_DIR)

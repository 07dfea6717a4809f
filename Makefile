# `make` builds the three policies (policy.wasm, annotated-policy.wasm) and the runner;
# `make check` is the quick edit-test loop; `make test` runs every check CI runs.

POLICIES := antrea-agent-status-updates antrea-hostpath-guard antrea-controller-placement
RUNNER := $(CURDIR)/target/release/policy-runner
# The project's maintenance tasks (bench, soak, artifacthub): xtask/, alias in .cargo/config.toml
XTASK := cargo xtask
# kwctl when installed, else the project's kwctl-compatible runner
KWCTL ?= $(shell command -v kwctl 2>/dev/null || echo $(RUNNER))
export KWCTL
# Largest annotated module we ship: policy-server compiles every module at start-up.
MAX_MODULE_BYTES := 307200

.DEFAULT_GOAL := all
# Seconds each fuzz target runs in `make test`; `make fuzz` runs them longer.
FUZZ_SECONDS ?= 5

.PHONY: all check toolchain runner gator gatekeeper-verify gatekeeper-parity policies floor fuzz-tools fuzz-smoke fuzz soak artifacthub push gatekeeper-suites test fmt-check clippy unit unit-wasm e2e-tests bats size-check test-data bench bench-data clean kube-apiserver native-e2e bench-native

# rust-toolchain.toml names the toolchain, the wasm32-wasip1 target and the components: rustup
# installs them on first use. Every build is --locked to the committed Cargo.lock.
all: runner policies

# rustup installs a missing toolchain on first use, but not the targets and components a
# toolchain file names for a toolchain that is already there (the machine's 1.95.0 without
# wasm32-wasip1): install them explicitly; a second run changes nothing.
toolchain:
	@rustup toolchain install 2>/dev/null || { rustup target add wasm32-wasip1 && rustup component add clippy rustfmt; }
	@rustup target list --installed | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1

runner: toolchain
	cargo build --locked --release -p policy-runner

policies: runner
	@for policy in $(POLICIES); do $(MAKE) -C policies/$$policy annotated-policy.wasm || exit 1; done

# The edit-test loop, under 3 minutes when warm: formatting, clippy on the native build and
# every crate's native unit tests (their src/: the policies' unit, property and differential
# tests). Nothing is built for wasm32, and the slower integration suites (the runner's, which
# need the built modules; gatekeeper-parity's Rego property tests) and the end-to-end ones are
# left to `make test`.
check: fmt-check
	cargo clippy --locked --workspace --all-targets -- -D warnings
	cargo test --locked --workspace --lib --bins

test: fmt-check clippy unit unit-wasm gatekeeper-verify gatekeeper-parity native-e2e e2e-tests size-check soak fuzz-smoke

fmt-check: toolchain
	cargo fmt --all -- --check

clippy: toolchain
	cargo clippy --locked --workspace --all-targets -- -D warnings
	cargo clippy --locked --release --target wasm32-wasip1 $(addprefix -p ,$(POLICIES)) -p test-guest -p floor-guest -p json-scan -p policy-glue -- -D warnings

unit: all
	cargo test --locked --workspace

# The unit tests of the code the modules ship, compiled to wasm32-wasip1 (WebAssembly SIMD
# included) and run under wasmtime, as policy-server runs the policies.
unit-wasm:
	cargo build --locked --release -p wasi-test-runner
	CARGO_TARGET_WASM32_WASIP1_RUNNER=$(CURDIR)/target/release/wasi-test-runner \
	  cargo test --locked --target wasm32-wasip1 -p json-scan -p policy-glue $(addprefix -p ,$(POLICIES))

# bats, jq, and Python's jsonpatch (the placement suite applies the returned JSONPatch with it).
bats:
	@command -v bats >/dev/null && command -v jq >/dev/null && python3 -c 'import jsonpatch' 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing bats, jq and python3-jsonpatch with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bats jq python3-jsonpatch >/dev/null; \
	  else \
	    echo "bats, jq and Python's jsonpatch are needed: install them (apt-get install bats jq python3-jsonpatch, brew install bats-core jq and pip install jsonpatch)"; exit 1; \
	  fi; }

e2e-tests: all bats
	bats e2e-tests/

size-check: policies
	@for policy in $(POLICIES); do \
	  size=$$(stat -c %s policies/$$policy/annotated-policy.wasm); \
	  echo "policies/$$policy/annotated-policy.wasm: $$size bytes (budget $(MAX_MODULE_BYTES))"; \
	  [ $$size -le $(MAX_MODULE_BYTES) ] || { echo "module over budget"; exit 1; }; \
	done

# The no-op floors: floor_guest.wasm accepts; the `reject` build (its own target folder, so
# the two builds do not undo each other) rejects.
floor:
	cargo build --locked --release --target wasm32-wasip1 -p floor-guest
	cargo build --locked --release --target wasm32-wasip1 -p floor-guest --features reject --target-dir target/floor-reject

# Every policy against the no-op floor modules, same run: cold (a new instance per request, as
# policy-server) and warm time, and cold instructions counted by callgrind, which must stay
# within each payload's budget; a table on stdout, JSON in target/bench.
bench: all floor
	$(XTASK) bench benches/suite.json --json-output target/bench/report.json

# 100 000 mixed requests per policy in one process; fails if resident memory grows.
soak: all
	$(XTASK) soak benches/suite.json --iterations 100000

# artifacthub-pkg.yml of each policy, as `kwctl scaffold artifacthub` writes it; createdAt only
# changes with the version.
artifacthub: toolchain
	$(XTASK) artifacthub $(addprefix policies/,$(POLICIES))

# Pushes the three annotated policies: make push REGISTRY=registry://ghcr.io/you/policies TAG=v0.1.0
TAG ?= v0.1.0
push: policies
	@[ -n "$(REGISTRY)" ] || { echo "usage: make push REGISTRY=registry://HOST[:PORT]/PATH [TAG=v0.1.0]"; exit 1; }
	@for policy in $(POLICIES); do $(KWCTL) push policies/$$policy/annotated-policy.wasm $(REGISTRY)/$$policy:$(TAG) || exit 1; done

bench-data:
	python3 benches/generate.py

# Go tools, built from the Go module proxy into target/tools/bin, pinned; a stamp per version
# so a second run rebuilds nothing.
TOOLS := $(CURDIR)/target/tools
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
GOFMT ?= $(dir $(GO))gofmt
GATOR_VERSION := v3.23.1
GATOR := $(TOOLS)/bin/gator
GATOR_STAMP := $(TOOLS)/gator-$(GATOR_VERSION).stamp

$(GATOR_STAMP):
	@command -v $(GO) >/dev/null || { echo "gator is built with Go (>= 1.25): install Go"; exit 1; }
	mkdir -p $(TOOLS)/bin
	GOBIN=$(TOOLS)/bin GOFLAGS=-mod=mod $(GO) install github.com/open-policy-agent/gatekeeper/v3/cmd/gator@$(GATOR_VERSION)
	touch $@

gator: $(GATOR_STAMP)

# The Kubernetes-native edition's API server: kube-apiserver and etcd, built from the Go module
# proxy at the versions native/e2e/go.mod pins (k8s.io/kubernetes with every staging module
# replaced by its release); a stamp per version, so a second run builds nothing.
KUBE_VERSION := v1.37.2
KUBE_STAMP := $(TOOLS)/kube-apiserver-$(KUBE_VERSION).stamp
KUBE_LDFLAGS := -s -w -X k8s.io/component-base/version.gitVersion=$(KUBE_VERSION) \
  -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37

$(KUBE_STAMP):
	@command -v $(GO) >/dev/null || { echo "kube-apiserver is built with Go (>= 1.26): install Go"; exit 1; }
	mkdir -p $(TOOLS)/bin
	cd native/e2e && $(GO) build -trimpath -ldflags "$(KUBE_LDFLAGS)" -o $(TOOLS)/bin/kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
	cd native/e2e && $(GO) build -trimpath -ldflags "-s -w" -o $(TOOLS)/bin/etcd go.etcd.io/etcd/server/v3
	touch $@

kube-apiserver: $(KUBE_STAMP)

# The native edition in a real API server: the policies carry the CEL of cel/, then the Go
# end-to-end tests (Antrea's release, every Kubewarden fixture, routing, cost) against the
# Kubewarden policies' own verdicts (crates/kubewarden-oracle).
native-e2e: kube-apiserver
	python3 native/generate.py --check
	cargo build --locked --release -p kubewarden-oracle
	@test -z "$$(cd native/e2e && $(GOFMT) -l .)" || { echo "gofmt: native/e2e is not formatted"; exit 1; }
	cd native/e2e && $(GO) vet ./... && $(GO) test -count=1 ./...

# The API server's latency for each payload without and with the native edition, one run.
bench-native: kube-apiserver
	cd native/e2e && $(GO) test -count=1 -run '^$$' -bench NativeEdition -benchtime 1x ./...

# Every gator suite on each engine: with native validation on (gator's default) a template
# that has both is judged by its K8sNativeValidation (CEL) block alone; off, by its Rego.
gatekeeper-verify: gator
	$(GATOR) verify gatekeeper/... --enable-k8s-native-validation=true
	$(GATOR) verify gatekeeper/... --enable-k8s-native-validation=false

# Parity at scale on Gatekeeper's engines: per rule, every fixture under 16 settings, 10 000
# generated requests (one in four given a wrong-typed value) and the regressions, each with
# the Kubewarden policy's verdict, written as gator verify suites under target/ by
# crates/gatekeeper-parity's bulk-suites; then judged with each engine by gator's own packages
# (crates/gatekeeper-parity/judge: one compile per suite, where gator verify compiles the
# template again for every case) and the regressions by gator verify itself.
PARITY := $(CURDIR)/target/gatekeeper-parity
JUDGE := $(TOOLS)/bin/gatekeeper-judge

gatekeeper-parity: gator
	@grep -q "gatekeeper/v3 $(GATOR_VERSION)$$" crates/gatekeeper-parity/judge/go.mod || { \
	  echo "crates/gatekeeper-parity/judge/go.mod must require gatekeeper $(GATOR_VERSION), as gator"; exit 1; }
	@test -z "$$($(GOFMT) -l crates/gatekeeper-parity/judge)" || { echo "gofmt: crates/gatekeeper-parity/judge is not formatted"; exit 1; }
	cd crates/gatekeeper-parity/judge && $(GO) vet . && $(GO) build -o $(JUDGE) .
	cargo run --locked -q -p gatekeeper-parity --example bulk-suites -- $(PARITY)
	$(JUDGE) -engine cel $(PARITY)
	$(JUDGE) -engine rego $(PARITY)
	$(GATOR) verify $(PARITY)/regressions/... --enable-k8s-native-validation=true
	$(GATOR) verify $(PARITY)/regressions/... --enable-k8s-native-validation=false

# The gator suites of the Gatekeeper edition, from the Kubewarden fixtures and verdicts.
gatekeeper-suites: policies
	python3 gatekeeper/generate.py

# Fuzzing needs nightly (sanitizers) and cargo-fuzz: installed here when missing.
fuzz-tools:
	@cargo +nightly --version >/dev/null 2>&1 || { \
	  echo "installing the nightly toolchain (minimal profile) for cargo-fuzz"; \
	  rustup toolchain install nightly --profile minimal || { \
	    echo "fuzzing needs the nightly toolchain: run 'rustup toolchain install nightly --profile minimal'"; exit 1; }; }
	@cargo fuzz --version >/dev/null 2>&1 || cargo install --locked cargo-fuzz

# Every fuzz target for FUZZ_SECONDS seconds, seeded with the policies' fixtures.
fuzz-smoke: fuzz-tools
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh

fuzz: fuzz-tools
	FUZZ_SECONDS=300 fuzz/run.sh

test-data:
	python3 policies/antrea-hostpath-guard/test_data/generate.py
	python3 policies/antrea-agent-status-updates/test_data/generate.py
	python3 policies/antrea-controller-placement/test_data/generate.py

clean:
	cargo clean
	@for policy in $(POLICIES); do $(MAKE) -C policies/$$policy clean; done

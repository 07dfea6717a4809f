# Targets shared by every policy folder, like the Kubewarden policy template's Makefile.
# A policy's Makefile sets POLICY and includes this file; `make` there builds policy.wasm
# and annotated-policy.wasm, `make e2e-tests` runs its bats suite.

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
CRATE := $(subst -,_,$(POLICY))
RUNNER := $(ROOT)/target/release/policy-runner
# kwctl when installed, else the project's kwctl-compatible runner
KWCTL ?= $(shell command -v kwctl 2>/dev/null || echo $(RUNNER))
export KWCTL
SOURCES := $(shell find src $(ROOT)/crates/json-scan/src $(ROOT)/crates/policy-glue/src -name "*.rs") Cargo.toml $(ROOT)/Cargo.toml $(ROOT)/Cargo.lock

.DEFAULT_GOAL := annotated-policy.wasm

policy.wasm: $(SOURCES)
	cargo build --locked --release --target wasm32-wasip1 -p $(POLICY)
	cp $(ROOT)/target/wasm32-wasip1/release/$(CRATE).wasm policy.wasm

annotated-policy.wasm: policy.wasm metadata.yml README.md $(if $(filter $(RUNNER),$(KWCTL)),$(RUNNER))
	$(KWCTL) annotate -m metadata.yml -u README.md -o annotated-policy.wasm policy.wasm

$(RUNNER):
	@$(MAKE) -s -C $(ROOT) runner

.PHONY: e2e-tests test clean
e2e-tests: annotated-policy.wasm
	@$(MAKE) -s -C $(ROOT) bats
	bats $(ROOT)/e2e-tests/$(POLICY).bats

test:
	cargo test -p $(POLICY)

clean:
	rm -f policy.wasm annotated-policy.wasm

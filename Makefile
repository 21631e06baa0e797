# Two commands: `make test` and `make demo` set up everything they need (Node ≥ 22, npm packages,
# Kafka and the schema registry from Maven Central) and stop what they start.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# A project-local Node 24 when the machine's Node is older than 22 (scripts/node-env.sh).
NODE_HOME := $(shell scripts/node-env.sh)
ifneq ($(NODE_HOME),)
export PATH := $(NODE_HOME)/bin:$(PATH)
export npm_config_nodedir := $(NODE_HOME)
endif
# In this checkout `weir-streams` (the topologies' and tests' imports) resolves to src/, not to the build in dist/
# (package.json `exports`, condition "weir-source"; see "Packaging" in the README).
export NODE_OPTIONS := --conditions=weir-source $(NODE_OPTIONS)
export npm_config_update_notifier := false
export npm_config_fund := false
export npm_config_audit := false

EXAMPLE ?= fraud
UNIT_TEST_FILES := "src/**/*.test.ts" "topologies/**/*.test.ts" "packages/*/src/**/*.test.ts"
# The broker suite (scripts/integration-tests.sh: two lanes side by side, the broker-restart test alone):
# `make test` runs it only once the unit tests (a first, fast stage) have passed.
EXAMPLES := $(filter-out lib,$(sort $(patsubst topologies/%/demo.ts,%,$(wildcard topologies/*/demo.ts))))

# `make demo EXAMPLE=nope` stops here, before installing or starting anything.
ifneq ($(filter demo,$(MAKECMDGOALS)),)
ifeq ($(filter $(EXAMPLE),$(EXAMPLES)),)
$(error no example named '$(EXAMPLE)'; pick one of: $(EXAMPLES))
endif
endif

.PHONY: help deps build services browser typecheck lint unit docker-check k8s-check containers test compat demo broker broker-stop bench bench-peers bench-profile clean

help:
	@echo "make test   - install everything, start Kafka + registry, typecheck, lint, run unit and integration tests,"
	@echo "            then the container stage (make containers; SKIPPED where no Docker engine can be started)"
	@echo "make demo   - install everything, start Kafka + registry, run the $(EXAMPLE) example live (Ctrl-C stops it)"
	@echo "            EXAMPLE=<name>, one of: $(EXAMPLES)"
	@echo "make unit   - unit tests only (no broker)"
	@echo "make broker - start (or reuse) the local Kafka broker and print its export line: eval \"\$$(make -s broker)\""
	@echo "make broker-stop - stop it"
	@echo "make build  - compile the npm packages weir-streams (dist/) and create-weir (packages/create-weir/dist/)"
	@echo "make docker-check - validate docker/ (compose file, Dockerfiles lint, dashboard and Prometheus config); runs no container"
	@echo "make containers - Docker engine + local images, core tests on testcontainers, the compose stack for real (SKIPPED without an engine)"
	@echo "make k8s-check - validate deploy/kubernetes/ offline (schemas of kubernetes-models, agreement with Weir's config)"
	@echo "make compat - the core integration tests and the chaos test on Kafka 3.9.2, 4.1.2, 4.4.0 x Node 22, 24 (long; not in make test)"
	@echo "make bench  - install everything, start Kafka, run the benchmarks (Weir on both clients) and their baselines, W7 failover and W8 scale-out included (QUICK=1: under 6 minutes, without W7 and W8)"
	@echo "make bench-profile - the CPU split (client / Weir / SQLite / other) of W1 and W2 on both clients"

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --loglevel=error
	@touch $@

deps: node_modules/.package-lock.json

# The npm packages as published (scripts/build.ts; a dist/ newer than its sources is kept).
build: deps
	node scripts/build.ts

services:
	scripts/kafka.sh install
	scripts/registry.sh install

browser:
	scripts/chromium.sh

typecheck: deps
	npx tsc --noEmit

lint: deps
	npx eslint .

unit: deps
	node --test $(UNIT_TEST_FILES)

# Static checks of docker/, no engine needed: the compose file validated (docker-compose config), the
# Dockerfiles linted, the dashboard and Prometheus config checked. `make containers` runs them for real.
docker-check: deps
	scripts/docker-tools.sh >/dev/null
	docker-compose -f docker/compose.yaml config -q
	"$$(scripts/docker-tools.sh | tail -n 1)" docker/Dockerfile docker/images/*/Dockerfile packages/create-weir/template/Dockerfile
	node --test docker/config.test.ts

# The Kubernetes manifests, validated offline: no cluster, no schema download (deploy/kubernetes/manifests.test.ts).
k8s-check: deps
	node --test deploy/kubernetes/*.test.ts

# The container stage (scripts/container-tests.sh), the last stage of `make test`: a Docker engine (a private
# dockerd, host network only, when none answers and we are root; Debian's docker.io installed with apt-get when
# missing), the images built locally and cached by content hash in .cache/docker (scripts/images.sh; the Debian
# base root filesystem, debootstrapped once, in .cache/images), a core subset of the integration tests (the
# exactly-once chaos test included) with Kafka and the registry started by testcontainers, and docker/compose.yaml
# brought up by docker/compose-stack.test.ts. It removes the containers it started and stops a dockerd it started
# (by PID), on success, failure or Ctrl-C. Where no engine can be started it prints SKIPPED (not "passed") and
# goes on; WEIR_CONTAINER_TESTS=required makes that a failure, WEIR_CONTAINER_TESTS=skip skips it on purpose.
containers: deps services docker-check
	scripts/container-tests.sh

# Fails early: type check, lint and the unit tests run before any broker, registry or browser is installed or started.
# build: integration-tests/scaffold.test.ts packs both packages (its npm pack finds dist/ up to date).
# The broker suite runs on Maven-jar processes (WEIR_TEST_CONTAINERS=0): its SASL_SSL test needs their listener.
# Then the container stage (above), once the broker suite has passed and its broker has stopped. From a clean
# clone on 2 shared cores: about 13 minutes to the end of the broker suite, plus the container stage (README,
# "make test").
test: deps typecheck lint unit k8s-check build services browser docker-check
	WEIR_TEST_CONTAINERS=0 scripts/with-services.sh scripts/integration-tests.sh
	scripts/container-tests.sh

# Ctrl-C stops the demo and its services; with-services.sh then exits 130, which is how a demo ends, not an error.
demo: deps services
	scripts/with-services.sh scripts/demo.sh $(EXAMPLE) || [ $$? -eq 130 ]

# The local broker for trying an app by hand (the same one `weir dev` starts); stdout is only the export line.
broker:
	@echo "export KAFKA_BOOTSTRAP_SERVERS=$$(env -u KAFKA_BOOTSTRAP_SERVERS scripts/kafka.sh start)"

broker-stop:
	@env -u KAFKA_BOOTSTRAP_SERVERS scripts/kafka.sh stop

# Every supported Kafka release x Node line (scripts/compat.sh); writes docs/compatibility.md.
compat: deps
	scripts/compat.sh

# The Kafka Streams peer of the benchmarks, built from Maven Central into the cache.
CACHE_DIR := $(or $(WEIR_CACHE_DIR),$(CURDIR)/.cache)
KSTREAMS_BUILD := $(CACHE_DIR)/bench-kafka-streams
$(KSTREAMS_BUILD)/bench-kafka-streams.jar: bench/peers/kafka-streams/pom.xml $(wildcard bench/peers/kafka-streams/src/main/java/dev/weir/bench/*.java)
	mvn -q -B -Dstyle.color=never -f bench/peers/kafka-streams/pom.xml -Dbench.build.dir=$(KSTREAMS_BUILD) package
	@touch $@

bench-peers: $(KSTREAMS_BUILD)/bench-kafka-streams.jar

# Only Kafka: the benchmarks need no schema registry.
bench: deps bench-peers
	scripts/kafka.sh install
	BENCH_KAFKA_STREAMS_DIR=$(KSTREAMS_BUILD) WEIR_NO_REGISTRY=1 scripts/with-services.sh node bench/run.ts $(if $(filter 1,$(QUICK)),--quick)

# CPU profile split of W1 exactly-once and W2 on both clients: bench/results/profile-split.md.
bench-profile: deps
	scripts/kafka.sh install
	WEIR_NO_REGISTRY=1 scripts/with-services.sh node bench/profile.ts --split

clean:
	rm -rf node_modules .tools .cache dist packages/create-weir/dist

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
export npm_config_update_notifier := false
export npm_config_fund := false
export npm_config_audit := false

EXAMPLE ?= fraud
UNIT_TEST_FILES := "src/**/*.test.ts" "topologies/**/*.test.ts"
# The broker suite: `make test` runs it only once the unit tests (a first, fast stage) have passed.
TEST_FILES := "integration-tests/**/*.test.ts"

.PHONY: help deps services browser typecheck lint unit docker-check test demo bench bench-peers clean

help:
	@echo "make test   - install everything, start Kafka + registry, typecheck, lint, run unit and integration tests"
	@echo "make demo   - install everything, start Kafka + registry, run the $(EXAMPLE) example live (Ctrl-C stops it)"
	@echo "make unit   - unit tests only (no broker)"
	@echo "make docker-check - validate docker/ (compose file, Dockerfile lint, dashboard and Prometheus config); runs no container"
	@echo "make bench  - install everything, start Kafka, run the benchmarks and their baselines (QUICK=1: under 5 minutes)"

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --loglevel=error
	@touch $@

deps: node_modules/.package-lock.json

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

# No Docker engine here: the compose file is validated (docker-compose config) and the Dockerfile linted, not run.
docker-check: deps
	scripts/docker-tools.sh >/dev/null
	docker-compose -f docker/compose.yaml config -q
	"$$(scripts/docker-tools.sh | tail -n 1)" docker/Dockerfile
	node --test docker/*.test.ts

# Fails early: type check, lint and the unit tests run before any broker, registry or browser is installed or started.
test: deps typecheck lint unit services browser docker-check
	scripts/with-services.sh node --test --test-timeout=600000 $(TEST_FILES)

demo: deps services
	scripts/with-services.sh scripts/demo.sh $(EXAMPLE)

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

clean:
	rm -rf node_modules .tools .cache

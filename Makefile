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

EXAMPLE ?= pageviews
TEST_FILES := "src/**/*.test.ts" "topologies/**/*.test.ts" "integration-tests/**/*.test.ts"

.PHONY: help deps services browser typecheck lint unit docker-check test demo clean

help:
	@echo "make test   - install everything, start Kafka + registry, typecheck, lint, run unit and integration tests"
	@echo "make demo   - install everything, start Kafka + registry, run the $(EXAMPLE) example live (Ctrl-C stops it)"
	@echo "make unit   - unit tests only (no broker)"
	@echo "make docker-check - validate docker/ (compose file, Dockerfile lint, dashboard and Prometheus config); runs no container"

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
	node --test "src/**/*.test.ts" "topologies/**/*.test.ts"

# No Docker engine here: the compose file is validated (docker-compose config) and the Dockerfile linted, not run.
docker-check: deps
	scripts/docker-tools.sh >/dev/null
	docker-compose -f docker/compose.yaml config -q
	"$$(scripts/docker-tools.sh | tail -n 1)" docker/Dockerfile
	node --test docker/*.test.ts

test: deps services browser typecheck lint docker-check
	scripts/with-services.sh node --test --test-timeout=600000 $(TEST_FILES)

demo: deps services
	scripts/with-services.sh scripts/demo.sh $(EXAMPLE)

clean:
	rm -rf node_modules .tools .cache

# roma-swift: two commands for a newcomer on a fresh Debian 12 machine with Swift 6:
#   make demo    installs what is missing, builds, runs the pipeline end to end
#   make test    installs what is missing, builds, runs the test suite
# Everything else here is for day-to-day work; `make help` lists it.

SWIFT      ?= swift
CONFIG     ?= release
# Tests run on the optimised build: the numeric tests would take far longer in debug.
SWIFTFLAGS ?= -c $(CONFIG) -Xswiftc -enable-testing
BIN        := .build/$(CONFIG)
ROMA       := $(BIN)/roma
ROMA_BENCH := $(BIN)/roma-bench
APT_PACKAGES := libopenblas-dev liblapacke-dev libopencv-dev pkg-config
SHARED     ?= ../shared
DEMO_DIR   ?= runs/demo

.PHONY: help deps build test test-slurm demo clean bench-geometry bench-sample bench-ops bench-match bench-eval weights

help:
	@echo "make demo            build and run the pipeline end to end on bundled/synthetic data"
	@echo "make test            build and run the whole test suite"
	@echo "make build           build the roma and roma-bench executables"
	@echo "make test-slurm      eval/slurm on a local single-node Slurm (make test runs it)"
	@echo "make bench-geometry  RANSAC ours vs OpenCV on synthetic problems"
	@echo "make bench-sample    balanced sampling speed"
	@echo "make bench-ops       tensor operator throughput vs cblas_sgemm peak"
	@echo "make bench-match     roma match vs the Python reference, time and memory"
	@echo "make bench-eval      benchmark matching: one process a pair vs roma match --batch"
	@echo "make eval            BENCH=synthetic|megadepth1500|scannet1500|pairs:FILE MATCHER=roma|oracle|sift [SHARD=i/n]: benchmark run"
	@echo "make report          re-render the report of an existing run (same variables as make eval)"
	@echo "make weights         download the official RoMa/DINOv2 checkpoints (WEIGHTS_DIR=... to choose the folder)"

# Installs missing Debian packages (needs root, as on a fresh machine).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build $(SWIFTFLAGS)

test: deps
	$(SWIFT) build $(SWIFTFLAGS)
	$(SWIFT) test $(SWIFTFLAGS)
	@$(MAKE) --no-print-directory test-slurm

# The Slurm path (eval/slurm) on a real single-node cluster the script starts and stops.
test-slurm:
	eval/slurm/test-local.sh

demo: build
	@bash scripts/demo.sh "$(ROMA)" "$(SHARED)" "$(DEMO_DIR)"

bench-geometry: build
	$(ROMA_BENCH) geometry

bench-sample: build
	$(ROMA_BENCH) sample

bench-ops: build
	$(ROMA_BENCH) ops

bench-match: build
	$(ROMA_BENCH) match

bench-eval: build
	$(ROMA_BENCH) eval

# Official checkpoints into $(WEIGHTS_DIR), else $$ROMA_WEIGHTS, else ~/.cache/roma-swift.
weights: build
	$(ROMA) weights $(if $(WEIGHTS_DIR),--cache "$(WEIGHTS_DIR)")

clean:
	rm -rf .build runs/demo
include eval/eval.mk

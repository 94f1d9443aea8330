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
APT_PACKAGES := libopenblas-dev liblapacke-dev libopencv-dev libjpeg62-turbo-dev libpng-dev pkg-config libhdf5-dev libsqlite3-dev python3-venv libdnnl-dev
SHARED     ?= ../shared
DEMO_DIR   ?= runs/demo

.PHONY: help deps build test demo clean bench-geometry bench-sample bench-ops bench-match weights interop-venv fuzz bench-peak bench-synthetic bench-eval
.PHONY: install uninstall test-install bench-startup test-slurm

help:
	@echo "make demo            build and run the pipeline end to end on bundled/synthetic data"
	@echo "make test            build and run the whole test suite"
	@echo "make build           build the roma and roma-bench executables"
	@echo "make test-slurm      eval/slurm on a local single-node Slurm (make test runs it)"
	@echo "make bench-geometry  RANSAC ours vs OpenCV on synthetic problems"
	@echo "make bench-sample    balanced sampling speed (MODEL=roma2: romav2's sampler on a RoMa v2 warp)"
	@echo "make bench-ops       tensor operator throughput vs cblas_sgemm peak"
	@echo "make bench-match     roma match vs the Python reference, time and memory (MODEL=tiny: Tiny RoMa, XFEAT_REPO=checkout; MODEL=roma2 [SETTING=mega1500] [PRECISION=bf16]: RoMa v2)"
	@echo "make bench-eval      benchmark matching: one process a pair vs roma match --batch"
	@echo "make bench-peak      this machine's measured vector peak (AVX2/AVX-512 FMA, AVX512-BF16)"
	@echo "make bench-synthetic synthetic benchmark per difficulty level: oracle, degraded oracle, SIFT; ours vs OpenCV"
	@echo "make fuzz            fuzz every reader through roma for FUZZ_SECONDS (docs/bad-input.md)"
	@echo "make eval            BENCH=synthetic[-easy|-medium|-hard]|megadepth1500|scannet1500|pairs:FILE MATCHER=roma|oracle|sift|tiny|roma2|h5 [SHARD=i/n]: benchmark run (h5: FEATURES=… MATCHES=…)"
	@echo "make report          re-render the report of an existing run (same variables as make eval)"
	@echo "make compare         CONFIGS=\"<config folder> …\" [SEEDS=\"0 1 2\"]: one report comparing runs (paired bootstrap)"
	@echo "make weights         download the official RoMa/DINOv2 checkpoints (WEIGHTS_DIR=... to choose the folder)"
	@echo "make install         install roma, its OpenCV shim, man pages and completions under PREFIX (default /usr/local)"
	@echo "make uninstall       remove exactly the files make install wrote (same PREFIX)"
	@echo "make bench-startup   start-up time of roma estimate / sample on tiny inputs"

# Installs missing Debian packages (needs root, as on a fresh machine).
deps:
	@missing=""; for p in $(APT_PACKAGES) $(if $(filter test,$(MAKECMDGOALS)),$(TEST_APT_PACKAGES)); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build $(SWIFTFLAGS)

# `make test` also installs these: the browser test renders the HTML reports in headless
# Chromium (apt downloads ~147 MB, ~436 MB installed on a bare Debian 12) and, with
# ROMA_REQUIRE_BROWSER=1, fails instead of skipping when it is missing.
TEST_APT_PACKAGES := chromium

test: deps interop-venv
	$(SWIFT) build $(SWIFTFLAGS)
	ROMA_REQUIRE_BROWSER=1 ROMA_INTEROP_REQUIRED=1 $(SWIFT) test $(SWIFTFLAGS)
	$(ROMA_BENCH) fuzz --seconds $(TEST_FUZZ_SECONDS) --seed $(FUZZ_SEED)
	@$(MAKE) --no-print-directory test-install
	@$(MAKE) --no-print-directory test-slurm

# The Slurm path (eval/slurm) on a real single-node cluster the script starts and stops.
test-slurm:
	eval/slurm/test-local.sh

# The real clients the interop tests run (h5py, pycolmap; docs/interop.md), from PyPI
# into .venv. Without PyPI the tests skip and say why (.venv/UNAVAILABLE holds pip's output).
INTEROP_PIP := h5py==3.16.0 pycolmap==4.2.1 numpy==2.4.6
interop-venv:
	@if [ ! -f .venv/.interop-ready ]; then \
	  rm -f .venv/UNAVAILABLE; \
	  if python3 -m venv .venv && .venv/bin/pip install -q --timeout 30 --retries 1 $(INTEROP_PIP) > .venv/pip.log 2>&1; then \
	    echo "$(INTEROP_PIP)" > .venv/.interop-ready; \
	  else \
	    mkdir -p .venv; { echo "pip could not install $(INTEROP_PIP) from PyPI:"; tail -3 .venv/pip.log 2>/dev/null; } > .venv/UNAVAILABLE; \
	    echo "interop-venv: $$(head -1 .venv/UNAVAILABLE) the interop tests will skip"; \
	  fi; \
	fi

# Process-level fuzzing of every reader (docs/bad-input.md); `make test` runs it briefly.
FUZZ_SECONDS      ?= 300
TEST_FUZZ_SECONDS ?= 30
FUZZ_SEED         ?= 19
fuzz: build
	$(ROMA_BENCH) fuzz --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED)

demo: build
	@bash scripts/demo.sh "$(ROMA)" "$(SHARED)" "$(DEMO_DIR)"

bench-geometry: build
	$(ROMA_BENCH) geometry

bench-sample: build
	$(ROMA_BENCH) $(if $(filter roma2,$(MODEL)),sample-v2,sample)

bench-ops: build
	$(ROMA_BENCH) ops

bench-match: build
	$(ROMA_BENCH) match $(if $(filter tiny,$(MODEL)),--model tiny $(if $(XFEAT_REPO),--xfeat-repo "$(XFEAT_REPO)")) $(if $(filter roma2,$(MODEL)),--model roma2 $(if $(SETTING),--setting $(SETTING)) $(if $(filter bf16,$(PRECISION)),--precision bf16))

bench-peak: build
	$(ROMA_BENCH) peak

# Synthetic benchmark per difficulty level: oracle, degraded oracle, SIFT; ours vs OpenCV.
bench-synthetic: build
	$(ROMA_BENCH) synthetic

bench-eval: build
	$(ROMA_BENCH) eval

# Official checkpoints into $(WEIGHTS_DIR), else $$ROMA_WEIGHTS, else ~/.cache/roma-swift.
# RoMa v1's by default; MODEL=roma2 fetches RoMa v2's romav2.0.1.pt (1.1 GB) instead.
weights: build
	$(ROMA) weights $(if $(WEIGHTS_DIR),--cache "$(WEIGHTS_DIR)") $(if $(filter roma2,$(MODEL)),--only romav2)

# Installation (docs/stages.md): DESTDIR for staged installs, as packagers expect.
PREFIX  ?= /usr/local
DESTDIR ?=

# generate-manual is swift-argument-parser's man page writer (the tool behind its
# GenerateManual plugin), run on our own build rather than a second one.
$(BIN)/generate-manual: Package.swift
	$(SWIFT) build $(SWIFTFLAGS) --product generate-manual

install: build $(BIN)/generate-manual
	@bash scripts/install.sh install "$(BIN)" "$(DESTDIR)$(PREFIX)"

uninstall:
	@bash scripts/install.sh uninstall "$(DESTDIR)$(PREFIX)"

test-install: build
	@bash scripts/test_install.sh

bench-startup: build
	$(ROMA_BENCH) startup

clean:
	rm -rf .build runs/demo
include eval/eval.mk

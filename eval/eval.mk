# Benchmark runs with file dependencies. Included by the Makefile; see docs/evaluation.md.
#
#   make eval   BENCH=<synthetic[-easy|-medium|-hard]|megadepth1500|scannet1500|pairs:FILE> MATCHER=<roma|oracle|sift|tiny|roma2|h5>
#               (h5: FEATURES=features.h5 MATCHES=matches.h5, hloc's files; docs/interop.md)
#   make report BENCH=… MATCHER=…      (re-renders the report from existing artifacts)
#
# One artifact per pair per stage; every folder name spells the parameters that made
# its contents (as hloc does), so changing a parameter reruns only the stages below it:
#
#   runs/<bench>/decoded/<image>.decoded.safetensors                     roma decode
#   runs/<bench>/roma/warps[-compact]/<pair>.warp.safetensors            roma match --batch
#   runs/<bench>/<matcher>/n<NUM>-seed<SEED>/r<k>/<pair>.matches…        roma sample (sift: roma sift)
#   runs/<bench>/<matcher>/n…/ransac-t<THRESHOLD>-seed<SEED>/            pairs.json, pairs.mk,
#        r<k>/<pair>.pose.safetensors, results.safetensors, report/      roma estimate, evaluate, report
#
# Every stage writes atomically, so an interrupted run resumes where it stopped and
# `make -j` is safe. The synthetic set lives in runs/synthetic[-<LEVEL>]-p<N>-s<SEED>[-w<WARP_SIZE>]/data/.
# SHARD=i/n runs only shard i's pairs (for eval/slurm; see docs/scale-out.md).
# MATCHER=roma matches all pairs in one `roma match --batch` process (weights bound
# once, shared images encoded once; see docs/batch.md). WARPS=keep|drop|compact: keep
# the exact warps, delete each once its samples exist, or store them in 16-bit fixed
# point (their own folder, warps-compact). CACHE_MB sets the batch's encoder cache.

BENCH       ?= synthetic
MATCHER     ?= oracle
NUM         ?= 5000
SEED        ?= 0
THRESHOLD   ?= 0.5
SYNTH_PAIRS ?= 8
SYNTH_SEED  ?= 0
WARP_SIZE   ?= 864
RUNS        ?= runs
DATASETS    ?= datasets
ROMA        ?= .build/release/roma
WARPS       ?= keep
CACHE_MB    ?= 4096

# --- Synthetic difficulty levels (issue 17; docs/evaluation.md) ----------------------
# BENCH=synthetic-easy|-medium|-hard (or BENCH=synthetic SYNTH_LEVEL=…) renders with
# `roma synth --difficulty LEVEL` into runs/synthetic-LEVEL-p<N>-s<SEED>/data/.
SYNTH_LEVEL ?=
ifneq ($(filter synthetic-%,$(BENCH)),)
  override SYNTH_LEVEL := $(patsubst synthetic-%,%,$(BENCH))
  override BENCH := synthetic
endif
EVAL_SYNTH_LEVEL := $(if $(SYNTH_LEVEL),-$(SYNTH_LEVEL))
EVAL_SYNTH_ARGS  := $(if $(SYNTH_LEVEL),--difficulty $(SYNTH_LEVEL))
# --- end of synthetic difficulty levels ----------------------------------------------

# --- Where this run lives ----------------------------------------------------------

ifeq ($(BENCH),synthetic)
  EVAL_BENCH        := synthetic$(EVAL_SYNTH_LEVEL)-p$(SYNTH_PAIRS)-s$(SYNTH_SEED)$(if $(filter-out 864,$(WARP_SIZE)),-w$(WARP_SIZE))
  EVAL_SYNTH_DIR    := $(RUNS)/$(EVAL_BENCH)/data
  EVAL_PAIR_LIST    := $(EVAL_SYNTH_DIR)/pairs.txt
  EVAL_PREPARE_ARGS := synthetic --data $(EVAL_SYNTH_DIR)
else ifneq ($(filter pairs:%,$(BENCH)),)
  EVAL_PAIR_LIST    := $(patsubst pairs:%,%,$(BENCH))
  EVAL_BENCH        := pairs-$(basename $(notdir $(EVAL_PAIR_LIST)))
  EVAL_PREPARE_ARGS := pairs:$(EVAL_PAIR_LIST)
else
  EVAL_BENCH        := $(BENCH)
  EVAL_PAIR_LIST    := $(DATASETS)/$(BENCH)/pairs.txt
  EVAL_PREPARE_ARGS := $(BENCH)
endif

EVAL_DIR       := $(RUNS)/$(EVAL_BENCH)
EVAL_MATCH_DIR := $(EVAL_DIR)/$(MATCHER)
# --- MATCHER=h5: matches from hloc files (interop; docs/interop.md) -----------------
ifeq ($(MATCHER),h5)
  EVAL_MATCH_DIR := $(EVAL_DIR)/h5-$(basename $(notdir $(MATCHES)))
endif
# --- end MATCHER=h5 -------------------------------------------------------------------
# --- PRECISION=bf16: RoMa under bf16 autocast (docs/runtime.md, "Precision") --------
# Its warps, samples and estimates live under roma-bf16/, beside fp32's roma/.
# MATCHER=roma2 defaults to bf16, as romav2 runs (docs/roma2.md, "Precision").
ifeq ($(MATCHER),roma2)
  PRECISION ?= bf16
endif
PRECISION ?= fp32
ifeq ($(filter $(PRECISION),fp32 bf16),)
  $(error PRECISION=$(PRECISION) is not one of fp32, bf16)
endif
ifeq ($(PRECISION),bf16)
  # `make bench-match MODEL=roma2 PRECISION=bf16` names no MATCHER: only eval goals check it.
  ifneq ($(filter-out bench-%,$(or $(MAKECMDGOALS),eval)),)
    ifeq ($(filter $(MATCHER),roma roma2),)
      $(error PRECISION=bf16 applies to MATCHER=roma or roma2 only)
    endif
  endif
  ifeq ($(MATCHER),roma)
    EVAL_MATCH_DIR := $(EVAL_DIR)/roma-bf16
    ROMA_MATCH_ARGS += --precision bf16
  endif
endif
# --- end PRECISION ---------------------------------------------------------------------
# --- MATCHER=roma2: RoMa v2 in ROMA2_SETTING (romav2's benchmark settings by default:
# mega1500 on MegaDepth-1500, scannet1500 on ScanNet-1500, precise elsewhere; docs/roma2.md)
ifeq ($(BENCH),megadepth1500)
  ROMA2_SETTING ?= mega1500
else ifeq ($(BENCH),scannet1500)
  ROMA2_SETTING ?= scannet1500
else
  ROMA2_SETTING ?= precise
endif
ifeq ($(MATCHER),roma2)
  EVAL_MATCH_DIR := $(EVAL_DIR)/roma2-$(ROMA2_SETTING)-$(PRECISION)
endif
# --- end MATCHER=roma2 ----------------------------------------------------------------
ifneq ($(filter $(MATCHER),sift h5),)
  EVAL_SAMPLE_DIR := $(EVAL_MATCH_DIR)/native
else
  EVAL_SAMPLE_DIR := $(EVAL_MATCH_DIR)/n$(NUM)-seed$(SEED)
endif
EVAL_EST_DIR   := $(EVAL_SAMPLE_DIR)/$(if $(filter opencv,$(SOLVER)),opencv,ransac)-t$(THRESHOLD)-seed$(SEED)
EVAL_CONFIG    := $(patsubst $(EVAL_DIR)/%,%,$(EVAL_EST_DIR))
EVAL_RESULTS   := $(EVAL_EST_DIR)/results.safetensors
EVAL_REPORT    := $(EVAL_EST_DIR)/report

# WARPS=drop applies to RoMa's warps (the oracle's are the synthetic set's truth).
EVAL_DROP := $(and $(filter drop,$(WARPS)),$(filter roma roma2,$(MATCHER)))
ifeq ($(MATCHER),roma)
  EVAL_WARP_DIR := $(EVAL_MATCH_DIR)/warps$(if $(filter compact,$(WARPS)),-compact)
else ifeq ($(MATCHER),oracle)
  EVAL_WARP_DIR := $(EVAL_SYNTH_DIR)
endif
ifeq ($(MATCHER),tiny)
  EVAL_WARP_DIR := $(EVAL_MATCH_DIR)/warps
endif
ifeq ($(MATCHER),roma2)
  EVAL_WARP_DIR := $(EVAL_MATCH_DIR)/warps$(if $(filter compact,$(WARPS)),-compact)
  EVAL_DECODED := decoded-own
  EVAL_DECODE_ARGS := --preset roma2
  EVAL_MATCH_ARGS := --model roma2 --setting $(ROMA2_SETTING) --precision $(PRECISION) $(if $(ROMA2_WEIGHTS),--weights $(ROMA2_WEIGHTS))
endif
EVAL_DECODED ?= decoded

.PHONY: eval report eval-run eval-watch report-run eval-where eval-prepare

eval: build
	@$(MAKE) --no-print-directory $(if $(SEEDS),eval-seeds,eval-watch)

# eval-run with one progress line for the whole run (`roma evaluate watch`) on a
# terminal or with ROMA_PROGRESS=lines (a Slurm log); make's own command log then
# goes to make.log in the run folder, and its last lines are shown when make fails.
# Elsewhere (a pipe, ROMA_PROGRESS=off) it is eval-run as it is.
EVAL_LOG := $(EVAL_EST_DIR)/make$(if $(SHARD),-$(subst /,of,$(SHARD))).log
eval-watch:
	@if [ "$$ROMA_PROGRESS" = off ] || { [ "$$ROMA_PROGRESS" != lines ] && [ ! -t 2 ]; }; then \
	  exec $(MAKE) --no-print-directory eval-run; fi; \
	mkdir -p $(EVAL_EST_DIR); \
	( ROMA_PROGRESS=off $(MAKE) --no-print-directory eval-run >$(EVAL_LOG) 2>&1; echo $$? >$(EVAL_LOG).status ) | \
	  $(ROMA) evaluate watch --manifest $(EVAL_EST_DIR)/pairs.json --poses $(EVAL_EST_DIR) --samples $(EVAL_SAMPLE_DIR) \
	  $(if $(filter roma roma2,$(MATCHER)),--warps $(EVAL_WARP_DIR)) $(if $(SHARD),--shard $(SHARD)); \
	status=$$(cat $(EVAL_LOG).status); rm -f $(EVAL_LOG).status; \
	if [ "$$status" != 0 ]; then tail -n 20 $(EVAL_LOG) >&2; echo "make eval failed (exit $$status); the full log is $(EVAL_LOG)" >&2; \
	else grep -E '^(evaluate|report|shard)[ :]' $(EVAL_LOG) || true; fi; exit $$status

report: build
	@$(MAKE) --no-print-directory report-run

# Prints where a configuration's files go (handy in scripts).
eval-where:
	@echo "$(EVAL_EST_DIR)"

# --- The pipeline (only parsed for eval-run, so `make report` never renders or matches) --

ifneq ($(filter eval-run eval-prepare,$(MAKECMDGOALS)),)

ifeq ($(filter $(WARPS),keep drop compact),)
  $(error WARPS=$(WARPS) is not one of keep, drop, compact)
endif
ifeq ($(filter $(MATCHER),roma oracle sift tiny roma2 h5),)
  $(error MATCHER=$(MATCHER) is not one of roma, oracle, sift, tiny, roma2, h5)
endif
ifeq ($(MATCHER),oracle)
ifneq ($(BENCH),synthetic)
  $(error MATCHER=oracle needs BENCH=synthetic: only the synthetic set has a ground-truth warp)
endif
endif

# pairs.mk lists the pairs, their images and per-pair `roma estimate` arguments (the
# protocol's intrinsics rescaling, keypoint shift and threshold). Make rebuilds it first.
include $(EVAL_EST_DIR)/pairs.mk

# Making pairs.mk (above) renders the synthetic set and writes the manifest: done
# once before shards are submitted, so they only run (eval/slurm/submit.sh).
eval-prepare:
	@echo "prepared $(EVAL_EST_DIR)/pairs.mk ($(words $(EVAL_PAIRS)) pairs)"

# SHARD=i/n (1-based) keeps the pairs at list positions k with k mod n = i − 1
# (round-robin, as docs/scale-out.md specifies).
ifneq ($(SHARD),)
EVAL_SHARD_I := $(word 1,$(subst /, ,$(SHARD)))
EVAL_SHARD_N := $(word 2,$(subst /, ,$(SHARD)))
ifneq ($(shell echo '$(SHARD)' | grep -Ex '[1-9][0-9]*/[1-9][0-9]*' >/dev/null && [ $(EVAL_SHARD_I) -le $(EVAL_SHARD_N) ] && echo ok),ok)
  $(error SHARD=$(SHARD) must be i/n with 1 <= i <= n, e.g. SHARD=2/8)
endif
EVAL_SHARD_PAIRS := $(shell printf '%s\n' $(EVAL_PAIRS) | awk -v i=$(EVAL_SHARD_I) -v n=$(EVAL_SHARD_N) '(NR-1) % n == i-1')
endif
EVAL_RUN_PAIRS := $(if $(SHARD),$(EVAL_SHARD_PAIRS),$(EVAL_PAIRS))

$(EVAL_EST_DIR)/pairs.mk: $(EVAL_PAIR_LIST)
	$(ROMA) evaluate prepare $(EVAL_PREPARE_ARGS) --datasets $(DATASETS) --threshold $(THRESHOLD) \
	  -o $(EVAL_EST_DIR)/pairs.json --makefile $@

ifeq ($(BENCH),synthetic)
$(EVAL_SYNTH_DIR)/pairs.txt:
	$(ROMA) synth -o $(EVAL_SYNTH_DIR) --pairs $(SYNTH_PAIRS) --seed $(SYNTH_SEED) --warp-size $(WARP_SIZE) $(EVAL_SYNTH_ARGS)
endif

# `roma estimate` exits 3 after writing a `failed:` pose (too few matches, degenerate
# input): the benchmark counts that pair as 90°, so the run goes on.
# Repetition k of the estimate reads sample k (MegaDepth) or sample 0 (ScanNet, sift).
eval_sample_rep = $(if $(and $(filter yes,$(EVAL_RESAMPLE)),$(filter-out sift h5,$(MATCHER))),$(1),0)

define EVAL_DECODE_RULE
$(call eval_decoded,$(1)): $(EVAL_IMAGE_$(1))
	$(ROMA) decode $$< $(EVAL_DECODE_ARGS) -o $$@
endef

# All of this run's warps come from one `roma match --batch` (a grouped target: one
# recipe makes them all). It skips warps newer than their inputs, so, as with one
# rule a pair, only missing or stale warps are computed. (Make starts it again, to
# find nothing to do, while a warp is older than some other pair's decoded image.)
# With WARPS=drop a warp is deleted once its samples exist (.SECONDARY: a missing
# one is then not remade) and the list leaves out pairs whose samples all exist.
eval_decoded   = $(EVAL_DIR)/$(EVAL_DECODED)/$(1).decoded.safetensors
eval_warp      = $(EVAL_WARP_DIR)/$(1).warp.safetensors
eval_samples   = $(foreach k,$(sort $(foreach r,$(EVAL_REPETITIONS),$(call eval_sample_rep,$(r)))),$(EVAL_SAMPLE_DIR)/r$(k)/$(1).matches.safetensors)
eval_unsampled = $(foreach p,$(1),$(if $(filter-out $(wildcard $(call eval_samples,$(p))),$(call eval_samples,$(p))),$(p)))
define EVAL_NEWLINE


endef
EVAL_MATCH_LIST := $(EVAL_WARP_DIR)/batch$(if $(SHARD),-$(EVAL_SHARD_I)of$(EVAL_SHARD_N)).txt
EVAL_RUN_WARPS  := $(foreach p,$(EVAL_RUN_PAIRS),$(call eval_warp,$(p)))
ifneq ($(EVAL_DROP),)
.SECONDARY: $(EVAL_RUN_WARPS)
endif

define EVAL_SIFT_RULE
$(EVAL_SAMPLE_DIR)/r0/$(1).matches.safetensors: $(EVAL_IMAGE_$(EVAL_A_$(1))) $(EVAL_IMAGE_$(EVAL_B_$(1)))
	$(ROMA) sift $$^ -o $$@
endef

# Seeds: repetition k of a run with SEED=s uses the digits s, 0, 0, k (k alone for s = 0).
eval_seed = $(if $(filter 0,$(SEED)),$(1),$(SEED)00$(1))

define EVAL_SAMPLE_RULE
$(EVAL_SAMPLE_DIR)/r$(2)/$(1).matches.safetensors: $(EVAL_WARP_DIR)/$(1).warp.safetensors
	$(ROMA) sample $$< --num $(NUM) --seed $(call eval_seed,$(2)) -o $$@
endef

# WARPS=drop: <pair>.dropped records that the pair's warp was deleted, once all its
# samples were (re)made. Listed before the poses, so even `make -j1` drops each warp
# as soon as its pair is sampled.
define EVAL_DROP_RULE
$(EVAL_WARP_DIR)/$(1).dropped: $(call eval_samples,$(1))
	@rm -f $(call eval_warp,$(1)) && touch $$@
endef

define EVAL_ESTIMATE_RULE
$(EVAL_EST_DIR)/r$(2)/$(1).pose.safetensors: $(EVAL_SAMPLE_DIR)/r$(call eval_sample_rep,$(2))/$(1).matches.safetensors
	$(ROMA) estimate $$< $(EVAL_ESTIMATE_ARGS_$(1)) --seed $(call eval_seed,$(2)) $(if $(filter opencv,$(SOLVER)),--solver opencv) -o $$@ || [ $$$$? -eq 3 ]
endef

ifneq ($(filter roma roma2,$(MATCHER)),)
$(foreach i,$(EVAL_IMAGES),$(eval $(call EVAL_DECODE_RULE,$(i))))
$(EVAL_RUN_WARPS) &: $(sort $(foreach p,$(EVAL_RUN_PAIRS),$(call eval_decoded,$(EVAL_A_$(p))) $(call eval_decoded,$(EVAL_B_$(p)))))
	$(shell mkdir -p $(EVAL_WARP_DIR))$(file >$(EVAL_MATCH_LIST),$(foreach p,$(if $(EVAL_DROP),$(call eval_unsampled,$(EVAL_RUN_PAIRS)),$(EVAL_RUN_PAIRS)),$(call eval_decoded,$(EVAL_A_$(p))) $(call eval_decoded,$(EVAL_B_$(p))) $(call eval_warp,$(p))$(EVAL_NEWLINE)))
	$(ROMA) match --batch $(EVAL_MATCH_LIST) --cache-mb $(CACHE_MB) $(if $(filter compact,$(WARPS)),--warp-encoding compact) $(EVAL_MATCH_ARGS) $(ROMA_MATCH_ARGS)
endif
# --- Tiny RoMa (MATCHER=tiny): images decoded at their own size, as romatch's TinyRoMa
# reads them, into decoded-tiny/; `roma match --model tiny` (TINY_WEIGHTS: another
# checkpoint than the cache's). `roma sample` reads the model from the warp (kde stride 8).
define EVAL_TINY_DECODE_RULE
$(EVAL_DIR)/decoded-tiny/$(1).decoded.safetensors: $(EVAL_IMAGE_$(1))
	$(ROMA) decode $$< --preset tiny -o $$@
endef

define EVAL_TINY_MATCH_RULE
$(EVAL_WARP_DIR)/$(1).warp.safetensors: $(EVAL_DIR)/decoded-tiny/$(EVAL_A_$(1)).decoded.safetensors $(EVAL_DIR)/decoded-tiny/$(EVAL_B_$(1)).decoded.safetensors
	$(ROMA) match $$^ --model tiny $(if $(TINY_WEIGHTS),--weights $(TINY_WEIGHTS)) --quiet -o $$@
endef

ifeq ($(MATCHER),tiny)
$(foreach i,$(EVAL_IMAGES),$(eval $(call EVAL_TINY_DECODE_RULE,$(i))))
$(foreach p,$(EVAL_PAIRS),$(eval $(call EVAL_TINY_MATCH_RULE,$(p))))
endif
# --- end of Tiny RoMa

# --- RoMa v2 (MATCHER=roma2): images decoded at their own size (romav2's `match` resizes
# them itself, in float), into decoded-own/; matched by the same `roma match --batch`
# rule as RoMa (one model for the run, each image's DINOv3 layers and VGG features
# computed once per pass), with `--model roma2 --setting … --precision …`
# (ROMA2_WEIGHTS: another checkpoint than the cache's).
# --- end of RoMa v2

ifeq ($(MATCHER),sift)
$(foreach p,$(EVAL_PAIRS),$(eval $(call EVAL_SIFT_RULE,$(p))))
else ifneq ($(MATCHER),h5)
# A sample rule for repetition k only where an estimate reads it (all k, or just 0).
$(foreach p,$(EVAL_PAIRS),$(foreach k,$(EVAL_REPETITIONS),$(if $(filter $(k),$(call eval_sample_rep,$(k))),$(eval $(call EVAL_SAMPLE_RULE,$(p),$(k))))))
endif
$(foreach p,$(EVAL_PAIRS),$(foreach k,$(EVAL_REPETITIONS),$(eval $(call EVAL_ESTIMATE_RULE,$(p),$(k)))))
ifneq ($(EVAL_DROP),)
$(foreach p,$(EVAL_RUN_PAIRS),$(eval $(call EVAL_DROP_RULE,$(p))))
EVAL_DROPPED := $(foreach p,$(EVAL_RUN_PAIRS),$(EVAL_WARP_DIR)/$(p).dropped)
endif

# --- MATCHER=h5: one `roma import hloc` writes every pair's matches (docs/interop.md) --
# FEATURES (hloc's features.h5, for its sparse layout) and MATCHES (matches.h5); image
# names in them are the pair list's paths. Every repetition estimates on these matches.
ifeq ($(MATCHER),h5)
ifeq ($(MATCHES),)
  $(error MATCHER=h5 needs MATCHES=matches.h5 (and FEATURES=features.h5 for hloc's sparse layout))
endif
EVAL_H5_STAMP := $(EVAL_SAMPLE_DIR)/r0/.imported
$(EVAL_H5_STAMP): $(MATCHES) $(FEATURES) $(EVAL_EST_DIR)/pairs.mk
	$(ROMA) import hloc $(if $(FEATURES),--features $(FEATURES)) --matches $(MATCHES) --pairs $(EVAL_EST_DIR)/pairs.json -o $(@D)
	@touch $@
$(foreach p,$(EVAL_PAIRS),$(EVAL_SAMPLE_DIR)/r0/$(p).matches.safetensors): $(EVAL_H5_STAMP) ;
endif
# --- end MATCHER=h5 -------------------------------------------------------------------

EVAL_POSES := $(foreach p,$(EVAL_PAIRS),$(foreach k,$(EVAL_REPETITIONS),$(EVAL_EST_DIR)/r$(k)/$(p).pose.safetensors))

# Dense-warp quality where a predicted warp and the ground truth both exist.
ifeq ($(BENCH),synthetic)
ifneq ($(EVAL_WARP_DIR),)
ifeq ($(EVAL_DROP),)
  EVAL_WARPS     := $(foreach p,$(EVAL_PAIRS),$(EVAL_WARP_DIR)/$(p).warp.safetensors)
  EVAL_WARP_ARGS := --warps $(EVAL_WARP_DIR) --truth-warps $(EVAL_SYNTH_DIR)
endif
endif
endif

$(EVAL_RESULTS): $(EVAL_DROPPED) $(EVAL_POSES) $(EVAL_WARPS) $(EVAL_EST_DIR)/pairs.mk
	$(ROMA) evaluate --manifest $(EVAL_EST_DIR)/pairs.json --poses $(EVAL_EST_DIR) --config $(EVAL_CONFIG) $(EVAL_WARP_ARGS) -o $@

ifeq ($(SHARD),)
eval-run: $(EVAL_RESULTS)
	@$(MAKE) --no-print-directory report-run
else
# With SHARD, only the shard's per-pair artifacts; a later `make eval` without SHARD
# then only evaluates and reports.
EVAL_SHARD_POSES := $(foreach p,$(EVAL_SHARD_PAIRS),$(foreach k,$(EVAL_REPETITIONS),$(EVAL_EST_DIR)/r$(k)/$(p).pose.safetensors))

eval-run: $(EVAL_DROPPED) $(EVAL_SHARD_POSES)
	@echo "shard $(SHARD): $(words $(EVAL_SHARD_PAIRS)) pairs done in $(EVAL_EST_DIR); run make eval without SHARD to evaluate"
endif

endif

# --- The report: seconds, from existing artifacts ------------------------------------

report-run:
	@test -f $(EVAL_RESULTS) || { echo "make report: $(EVAL_RESULTS) does not exist; run make eval with the same BENCH, MATCHER, NUM, SEED, THRESHOLD first" >&2; exit 1; }
	$(ROMA) report $(EVAL_RESULTS) --manifest $(EVAL_EST_DIR)/pairs.json --poses $(EVAL_EST_DIR) --matches $(EVAL_SAMPLE_DIR) \
	  $(if $(and $(EVAL_WARP_DIR),$(if $(EVAL_DROP),,keep)),--warps $(EVAL_WARP_DIR)) -o $(EVAL_REPORT)

# --- Repeated seeds, solver choice, run comparison (docs/evaluation.md, "Comparing runs") --
#
#   make eval    … SEEDS="0 1 2 3 4"   sampling + estimation once per seed, each in its own
#                                       configuration folder (…-seed<s>), warps reused; then
#                                       `roma compare` summarises the seeds (mean ± std)
#   make eval    … SOLVER=opencv        findEssentialMat instead of our LO-RANSAC, in opencv-t<T>-seed<S>/
#   make compare CONFIGS="roma/n5000-seed0/ransac-t0.5-seed0 sift/native/ransac-t0.5-seed0" [SEEDS="0 1 2"]
#                                       one report over configuration folders under runs/<bench>/;
#                                       the first is the baseline; with SEEDS each folder's -seed<N>
#                                       parts are replaced by every seed in turn

SOLVER ?= ours
ifeq ($(filter $(SOLVER),ours opencv),)
  $(error SOLVER=$(SOLVER) is not one of ours, opencv)
endif

# A configuration folder for seed s: every -seed<N> part becomes -seed<s>.
compare_seed = $(shell echo '$(1)' | sed -E 's/-seed[0-9]+(\/|$$)/-seed$(2)\1/g')
COMPARE_RESULTS = $(foreach c,$(CONFIGS),$(if $(SEEDS),$(foreach s,$(SEEDS),$(EVAL_DIR)/$(call compare_seed,$(c),$(s))/results.safetensors),$(EVAL_DIR)/$(c)/results.safetensors))
compare_space := $(subst ,, )
COMPARE_OUT ?= $(EVAL_DIR)/compare/$(subst $(compare_space),+,$(subst /,_,$(CONFIGS)))$(if $(SEEDS),-seeds$(subst $(compare_space),-,$(strip $(SEEDS))))

.PHONY: eval-seeds compare compare-run

eval-seeds:
	@set -e; for s in $(SEEDS); do $(MAKE) --no-print-directory eval-run SEED=$$s SEEDS=; done
	@$(if $(word 2,$(SEEDS)),$(MAKE) --no-print-directory compare-run CONFIGS="$(EVAL_CONFIG)",true)

compare: build
	@$(MAKE) --no-print-directory compare-run

compare-run:
	@test -n "$(CONFIGS)" || { echo "make compare: give CONFIGS=\"<configuration folder> …\", folders under $(EVAL_DIR)/ such as $(EVAL_CONFIG)" >&2; exit 64; }
	$(ROMA) compare $(COMPARE_RESULTS) -o $(COMPARE_OUT)

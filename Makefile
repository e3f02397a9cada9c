SHELL := /bin/bash
# Go: the toolchain go.mod names (go1.27.3). A machine starts on its own Go (1.26 on a
# fresh Debian box, whose go.env says GOTOOLCHAIN=local); with GOTOOLCHAIN set, the
# go command fetches this one from the module proxy once (about 76 MB) and runs it.
export GOTOOLCHAIN := $(shell sed -n 's/^toolchain //p' go.mod)
# gofm: every target builds with GOEXPERIMENT=simd (the pure-Go backend's fast matmul).
export GOEXPERIMENT := simd
# GODEBUG=cpu.fma=off: without it, math.Exp (SiLU, Tanh) runs 10-100x slower at random
# after the simd matmul kernels (see fmlib/backend.MathSetting). Kept with any GODEBUG given.
comma := ,
export GODEBUG := $(if $(GODEBUG),$(GODEBUG)$(comma))cpu.fma=off
export PATH := $(PATH):/usr/local/go/bin:$(shell go env GOPATH 2>/dev/null)/bin
GO ?= go
# Python with the Jupyter tools: the project venv's (make install), else Debian's
# (the classic-Notebook fallback). Read when a recipe runs, after install.
VENV := $(or $(GOFM_VENV),$(HOME)/.local/share/gofm/venv)
PY = $(shell if [ -x "$(VENV)/bin/python" ]; then echo "$(VENV)/bin/python"; else echo /usr/bin/python3; fi)
OUT ?= out
# NBJOBS: notebooks nbrun executes at once. make run executes one at a time, so the
# timings the notebooks print are those of a machine to themselves; make test runs two
# (most cells use one core: compiling the cell, host-side Go), about a third faster on 2 cores.
NBJOBS ?= 1

.PHONY: all install data run test vet unit kernel-check browser-test notebooks notebooks-quick exercises exercises-check lab bench table table-mnist table-mnist-record tune pretrained gpucheck fuzz docker-test

all: run

## install: JupyterLab and the notebook tools (pinned, kernel/requirements.txt) in a venv, GoNB + goimports + gopls, the "Go (gofm)" kernelspec with its logo, warm build cache (idempotent).
install:
	bash kernel/install.sh

## data: MNIST into $GOFM_DATA/mnist (default ~/.cache/gofm/mnist), checksums verified (idempotent).
data:
	bash scripts/fetch-mnist.sh

## run: the main job: set up what is missing and execute every notebook, writing executed copies and HTML to out/notebooks.
run: install data notebooks

notebooks:
	$(GO) run ./cmd/nbrun -jobs $(NBJOBS) -out $(OUT)/notebooks

notebooks-quick:
	$(GO) run ./cmd/nbrun -jobs $(NBJOBS) -quick -out $(OUT)/notebooks-quick

## test: gofmt and vet, unit tests (with the fuzz targets' seed corpora), the kernel protocol check,
## every notebook in quick mode (09 and 10 read MNIST, so it fetches the data first, as run does),
## the exercise notebooks (exercises-check), the JupyterLab browser test, and every notebook in full
## mode: what the main job (make run) runs, so a failing main job fails the tests (~40 minutes on 2 cores in all).
test: install data vet unit kernel-check notebooks-quick exercises-check browser-test notebooks
test: NBJOBS = 2

vet:
	@bad=$$("$$($(GO) env GOROOT)/bin/gofmt" -l .); if [ -n "$$bad" ]; then echo "gofmt would change these files (run gofmt -w on them):"; echo "$$bad"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test ./...
	cd third_party/compute && $(GO) test ./internal/safesimd/

## exercises: write notebooks/exercises/ from the solution notebooks' exercise markers (// BEGIN SOLUTION <id> hint: ..., see internal/exercises); commit the result (a unit test fails when it is stale).
exercises:
	$(GO) run ./cmd/exercises

## exercises-check: the exercise notebooks in quick mode (every exercise reports NOT YET IMPLEMENTED, nothing else fails), then notebook 01 solved by `exercises -fill`, whose checks must print what notebooks/01's print (OUT must be inside the repository; ~7 min on 2 cores: 5.8 for the eight exercise notebooks, 1 for 01 twice).
exercises-check:
	$(GO) run ./cmd/exercises -check
	$(GO) run ./cmd/nbrun -jobs $(NBJOBS) -quick -exercises -out $(OUT)/exercises notebooks/exercises/*.ipynb
	$(GO) run ./cmd/exercises -fill $(OUT)/exercises-filled notebooks/exercises/01_flows_and_vector_fields.ipynb
	$(GO) run ./cmd/nbrun -jobs $(NBJOBS) -quick -out $(OUT)/exercises-filled/run -reference notebooks/01_flows_and_vector_fields.ipynb $(OUT)/exercises-filled/01_flows_and_vector_fields.ipynb

kernel-check:
	$(PY) -m unittest -v kernel/kernel_check.py

## browser-test: JupyterLab in Debian's chromium (playwright-core from npm): notebooks 01 and 03 Run All, outputs, plots, LaTeX, token, loopback, console; screenshots in $(OUT)/e2e (~1.5 min).
browser-test:
	OUT=$(OUT) bash kernel/e2e/run.sh

## docker-test: build docker/Dockerfile with podman and test the image: quick notebooks inside, the browser test against its JupyterLab (~20 min; not part of test).
docker-test:
	OUT=$(abspath $(OUT)) bash docker/test.sh

## fuzz: every fuzz target for FUZZTIME each (default 20s), one after another.
fuzz:
	FUZZTIME=$(or $(FUZZTIME),20s) bash scripts/fuzz.sh

## lab: start JupyterLab on 127.0.0.1 with a token (printed in its URL), at notebooks/ (LAB_PORT, default 8888).
lab: install
	bash kernel/lab.sh

## table: the paper's Table 1 at the 2D scale (6 methods x 2 data sets x 2 seeds, resumable): $(OUT)/table/results-2d.json and .md.
table:
	$(GO) run ./cmd/fmtable -scale 2d -out $(OUT)/table

## table-mnist: the paper's Table 1 on MNIST with the mnist-unet U-Net (DDPM, Score Matching, ScoreFlow, FM w/ Diffusion, FM w/ OT, OT-CFM, 2-RF x 2 seeds, 2800 steps each; NLL K = 1 and K = 5, FID-MNIST, Dopri5 NFE): about 6-7 hours on 2 cores: $(OUT)/table/results-mnist.json and .md, written after every model. It continues the run recorded in docs/results (models recorded there are reused, not trained) and resumes after a stop; keep a sitting's models with table-mnist-record and commit docs/results.
table-mnist: data
	$(GO) run ./cmd/fmtable -scale mnist -out $(OUT)/table -resume docs/results

## table-mnist-record: copy the mnist run in $(OUT)/table, finished or partial, into docs/results (with the FM w/ OT weights 2-RF trains from).
table-mnist-record:
	$(GO) run ./cmd/fmtable -scale mnist -out $(OUT)/table -record docs/results

## tune: the mnist-unet recipe's variants at equal training time (10 min each of measured step time), scored by FID-MNIST of the averaged weights with its floor: $(OUT)/tune/results.md (resumable; ~95 min on 2 cores; docs/results/tune-mnist.md has a run).
tune: data
	$(GO) run ./cmd/fmtune -out $(OUT)/tune

## pretrained: the shipped weights of PRETRAINED_PRESET (mnist-unet, or mnist-cond for the conditional U-Net): trains it for PRETRAINED_STEPS (about 62 minutes on 2 cores; resumable, checkpoints in $GOFM_RUNS or ~/.cache/gofm/runs/<preset>-pretrained), measures FID-MNIST and exports the averaged weights with their manifest to fmlib/pretrained/shipped.
PRETRAINED_PRESET ?= mnist-unet
PRETRAINED_STEPS ?= 12000
PRETRAINED_DIR ?= $(or $(GOFM_RUNS),$(HOME)/.cache/gofm/runs)/$(PRETRAINED_PRESET)-pretrained
pretrained: data
	$(GO) run ./cmd/gofm train -preset $(PRETRAINED_PRESET) -steps $(PRETRAINED_STEPS) -dir $(PRETRAINED_DIR) -no-images
	$(GO) run ./cmd/gofm export -dir $(PRETRAINED_DIR) -name $(PRETRAINED_PRESET) -out fmlib/pretrained/shipped -replace \
		-command "make pretrained PRETRAINED_PRESET=$(PRETRAINED_PRESET) (gofm train -preset $(PRETRAINED_PRESET) -steps $(PRETRAINED_STEPS))"

## bench: gofm against PyTorch 2.11.0 in one run: MLP train step, 10k-point forward pass and Dopri5 solve, U-Net train step, go peak memory (~5 min on 2 cores). PyTorch: a venv of its own from PyPI (scripts/bench-venv.sh; ~3 GB of CUDA wheels, once); without it the Go side runs alone and says why.
bench:
	@py="$$(bash scripts/bench-venv.sh)" || py="skip: scripts/bench-venv.sh failed (its message is above)"; \
	echo "$(GO) run ./cmd/fmbench -net mlp,unet -python '$$py'"; \
	$(GO) run ./cmd/fmbench -net mlp,unet -python "$$py"

## gpucheck: XLA CUDA against the pure-Go backend (device, matmul, convolution, gradient); exit 3 where there is no GPU or CUDA plugin.
gpucheck:
	$(GO) run ./cmd/gpucheck

# Every target bootstraps .venv itself, so a fresh clone needs only `make demo` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench report fuzz clean k8s-tools cluster-up cluster-down

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gitops-validator validate

test: lint typecheck k8s-tools pytest

# kustomize, etcd and kube-apiserver built with Go into a per-machine cache (minutes the first
# time, instant after); in CI (CI=true) a failed build fails the target.
k8s-tools:
	bash tools/build-k8s-tools.sh

# A local etcd + kube-apiserver for trying `apply`/`drift` by hand; kubeconfig: .cluster/kubeconfig
cluster-up: $(STAMP) k8s-tools
	$(BIN)/python tools/k8s_cluster.py up .cluster storefront-dev storefront-staging storefront-prod

cluster-down: $(STAMP)
	$(BIN)/python tools/k8s_cluster.py down .cluster

lint: $(STAMP)
	$(BIN)/ruff check validator tests bench tools
	$(BIN)/ruff format --check validator tests bench tools
	$(BIN)/actionlint
	$(BIN)/zizmor --offline --quiet .github

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

# Every fuzz harness (tests/fuzz) for FUZZ_SECONDS each; prints executions per harness.
FUZZ_SECONDS ?= 60
fuzz: $(STAMP)
	$(BIN)/python tests/fuzz/run.py --seconds $(FUZZ_SECONDS)

bench: $(STAMP)
	$(BIN)/python -m bench.run

# The demo's compliance report and a screenshot of its HTML (needs Debian's chromium).
report: $(STAMP)
	$(BIN)/gitops-validator report --output compliance-report
	$(BIN)/python tools/report_screenshot.py compliance-report

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

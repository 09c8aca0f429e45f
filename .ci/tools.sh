#!/usr/bin/env bash
# Builds the pinned check tools (.ci/tools.json) once into a cache folder that later runs reuse.
# Prints the folders to add to PATH.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${LLM_PLATFORM_TOOLS:-$HOME/.cache/llm-platform/tools}
mkdir -p "$cache"

node -e '
  const tools = require(process.argv[1]);
  for (const [name, pin] of Object.entries(tools)) console.log(name, pin.module, pin.version);
' "$here/tools.json" | while read -r name module version; do
  dir="$cache/$name-$version"
  if [ ! -x "$dir/$name" ]; then
    if ! command -v go >/dev/null 2>&1; then
      echo "tools.sh: $name $version is not cached in $dir and Go is not installed to build it" >&2
      exit 1
    fi
    echo "tools.sh: building $name $version (once; cached in $dir)" >&2
    GOBIN="$dir" GOFLAGS=-mod=mod go install "$module@$version" >&2
  fi
  echo "$dir"
done

#!/usr/bin/env bash
# Shows that a synth on another machine builds Lambda-ready assets: a scratch copy of the committed
# tree gets `npm ci --os=darwin --cpu=arm64` (node_modules as on an Apple-silicon Mac: sharp for
# darwin-arm64 only, no linux package), then `npm run synth` for each architecture, and
# bin/check-assets.ts checks that every function's sharp is Linux ELF for its architecture.
# esbuild's native binary is the one thing this host must bring (ESBUILD_BINARY_PATH), as a Mac
# would bring its own. Usage: bin/foreign-synth-check.sh [os] [cpu]   (default darwin arm64)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
os="${1:-darwin}"
cpu="${2:-arm64}"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/cloudprint-foreign-XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

git -C "$repo" archive HEAD | tar -x -C "$scratch"
cd "$scratch"
npm ci --os="$os" --cpu="$cpu" --no-audit --no-fund --loglevel=error
echo "installed sharp packages: $(ls node_modules/@img | tr '\n' ' ')"
if ls node_modules/@img | grep -q '^sharp-linux'; then
  echo "FAIL: npm ci for $os-$cpu installed a linux sharp package; the check would prove nothing" >&2
  exit 1
fi

host_esbuild="$(node -e 'const p=`@esbuild/${process.platform}-${process.arch}/bin/esbuild`;console.log(require.resolve(p,{paths:[process.argv[1]]}))' "$repo")"
for arch in arm64 x86_64; do
  start=$(date +%s)
  if ! ESBUILD_BINARY_PATH="$host_esbuild" npm run --silent synth -- -o "cdk.out.$arch" -c "architecture=$arch" \
    >"synth-$arch.log" 2>&1; then
    cat "synth-$arch.log" >&2
    exit 1
  fi
  echo "synth $arch: $(($(date +%s) - start)) s"
  node_modules/.bin/node bin/check-assets.ts "cdk.out.$arch"
done

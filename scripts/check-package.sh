#!/usr/bin/env bash
# Installs comfygen as users get it and runs it, on each Node major given (default: 20 22 24).
#
#   bash scripts/check-package.sh [MAJOR ...]
#
# Packs the tarball once, then per Node version: installs it globally into an empty prefix and as
# a dev dependency of an empty project, with native builds made impossible (CC/CXX=/bin/false: an
# optional addon may fail, the install may not), and runs `comfygen --version`, `init`,
# `build --offline` and `inventory --hash blake3` on a sample project; then `npm run demo` from
# this checkout. The Node that runs this script serves its own major; others come from the npm
# registry's node-<os>-<arch> packages (what the `node@N` package installs). Exits 1 on the first
# failure, saying which step.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
majors=("$@")
[ "${#majors[@]}" -gt 0 ] || majors=(20 22 24)

work=$(mktemp -d "${TMPDIR:-/tmp}/comfygen-package-XXXXXX")
trap 'rm -rf "$work"' EXIT
say() { printf '\npackage: %s\n' "$*"; }
fail() { printf 'package: FAILED: %s\n' "$*" >&2; exit 1; }

say "packing"
npm pack --silent --pack-destination "$work" >/dev/null
tgz=$(echo "$work"/comfygen-*.tgz)
[ -f "$tgz" ] || fail "npm pack made no tarball"
version=$(node -p "require('./package.json').version")
tar -tzf "$tgz" >"$work/contents"
grep -qx 'package/dist/src/cli/main.js' "$work/contents" || fail "the tarball lacks the compiled CLI (dist/)"

here=$(node -p 'process.versions.node.split(".")[0]')
case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) fail "no Node packages for $(uname -s)" ;; esac
case "$(uname -m)" in x86_64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) fail "no Node packages for $(uname -m)" ;; esac

# A sample project: the bundled example workflows and one local model.
sample() {
  mkdir -p "$1/workflows" "$1/ComfyUI/models/loras" "$1/ComfyUI/user/default/workflows"
  cp "$repo"/examples/workflows/*.json "$1/workflows/"
  cp "$repo/examples/models/loras/my_style.safetensors" "$1/ComfyUI/models/loras/"
  touch "$1/ComfyUI/main.py"
}

# Runs the installed CLI ($1) through the whole first contact in project folder $2.
use() {
  local comfygen=$1 dir=$2 out
  out=$("$comfygen" --version) || fail "$comfygen --version"
  [ "$out" = "$version" ] || fail "--version said '$out', expected $version"
  (cd "$dir" && "$comfygen" init >/dev/null) || fail "init in $dir"
  (cd "$dir" && "$comfygen" build --offline --quiet) || fail "build --offline in $dir"
  { [ -x "$dir/generated/download.sh" ] && [ -f "$dir/comfy.lock.json" ]; } || fail "build wrote no download.sh or lock in $dir"
  grep -q '"checkpoints/sd_xl_base_1.0.safetensors"' "$dir/comfy.lock.json" || fail "the lock lacks the example's checkpoint"
  out=$(cd "$dir" && "$comfygen" inventory --hash blake3 --json) || fail "inventory --hash blake3"
  echo "$out" | grep -q "$(b3 "$dir/ComfyUI/models/loras/my_style.safetensors")" || fail "inventory --hash blake3 gave another digest"
}

# BLAKE3 of a file by an independent implementation (b3sum, else the wasm package of this checkout).
b3() {
  if command -v b3sum >/dev/null; then b3sum --no-names "$1"
  else node -e "process.stdout.write(require('$repo/node_modules/blake3-wasm').createHash().update(require('fs').readFileSync(process.argv[1])).digest('hex'))" "$1"
  fi
}

for major in "${majors[@]}"; do
  if [ "$major" = "$here" ]; then
    bin=$(dirname "$(command -v node)")
  else
    say "Node $major: fetching node-$os-$arch@$major"
    npm install --silent --no-save --no-audit --no-fund --prefix "$work/node$major" "node-$os-$arch@$major" >/dev/null \
      || fail "could not install node-$os-$arch@$major"
    bin="$work/node$major/node_modules/node-$os-$arch/bin"
  fi
  export PATH="$bin:$PATH"
  [ "$(node -p 'process.versions.node.split(".")[0]')" = "$major" ] || fail "node on PATH is not $major"
  say "Node $(node --version): global install into an empty prefix (native builds impossible)"
  CC=/bin/false CXX=/bin/false npm install --silent --no-audit --no-fund -g --prefix "$work/global$major" "$tgz" >/dev/null \
    || fail "npm install -g of the tarball on Node $major"
  sample "$work/global$major-project"
  use "$work/global$major/bin/comfygen" "$work/global$major-project"

  say "Node $(node --version): dev dependency of an empty project"
  mkdir -p "$work/dev$major"
  (cd "$work/dev$major" && npm init -y >/dev/null && CC=/bin/false CXX=/bin/false npm install --silent --no-audit --no-fund -D "$tgz" >/dev/null) \
    || fail "npm install -D of the tarball on Node $major"
  sample "$work/dev$major"
  use "$work/dev$major/node_modules/.bin/comfygen" "$work/dev$major"

  say "Node $(node --version): npm run demo"
  TMPDIR="$work" npm run --silent demo >"$work/demo$major.log" 2>&1 || { cat "$work/demo$major.log"; fail "npm run demo on Node $major"; }
  grep -E '^[0-9]+ of [0-9]+ models pinned' "$work/demo$major.log"
  PATH=${PATH#"$bin:"}
done
say "the tarball installs and runs on Node ${majors[*]}"

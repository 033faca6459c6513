#!/usr/bin/env bash
# The tarball check: what a new user gets from the registry.
#
# Builds every package, packs each publishable one (not "private") with `pnpm pack`, installs the
# tarballs with npm into a throwaway project under /tmp (outside the workspace, so nothing resolves
# to the sources), then type-checks a small program against the published declarations with
# `skipLibCheck: false`, once with `moduleResolution: NodeNext` and once with `Bundler`, and runs it
# with node. Fails on the first problem. Usage: bash scripts/pack-check.sh [--no-build]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
pnpm=(npx -y pnpm@12.4.2)

if [[ "${1:-}" != "--no-build" ]]; then "${pnpm[@]}" build; fi

work="$(mktemp -d /tmp/intelligent-retry-pack.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tarballs" "$work/app"

# The publishable packages: every packages/* whose package.json is not private.
mapfile -t packages < <(node -e '
  const fs = require("node:fs"), path = require("node:path")
  for (const dir of fs.readdirSync("packages").sort()) {
    const file = path.join("packages", dir, "package.json")
    if (!fs.existsSync(file)) continue
    const pkg = JSON.parse(fs.readFileSync(file, "utf8"))
    if (!pkg.private) console.log(dir + " " + pkg.name)
  }')

deps=()
names=()
for entry in "${packages[@]}"; do
  dir="${entry%% *}" name="${entry#* }"
  for f in LICENSE README.md; do
    [[ -f "packages/$dir/$f" ]] || { echo "pack-check: packages/$dir has no $f" >&2; exit 1; }
  done
  tarball="$(cd "packages/$dir" && "${pnpm[@]}" pack --pack-destination "$work/tarballs" 2>/dev/null | tail -n 1)"
  tarball="$work/tarballs/$(basename "$tarball")"
  [[ -f "$tarball" ]] || { echo "pack-check: pnpm pack produced no tarball for $name" >&2; exit 1; }
  # The tarball must hold the built JavaScript, the declarations, the LICENSE and the README.
  listing="$(tar -tzf "$tarball")"
  for f in package/dist/index.js package/dist/index.d.ts package/LICENSE package/README.md; do
    grep -qx "$f" <<<"$listing" || { echo "pack-check: $name's tarball lacks ${f#package/}" >&2; exit 1; }
  done
  # No workspace: protocol may leak into a published manifest.
  if tar -xzOf "$tarball" package/package.json | grep -q '"workspace:'; then
    echo "pack-check: $name's published package.json still says workspace:" >&2; exit 1
  fi
  deps+=("$tarball")
  names+=("$name")
  echo "packed $name -> $(basename "$tarball")"
done

cp "$root/scripts/pack-check/"*.ts "$work/app/"
cd "$work/app"
cat > package.json <<'JSON'
{ "name": "pack-check-app", "private": true, "type": "module" }
JSON
# The companion packages at the versions the docs give; peers of the new packages (ioredis, bullmq,
# @effect/sql, …) come in through npm's automatic peer installation.
npm install --no-audit --no-fund --loglevel=error \
  "${deps[@]}" effect@3.22.4 @effect/platform@0.97.2 typescript@5.9.3 @types/node@20.19.43
echo "installed: ${names[*]}"

# The program imports every package; the smoke test runs core and platform.
{
  for name in "${names[@]}"; do
    id="$(sed 's/[^a-zA-Z0-9]/_/g' <<<"$name")"
    echo "import * as $id from \"$name\""
    echo "if (typeof $id !== \"object\") throw new Error(\"$name did not load\")"
  done
} > packages.ts

for resolution in NodeNext Bundler; do
  module=NodeNext
  [[ "$resolution" == "Bundler" ]] && module=ESNext
  cat > "tsconfig.$resolution.json" <<JSON
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2022", "DOM"],
    "module": "$module",
    "moduleResolution": "$resolution",
    "strict": true,
    "exactOptionalPropertyTypes": true,
    "skipLibCheck": false,
    "types": ["node"],
    "outDir": "out-$resolution"
  },
  "include": ["*.ts"]
}
JSON
  echo "+ tsc ($resolution, skipLibCheck: false)"
  npx tsc -p "tsconfig.$resolution.json"
done
echo "+ node out-NodeNext/main.js"
node out-NodeNext/main.js
echo "pack-check: ok (${#names[@]} packages)"

#!/usr/bin/env bash
# Installs the differential oracle (npm package @cloud-copilot/iam-simulate, AGPL, test-only)
# into build/oracle/ (git-ignored). ../shared is read-only, so the harness and its lock file are
# copied here and `npm ci` runs on the copy. Idempotent: npm runs again only when node_modules is
# missing or package.json / package-lock.json changed since the last successful install.
#
# Usage: bash benchmarks/install_oracle.sh     (make oracle)
# Env:   DEPUTYGUARD_SHARED  the shared directory (default: <repo>/../shared)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${DEPUTYGUARD_SHARED:-$root/../shared}"
src="$shared/oracle"
dest="$root/build/oracle"
stamp="$dest/node_modules/.deputyguard-oracle.sha256"

die() {
    echo "install_oracle: $*" >&2
    exit 1
}

command -v node >/dev/null 2>&1 || die "node not found: the oracle needs Node >= 20 and npm"
command -v npm >/dev/null 2>&1 || die "npm not found: the oracle needs Node >= 20 and npm"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "node $(node --version) is too old: the oracle needs Node >= 20"

for f in oracle.mjs package.json package-lock.json; do
    [ -f "$src/$f" ] || die "missing $src/$f (set DEPUTYGUARD_SHARED to the shared directory)"
done

mkdir -p "$dest"
# The harness itself is cheap to copy and must track the shared copy, so copy it every time.
cp "$src/oracle.mjs" "$dest/oracle.mjs"

want="$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [ -d "$dest/node_modules" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "install_oracle: up to date ($dest)"
    exit 0
fi

cp "$src/package.json" "$src/package-lock.json" "$dest/"
echo "install_oracle: npm ci in $dest" >&2
(cd "$dest" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in $dest"
echo "$want" >"$stamp"
echo "install_oracle: installed ($dest)"

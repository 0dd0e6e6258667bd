#!/usr/bin/env bash
# Package smoke test (`npm run smoke:package`): Herald as a user gets it from npm, not as this
# repository runs it. Packs the package (prepack builds), lints the tarball (publint, attw),
# installs it into an empty temporary project and there:
#   1. checks the install printed no EBADENGINE warning (Node 20.19+ is supported);
#   2. runs `herald serve` on the embedded default (SQLite) and on `--log memory` with nothing
#      installed but Herald, publishes an event and reads it back;
#   3. checks that a backend whose driver is missing says what to `npm install`, and that
#      `herald/testing` without vitest says so too;
#   4. installs the optional drivers, vitest and the type packages, imports every subpath in the
#      `exports` map, and type-checks a small program importing them all with TypeScript 5 and 6
#      (default options, `module: nodenext`, no `skipLibCheck`, `@types/node` installed).
# Needs the npm registry. Keeps the temporary project when PACK_SMOKE_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
started=$SECONDS

step() { printf '\n-- %s (%ss)\n' "$*" "$((SECONDS - started))"; }
fail() { echo "pack-smoke: FAIL: $*" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/herald-pack-smoke.XXXXXX")"
hub=""
cleanup() {
  if [ -n "$hub" ] && kill -0 "$hub" 2>/dev/null; then kill -TERM "$hub" 2>/dev/null || true; fi
  if [ "${PACK_SMOKE_KEEP:-}" = "1" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

step "npm pack (prepack builds)"
npm pack --pack-destination "$work" --json > "$work/pack.json" 2> "$work/pack.log" || {
  cat "$work/pack.json" "$work/pack.log"
  fail "npm pack"
}
# prepack's build prints to stdout too: the JSON report is the array that ends the output.
node -e '
  const out = require("fs").readFileSync(process.argv[1], "utf8");
  require("fs").writeFileSync(process.argv[1], out.slice(out.search(/^\[$/m)));
' "$work/pack.json"
tarball="$work/$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].filename' "$work/pack.json")"
node -e '
  const [p] = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const kb = (n) => (n / 1000).toFixed(1) + " kB";
  console.log(`${p.filename}: ${kb(p.size)} packed, ${kb(p.unpackedSize)} unpacked, ${p.entryCount} files`);
  const stray = p.files.map((f) => f.path).filter((f) => !/^(dist\/|README\.md$|LICENSE$|package\.json$)/.test(f) || /\.(map|test\.[jt]s)$/.test(f));
  if (stray.length > 0) { console.error("files the package should not ship:", stray); process.exit(1); }
' "$work/pack.json"

step "publint"
"$repo/node_modules/.bin/publint" run --strict "$tarball"

step "are the types wrong (attw)"
# Profile esm-only: Herald is ESM-only ("type": "module", exports with only "types" and
# "default"), so the two resolutions that cannot load it are not checked: node10 (no `exports`
# support, so subpaths cannot resolve) and node16 from CommonJS (require() of ESM; TypeScript
# reports it as "ESM (dynamic import only)"). Every subpath must resolve for node16-from-ESM
# and bundlers.
"$repo/node_modules/.bin/attw" "$tarball" --profile esm-only --format table-flipped --no-color

app="$work/app"
mkdir -p "$app"
cd "$app"
printf '{ "name": "herald-smoke-app", "private": true, "type": "module" }\n' > package.json

# better-sqlite3's install script downloads a prebuilt binary from GitHub, and compiles SQLite
# (a minute or more) when it cannot. Where GitHub is unreachable (as in this CI) that would be
# most of the run: when the repository's own install built the same version for this Node, put
# that binary in npm's prebuild cache, where the install script looks before downloading.
# The script still runs as in any project; only the download comes from the cache.
seed_sqlite_prebuild() {
  local mod="$repo/node_modules/better-sqlite3" cache
  [ -f "$mod/build/Release/better_sqlite3.node" ] || return 0
  cache="$(npm config get cache)/_prebuilds"
  node -e '
    const { createHash } = require("node:crypto");
    const { existsSync } = require("node:fs");
    const { version } = require(process.argv[1] + "/package.json");
    const libc = process.platform === "linux" && !process.report.getReport().header.glibcVersionRuntime ? "musl" : "";
    const file = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}${libc}-${process.arch}.tar.gz`;
    const url = `https://github.com/WiseLibs/better-sqlite3/releases/download/v${version}/${file}`;
    const cached = process.argv[2] + "/" + createHash("sha512").update(url).digest("hex").slice(0, 6) + "-" + file.replace(/[^a-zA-Z0-9.]+/g, "-");
    console.log(existsSync(cached) ? "" : cached);
  ' "$mod" "$cache" > "$work/prebuild-path"
  local target
  target="$(cat "$work/prebuild-path")"
  [ -n "$target" ] || return 0
  mkdir -p "$cache"
  tar -czf "$target" -C "$mod" build/Release/better_sqlite3.node
  echo "seeded npm's prebuild cache with the repository's better-sqlite3 binary: $target"
}
seed_sqlite_prebuild

step "npm install the tarball into an empty project"
npm install "$tarball" --no-audit --no-fund > "$work/install.log" 2>&1 || {
  cat "$work/install.log"
  fail "npm install of the tarball"
}
grep -v '^npm warn install-scripts' "$work/install.log" | sed 's/^/  /'
if grep -q EBADENGINE "$work/install.log"; then
  grep -A4 EBADENGINE "$work/install.log"
  fail "EBADENGINE warnings on Node $(node --version)"
fi
echo "no EBADENGINE on Node $(node --version)"
for driver in pg ioredis @nats-io/transport-node @nats-io/jetstream vitest; do
  [ ! -e "node_modules/$driver" ] || fail "$driver was installed with herald (it should stay optional)"
done

# Starts `herald serve` with the given arguments and waits for its listening line: sets hub and
# base. Runs the bin npm linked, as npx does, but directly so that $hub is the hub's own pid.
start_hub() {
  ./node_modules/.bin/herald serve --port 0 "$@" > "$work/hub.log" 2>&1 &
  hub=$!
  base=""
  for _ in $(seq 1 100); do
    base="$(sed -n 's/^herald listening on \(http:[^ ]*\).*/\1/p' "$work/hub.log")"
    [ -n "$base" ] && break
    kill -0 "$hub" 2>/dev/null || { cat "$work/hub.log"; fail "herald serve $* exited"; }
    sleep 0.1
  done
  [ -n "$base" ] || { cat "$work/hub.log"; fail "herald serve $* did not listen"; }
  sed 's/^/  hub: /' "$work/hub.log"
}
stop_hub() {
  kill -TERM "$hub"
  wait "$hub" || fail "the hub exited with $?"
  hub=""
  grep -q 'herald stopped' "$work/hub.log" || { cat "$work/hub.log"; fail "the hub did not stop cleanly"; }
}
publish_and_read() {
  local id
  id="$(curl -fsS -X POST "$base/v1/events" -H 'content-type: application/json' \
    -d '{"type":"smoke.package","data":{"ok":true}}' |
    node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).events[0].id')"
  curl -fsS "$base/v1/events/$id" | node -e '
    const e = JSON.parse(require("fs").readFileSync(0, "utf8"));
    if (e.type !== "smoke.package" || e.data?.ok !== true) { console.error("read back", e); process.exit(1); }
    console.log(`  published and read back ${e.id} (${e.type}) at position ${e.position}`);
  '
}

# herald/client from the installed package, as a user's Node program: publish, then read it back
# from the start of the log through a live stream.
client_round_trip() {
  HERALD_BASE="$base" node --input-type=module -e '
    import { createClient } from "herald/client";
    const hub = createClient({ url: process.env.HERALD_BASE });
    const stored = await hub.publish("smoke.client", { via: "herald/client" });
    const seen = [];
    for await (const e of hub.events("smoke.>", { from: "start" })) {
      seen.push(e.type);
      if (e.position >= stored.position) break;
    }
    hub.close();
    if (!seen.includes("smoke.client")) { console.error("herald/client saw", seen); process.exit(1); }
    console.log(`  herald/client published at ${stored.position} and read ${seen.length} event(s) back live`);
  '
}

step "herald serve on the embedded default (SQLite)"
start_hub --data "$app/herald-data"
publish_and_read
client_round_trip
stop_hub
[ -f "$app/herald-data/events.db" ] || fail "no SQLite file in $app/herald-data"

step "herald serve --log memory"
start_hub --log memory
publish_and_read
stop_hub

step "a missing driver says what to npm install"
expect_failure() { # expected-text command...
  local expected="$1" out
  shift
  if out="$("$@" 2>&1)"; then fail "$* succeeded without its optional package"; fi
  printf '%s\n' "$out" | grep -E '^(herald: |Error: )' | sed 's/^/  /'
  printf '%s' "$out" | grep -qF -- "$expected" || fail "$* did not say: $expected"
}
expect_failure 'run `npm install pg`' npx --no-install herald serve --port 0 --log postgres://127.0.0.1:5432/herald
expect_failure 'run `npm install ioredis`' npx --no-install herald serve --port 0 --log redis://127.0.0.1:6379
expect_failure 'run `npm install @nats-io/transport-node @nats-io/jetstream`' \
  npx --no-install herald serve --port 0 --log nats://127.0.0.1:4222
expect_failure 'run `npm install --save-dev vitest`' node --input-type=module -e "await import('herald/testing')"

step "install the optional drivers, vitest, TypeScript 5 and 6, @types/node@20"
# The NATS client at 3.3.x: 3.4 depends on @nats-io/nuid 3, which wants Node 22.
npm install --no-audit --no-fund pg ioredis @nats-io/transport-node@~3.3.1 @nats-io/jetstream@~3.3.1 \
  vitest zod @types/node@20 @types/pg typescript5@npm:typescript@5 typescript6@npm:typescript@6 \
  > "$work/install-extra.log" 2>&1 || {
  cat "$work/install-extra.log"
  fail "npm install of the drivers and tools"
}
if grep -q EBADENGINE "$work/install-extra.log"; then
  grep -A4 EBADENGINE "$work/install-extra.log"
  fail "EBADENGINE warnings installing the drivers on Node $(node --version)"
fi

step "import every subpath of the exports map"
node --input-type=module -e '
  import { readFileSync } from "node:fs";
  const pkg = JSON.parse(readFileSync("node_modules/herald/package.json", "utf8"));
  const subpaths = Object.keys(pkg.exports).filter((s) => !s.endsWith(".json"));
  for (const subpath of subpaths) {
    const name = "herald" + subpath.slice(1);
    const mod = await import(name);
    const names = Object.keys(mod);
    if (names.length === 0) throw new Error(`${name} exports nothing`);
    console.log(`  ${name}: ${names.length} exports`);
  }
'

step "type-check a program importing every subpath (TypeScript 5 and 6)"
node --input-type=module -e '
  import { readFileSync, writeFileSync } from "node:fs";
  const pkg = JSON.parse(readFileSync("node_modules/herald/package.json", "utf8"));
  const subpaths = Object.keys(pkg.exports).filter((s) => !s.endsWith(".json"));
  const lines = subpaths.map((s, i) => `import * as m${i} from "herald${s.slice(1)}";`);
  lines.push(
    `import { createBroker, memoryLog } from "herald";`,
    `import { sqliteLog } from "herald/sqlite";`,
    `import { createServer } from "herald/server";`,
    `type Shop = { "order.created": { id: string; total: number } };`,
    `const broker = createBroker<Shop>({ log: memoryLog() });`,
    `const e = await broker.publish("order.created", { id: "o-1", total: 42 });`,
    `const total: number = e.data.total;`,
    `const app = createServer({ log: await sqliteLog({ path: ":memory:" }) });`,
    `console.log(total, typeof app.listen, ${subpaths.map((_, i) => `m${i}`).join(", ")});`,
    `await broker.close();`,
  );
  writeFileSync("main.ts", lines.join("\n") + "\n");
'
# No skipLibCheck, so Herald's declarations are checked. ioredis's own declarations import
# 'redis-errors', which ships no types (an ioredis issue, not Herald's): declare it.
# core.ts imports only `herald`: in main.ts, fastify's declarations load @types/node for every
# file, which would hide a Herald declaration that uses Node's types without referencing them
# (TypeScript 6's `types` default is []: "Cannot find name 'node:async_hooks'").
options='"module": "nodenext", "target": "es2022", "strict": true, "noEmit": true'
printf '{ "compilerOptions": { %s }, "files": ["main.ts", "shims.d.ts"] }\n' "$options" > tsconfig.json
printf '{ "compilerOptions": { %s }, "files": ["core.ts"] }\n' "$options" > tsconfig.core.json
printf "declare module 'redis-errors';\n" > shims.d.ts
printf "import { createBroker, memoryLog } from 'herald';\nawait createBroker({ log: memoryLog() }).close();\n" > core.ts
for ts in typescript5 typescript6; do
  version="$(node -p "require('./node_modules/$ts/package.json').version")"
  for project in tsconfig.json tsconfig.core.json; do
    node "node_modules/$ts/bin/tsc" -p "$project" || fail "TypeScript $version, $project: the declarations do not compile"
  done
  echo "  TypeScript $version: main.ts (every subpath) and core.ts (herald alone) compile, skipLibCheck off"
done

step "the README's TypeScript compiles against the installed package"
# Each ```ts block of the README becomes a module of this project (a `<!-- fragment: a, b -->`
# line before a block declares the names it leaves to the reader, as test/docs-compile does).
mkdir -p readme
README_PATH="$repo/README.md" node --input-type=module -e '
  import { readFileSync, writeFileSync } from "node:fs";
  const lines = readFileSync(process.env.README_PATH, "utf8").split(/\r?\n/);
  let count = 0, fence;
  for (let i = 0; i < lines.length; i++) {
    if (fence !== undefined) { if (lines[i].trim() === fence) fence = undefined; continue; }
    const open = /^\s*(`{3,}|~{3,})(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    if (open[2] !== "ts" && open[2] !== "typescript") { fence = open[1]; continue; }
    const body = [];
    let j = i + 1;
    while (lines[j].trim() !== "```") body.push(lines[j++]);
    const names = /<!--\s*fragment:(.*?)-->/.exec(lines[i - 1] ?? "")?.[1];
    const declared = names ? names.split(",").map((n) => `declare const ${n.trim()}: any;`).join(" ") : "";
    writeFileSync(`readme/block-${++count}.ts`, `${declared}\n${body.join("\n")}\nexport {};\n`);
    i = j;
  }
  console.log(`  ${count} blocks`);
'
printf '{ "compilerOptions": { %s, "types": ["node"], "skipLibCheck": true }, "include": ["readme/*.ts", "shims.d.ts"] }\n' \
  "$options" > tsconfig.readme.json
node node_modules/typescript6/bin/tsc -p tsconfig.readme.json || fail "a README block does not compile against the package"
echo "  every README block compiles (TypeScript $(node -p "require('./node_modules/typescript6/package.json').version"))"

step "package smoke test passed in $((SECONDS - started))s"

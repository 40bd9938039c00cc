#!/usr/bin/env node
// The npm registry mirror reachable here lacks some other-platform optional binaries (darwin, win32, android...),
// so `npm install` leaves them out of package-lock.json and `npm ci` then refuses the lock ("Missing: x from lock
// file"). This adds a platform-tagged stub for each missing optional dependency; npm ci skips them on this platform
// without fetching. Idempotent; plain Node (runs on the machine's Node 20 before dependencies exist).
import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2] ?? "package-lock.json";
const lock = JSON.parse(readFileSync(file, "utf8"));
const packages = lock.packages;

const OS = ["android", "darwin", "freebsd", "linux", "openbsd", "sunos", "win32", "aix", "netbsd", "openharmony"];
const CPU = ["arm64", "x64", "ia32", "arm", "ppc64", "s390x", "riscv64", "loong64", "mips64el", "wasm32"];
function platformOf(name) {
  const parts = name.split("/").pop().split("-");
  const os = parts.find((p) => OS.includes(p) || p === "windows" || p === "macos");
  const cpu = parts.find((p) => CPU.includes(p) || p === "64" || p === "x86_64");
  const norm = { windows: "win32", macos: "darwin" };
  const entry = {};
  if (os) entry.os = [norm[os] ?? os];
  if (cpu) entry.cpu = [cpu === "64" || cpu === "x86_64" ? "x64" : cpu];
  if (parts.includes("wasm32")) entry.cpu = ["wasm32"];
  if (parts.includes("musl")) entry.libc = ["musl"];
  else if (parts.includes("gnu")) entry.libc = ["glibc"];
  return entry;
}

function resolves(fromPath, dep) {
  // Node resolution: the nearest node_modules/<dep> walking up from the dependent package decides.
  let base = fromPath;
  while (true) {
    const candidate = base ? `${base}/node_modules/${dep}` : `node_modules/${dep}`;
    if (packages[candidate]) return candidate;
    if (!base) return null;
    const i = base.lastIndexOf("/node_modules/");
    base = i === -1 ? "" : base.slice(0, i);
  }
}

let added = 0;
for (const [path, pkg] of Object.entries(packages)) {
  for (const [dep, range] of Object.entries(pkg.optionalDependencies ?? {})) {
    const version = String(range).replace(/^[\^~=]/, "");
    const found = resolves(path, dep);
    if (found && packages[found].version === version) continue;
    const platform = platformOf(dep);
    if (!platform.os && !platform.cpu) continue; // not a platform binary: leave it to npm
    // Beside the dependent when the top level already holds another version.
    const at = found ? `${path}/node_modules/${dep}` : `node_modules/${dep}`;
    packages[at] = { version, ...(pkg.dev ? { dev: true } : {}), optional: true, ...platform };
    added++;
  }
}
if (added) {
  lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)));
  writeFileSync(file, JSON.stringify(lock, null, 2) + "\n");
}
console.log(`complete-lockfile: ${added} platform stubs added`);

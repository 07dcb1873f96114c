#!/usr/bin/env node
// Copies the browser builds the chat widget loads from widget/node_modules into
// widget/vendor/ and writes VERSIONS.json (package version + sha256 of each file).
//
//   cd widget && npm ci --no-audit --no-fund && node vendor.mjs
//
// No dependencies and no network: it only reads node_modules, so it works offline once
// `npm ci` has run. The output folder is committed (so running needs no Node) and is rebuilt
// from scratch.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const WIDGET_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_DIR = dirname(WIDGET_DIR);
const NODE_MODULES = join(WIDGET_DIR, "node_modules");
const OUT_DIR = join(WIDGET_DIR, "vendor");

// package, file inside the package, name in vendor/, and the global a plain <script> must define
// (checked by running the file in an empty sandbox; null = not checked, e.g. axe needs a DOM).
const FILES = [
  { pkg: "marked", src: "lib/marked.umd.js", out: "marked.min.js", global: "marked" },
  { pkg: "dompurify", src: "dist/purify.min.js", out: "purify.min.js", global: "DOMPurify" },
  { pkg: "axe-core", src: "axe.min.js", out: "axe.min.js", global: null },
];

function fail(message) {
  console.error(`vendor.mjs: ${message}`);
  process.exit(1);
}

function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

if (!existsSync(NODE_MODULES)) {
  fail(
    `${relative(process.cwd(), NODE_MODULES) || NODE_MODULES} is missing.\n` +
      `  Install the pinned packages first:  cd widget && npm ci --no-audit --no-fund && node vendor.mjs`,
  );
}

const lock = readJson(join(WIDGET_DIR, "package-lock.json"));
const versions = {};
const outputs = [];

for (const { pkg, src, out, global } of FILES) {
  const pkgDir = join(NODE_MODULES, pkg);
  const srcPath = join(pkgDir, src);
  if (!existsSync(join(pkgDir, "package.json")) || !existsSync(srcPath)) {
    fail(`${pkg}/${src} is missing from node_modules. Run: cd widget && npm ci --no-audit --no-fund`);
  }
  const version = readJson(join(pkgDir, "package.json")).version;
  const locked = lock.packages?.[`node_modules/${pkg}`]?.version;
  if (version !== locked) {
    fail(`node_modules has ${pkg}@${version} but package-lock.json pins ${locked}. Run: npm ci`);
  }
  const bytes = readFileSync(srcPath);
  if (global) {
    // A UMD/IIFE build run with no module system must leave its global behind.
    const sandbox = {};
    sandbox.globalThis = sandbox;
    sandbox.self = sandbox;
    try {
      vm.runInNewContext(bytes.toString("utf8"), sandbox, { filename: srcPath, timeout: 10000 });
    } catch (err) {
      fail(`${pkg}/${src} failed to evaluate as a plain script: ${err.message}`);
    }
    if (typeof sandbox[global] !== "function" && typeof sandbox[global] !== "object") {
      fail(`${pkg}/${src} does not define the global \`${global}\` for a plain <script> tag`);
    }
  }
  outputs.push({ out, bytes });
  versions[out] = {
    package: pkg,
    version,
    source: `node_modules/${pkg}/${src}`,
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
}

// Build into a temporary folder, then swap it in, so a failed run never leaves half a vendor/.
const tmpDir = `${OUT_DIR}.tmp-${process.pid}`;
rmSync(tmpDir, { recursive: true, force: true });
mkdirSync(tmpDir, { recursive: true });
for (const { out, bytes } of outputs) writeFileSync(join(tmpDir, out), bytes);
writeFileSync(join(tmpDir, "VERSIONS.json"), `${JSON.stringify(versions, null, 2)}\n`);
rmSync(OUT_DIR, { recursive: true, force: true });
renameSync(tmpDir, OUT_DIR);

for (const [out, info] of Object.entries(versions)) {
  console.log(`vendor/${out}  ${info.package}@${info.version}  sha256 ${info.sha256.slice(0, 16)}…`);
}
console.log(`wrote ${relative(REPO_DIR, OUT_DIR)}/ (VERSIONS.json lists versions and sha256)`);

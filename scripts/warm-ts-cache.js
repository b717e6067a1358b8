#!/usr/bin/env node
// Fills scripts/register-ts.js's transpile cache with every TypeScript file the test jobs load (the
// sources, deployment scripts, contract bindings and suites), before `npm test` starts its jobs:
// `node scripts/warm-ts-cache.js 0/2` takes the first of two halves, so both cores share the work.
// On a fresh clone the cache is empty, and the first jobs, started together, each transpiled the
// same few hundred files for themselves (about 20 CPU-s each, against 2 once cached).
const fs = require("node:fs");
const path = require("node:path");
const { cacheFile } = require("./register-ts.js");

const root = path.resolve(__dirname, "..");
const DIRS = ["src", "deploy", "typechain-types", "test"];

function tsFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(file);
    return file.endsWith(".ts") && !file.endsWith(".d.ts") ? [file] : [];
  });
}

const [part, parts] = (process.argv[2] ?? "0/1").split("/").map(Number);
if (!(parts >= 1 && part >= 0 && part < parts)) throw new Error(`usage: warm-ts-cache.js PART/PARTS [--without-bindings] (e.g. 0/2), not ${process.argv[2]}`);
// --without-bindings: while the contracts compile beside it (scripts/prepare.js), their bindings are being written.
const dirs = process.argv.includes("--without-bindings") ? DIRS.filter((dir) => dir !== "typechain-types") : DIRS;
const files = dirs.flatMap((dir) => (fs.existsSync(path.join(root, dir)) ? tsFiles(path.join(root, dir)) : [])).sort();
for (let index = part; index < files.length; index += parts) cacheFile(files[index]);

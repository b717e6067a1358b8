#!/usr/bin/env node
// `npm ci`'s prepare step: the contracts compiled (scripts/compile-contracts.js; solc runs on one
// core) and meanwhile, on the other core, the TypeScript sources transpiled into the loader's cache
// (scripts/warm-ts-cache.js), so the first `npm test` or `npm start` finds both done instead of
// transpiling after the compile.
const { spawn } = require("node:child_process");
const path = require("node:path");

const run = (args) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: "inherit" });
    child.on("error", () => resolve(1));
    child.on("exit", (code) => resolve(code ?? 1));
  });

(async () => {
  const [compiled, warmed] = await Promise.all([
    run([path.join(__dirname, "compile-contracts.js")]),
    // The contracts' bindings are written by the compile beside it: the tests and the gateway transpile those as they load them.
    run([path.join(__dirname, "warm-ts-cache.js"), "0/1", "--without-bindings"]),
  ]);
  if (warmed !== 0) console.warn("TypeScript was not transpiled ahead; npm test and npm start transpile it as they load it");
  process.exit(compiled);
})();

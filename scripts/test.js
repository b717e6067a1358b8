#!/usr/bin/env node
// Runs every suite and prints one closing tally line. The contracts are compiled first (the
// TypeScript reads their generated bindings); then the typecheck, the contract suites (in-process
// Hardhat network: CPU-bound) and the gateway/evidence suites (real nodes and stores: mostly
// waiting on blocks and I/O) run side by side. Each step's output is held back and printed whole
// when it ends, with its duration, so the steps' lines never interleave.
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

/**
 * The gateway suites run as two mocha processes at once, their files split in two halves of about
 * equal length: these (child processes of `firstmile start`, Chromium, the demo story, the indexer
 * against a real node, the gateway's HTTP surface across a restart: mostly waiting on 1 s blocks),
 * and all the others.
 */
const WAITING_SUITES = [
  "test/cli/start.test.ts",
  "test/gateway/crash.test.ts",
  "test/gateway/embeddedChain.test.ts",
  "test/gateway/http.test.ts",
  // Three gateways on one node, a lot handed across them: waits on blocks and three indexers.
  "test/gateway/network.test.ts",
  "test/indexer/indexer.test.ts",
  "test/demo/seedDemo.test.ts",
  "test/e2e/consumerPage.test.ts",
  "test/e2e/browser.test.ts",
  // Reads the demo story: in the process that seeds it once for the two suites above.
  "test/epcis/epcisGateway.test.ts",
  // A browser and its virtual authenticator, on its own small fixture.
  "test/e2e/passkeys.test.ts",
  // Production from zero and backup/restore: they wait on blocks and gateway starts.
  "test/gateway/bootstrap.test.ts",
  "test/gateway/backupRestore.test.ts",
  // Two phones offline then syncing: waits on blocks and the browser.
  "test/e2e/field.test.ts",
];

/** Every gateway suite file (as .mocharc.json names them: test/**\/*.test.ts outside test/contracts). */
function gatewaySuites(dir = "test") {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return file === "test/contracts" ? [] : gatewaySuites(file);
    return file.endsWith(".test.ts") ? [file] : [];
  });
}
const ignoring = (files) => files.flatMap((file) => ["--ignore", file]);
const missing = WAITING_SUITES.filter((file) => !fs.existsSync(file));
if (missing.length > 0) throw new Error(`scripts/test.js names suites that do not exist: ${missing.join(", ")}`);

/** The spec reporter, then each file's wall time: where the run's minutes go. */
const REPORTER = ["--reporter", "./scripts/mocha-file-times.js"];
const first = { name: "compile", cmd: ["npx", "hardhat", "compile", "--quiet"] };
const together = [
  { name: "typecheck", cmd: ["npx", "tsc", "--noEmit", "-p", "."] },
  { name: "contracts", cmd: ["npx", "hardhat", "test", "--no-compile"], mocha: true },
  { name: "gateway (waiting suites)", cmd: ["npx", "mocha", ...REPORTER, ...ignoring(gatewaySuites().filter((file) => !WAITING_SUITES.includes(file)))], mocha: true },
  { name: "gateway (the others)", cmd: ["npx", "mocha", ...REPORTER, ...ignoring(WAITING_SUITES)], mocha: true },
];

/** A command line as printed: a long list of ignored files is summarised. */
const shown = (cmd) => {
  const ignored = cmd.filter((arg) => arg === "--ignore").length;
  return ignored > 3 ? `${cmd.filter((arg, i) => arg !== "--ignore" && cmd[i - 1] !== "--ignore").join(" ")} (ignoring ${ignored} suites)` : cmd.join(" ");
};

/** Runs one step with its stdout and stderr captured together; resolves with its exit and output. */
function run(step) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(step.cmd[0], step.cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    const chunks = [];
    child.stdout.on("data", (chunk) => chunks.push(chunk));
    child.stderr.on("data", (chunk) => chunks.push(chunk));
    child.once("error", (error) => chunks.push(Buffer.from(`${error.message}\n`)));
    child.once("close", (code, signal) => {
      const output = Buffer.concat(chunks).toString("utf8");
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      const status = code === 0 ? "ok" : `exit ${code ?? signal}`;
      process.stdout.write(`\n== ${step.name}: ${shown(step.cmd)}\n${output}== ${step.name}: ${status}, ${seconds} s\n`);
      resolve({ step, code, output });
    });
  });
}

(async () => {
  let passed = 0;
  let failed = 0;
  let broken = false;
  const compiled = await run(first);
  if (compiled.code !== 0) {
    failed += 1;
    broken = true;
  } else {
    for (const { step, code, output } of await Promise.all(together.map(run))) {
      if (step.mocha) {
        passed += Number(/(\d+) passing/.exec(output)?.[1] ?? 0);
        failed += Number(/(\d+) failing/.exec(output)?.[1] ?? 0);
      }
      if (code !== 0) {
        broken = true;
        // A step that failed without a mocha tally (the typecheck, a crashed run) counts once.
        if (!step.mocha || !/(\d+) failing/.test(output)) failed += 1;
      }
    }
  }
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(broken || failed > 0 ? 1 : 0);
})();

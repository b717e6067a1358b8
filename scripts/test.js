#!/usr/bin/env node
// Runs every suite (compile + typecheck, contracts on the in-process Hardhat network, then the
// gateway/evidence suites against real nodes and stores) and prints one closing tally line.
const { spawnSync } = require("node:child_process");

const steps = [
  { name: "compile", cmd: ["npx", "hardhat", "compile", "--quiet"] },
  { name: "typecheck", cmd: ["npx", "tsc", "--noEmit", "-p", "."] },
  { name: "contracts", cmd: ["npx", "hardhat", "test", "--no-compile"], mocha: true },
  { name: "gateway", cmd: ["npx", "mocha"], mocha: true },
];

let passed = 0;
let failed = 0;
let broken = false;
for (const step of steps) {
  process.stdout.write(`\n== ${step.name}: ${step.cmd.join(" ")}\n`);
  const run = spawnSync(step.cmd[0], step.cmd.slice(1), { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
  process.stdout.write(run.stdout ?? "");
  if (step.mocha) {
    passed += Number(/(\d+) passing/.exec(run.stdout ?? "")?.[1] ?? 0);
    failed += Number(/(\d+) failing/.exec(run.stdout ?? "")?.[1] ?? 0);
  }
  if (run.status !== 0) {
    broken = true;
    if (!step.mocha) {
      failed += 1;
      break;
    }
  }
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(broken || failed > 0 ? 1 : 0);

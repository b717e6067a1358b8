#!/usr/bin/env node
// The long run of the contract invariant suite (test/contracts/invariants): FUZZ_RUNS random
// sequences (default 10,000) of up to FUZZ_COMMANDS steps (default 40) from FUZZ_SEED. A failure
// prints the shrunk counterexample as a ready-to-paste test; FUZZ_SEED and FUZZ_PATH replay it.
const { spawnSync } = require("node:child_process");

const env = { ...process.env, FUZZ_RUNS: process.env.FUZZ_RUNS ?? "10000" };
if (!env.FUZZ_SEED) env.FUZZ_SEED = String(Date.now() % 2 ** 31);
console.log(`fuzz:contracts: ${env.FUZZ_RUNS} sequences, seed ${env.FUZZ_SEED}`);
const run = spawnSync("npx", ["hardhat", "test", "test/contracts/invariants/contractInvariants.test.ts"], {
  stdio: "inherit",
  env,
});
process.exit(run.status ?? 1);

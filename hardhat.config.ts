import fs from "node:fs";
import path from "node:path";
import { subtask, type HardhatUserConfig } from "hardhat/config";
import {
  TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD,
  TASK_COMPILE_SOLIDITY_GET_SOURCE_PATHS,
  TASK_COMPILE_SOLIDITY_MERGE_COMPILATION_JOBS,
  TASK_TEST_SETUP_TEST_ENVIRONMENT,
} from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-ethers";
import "@nomicfoundation/hardhat-chai-matchers";
import "@typechain/hardhat";
import { useNativeKeccak } from "./src/chain/nativeKeccak";

// Hashing (selectors, checksummed addresses, history heads) with the native keccak addon, as the
// gateway does: the same results, and a tenth of the contract suites' CPU was ethers' JavaScript keccak.
useNativeKeccak();

// The test files load through the project's TypeScript loader (scripts/register-ts.js: transpiled
// once and cached, shared with the gateway suites and `npm start`) instead of ts-node transpiling
// the contract bindings again in every `hardhat test` (about 9 s of CPU each).
subtask(TASK_TEST_SETUP_TEST_ENVIRONMENT, async (_args, _hre, runSuper) => {
  require("./scripts/register-ts.js");
  return runSuper();
});

// The compilers come from npm packages: nothing is downloaded, ever. `solc` (0.8.30) builds our
// contracts; `solc-0.8.29` (an npm alias of solc 0.8.29) builds only the EAS contracts that the gas
// benchmark measures as a baseline, because EAS 1.9.0 pins `pragma solidity 0.8.29`.
const SOLC_PACKAGES: Record<string, string> = {
  [require("solc/package.json").version]: "solc",
  [require("solc-0.8.29/package.json").version]: "solc-0.8.29",
};
const SOLC_VERSION: string = require("solc/package.json").version;
const EAS_SOLC_VERSION: string = require("solc-0.8.29/package.json").version;

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }) => {
  const pkg = SOLC_PACKAGES[args.solcVersion];
  if (!pkg) {
    const available = Object.keys(SOLC_PACKAGES).join(", ");
    throw new Error(`only solc ${available} (npm packages) are available, ${args.solcVersion} was asked for`);
  }
  return {
    compilerPath: path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "soljson.js"),
    isSolcJs: true,
    version: args.solcVersion,
    longVersion: require(pkg).version().replace(/\.Emscripten\.clang$/, ""),
  };
});

// The gas benchmark's baselines (a plain OpenZeppelin ERC-721 and the Ethereum Attestation Service)
// live beside the benchmark in bench/contracts, outside the production tree `contracts/`; they are
// compiled with it so bench/gas.bench.ts (and typechain) find them, and nothing under deploy/ or
// src/ uses them.
const BENCH_SOURCES = path.join(__dirname, "bench", "contracts");

subtask(TASK_COMPILE_SOLIDITY_GET_SOURCE_PATHS, async (args, _hre, runSuper): Promise<string[]> => {
  const sources: string[] = await runSuper(args);
  const bench = fs
    .readdirSync(BENCH_SOURCES)
    .filter((file) => file.endsWith(".sol"))
    .map((file) => path.join(BENCH_SOURCES, file));
  return [...sources, ...bench];
});

// Hardhat merges compilation jobs whose compiler settings are the same object. Each override
// below resolves to an object of its own, so the four files built with 0.8.29 became four jobs,
// each compiling the whole EAS contract graph again: jobs with equal settings share one object
// here, and the EAS baseline is compiled once.
type CompilationJobs = Array<{ getSolcConfig(): unknown; solidityConfig: unknown }>;
subtask(TASK_COMPILE_SOLIDITY_MERGE_COMPILATION_JOBS, async (args: { compilationJobs: CompilationJobs }, _hre, runSuper) => {
  const shared = new Map<string, unknown>();
  for (const job of args.compilationJobs) {
    const settings = job.getSolcConfig();
    const key = JSON.stringify(settings);
    if (!shared.has(key)) shared.set(key, settings);
    job.solidityConfig = shared.get(key);
  }
  return runSuper(args);
});

// The in-process network's accounts: Hardhat's default 20 (its public development mnemonic,
// m/44'/60'/0'/0/0 to /19, 10 000 ETH each), given as keys derived here with ethers (about a
// quarter second) instead of by Hardhat's own derivation, which took about 1.5 s of CPU in every
// process it starts.
const DEVELOPMENT_MNEMONIC = "test test test test test test test test test test test junk";
function developmentKeys(count = 20): string[] {
  const { HDNodeWallet, Mnemonic } = require("ethers") as typeof import("ethers");
  const parent = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEVELOPMENT_MNEMONIC), "m/44'/60'/0'/0");
  return Array.from({ length: count }, (_, index) => parent.deriveChild(index).privateKey);
}
const DEVELOPMENT_BALANCE = (10_000n * 10n ** 18n).toString();

// Besu private networks run the Cancun rules; OpenZeppelin 5.7 needs them (mcopy).
const EVM_VERSION = "cancun";
const SOLC_SETTINGS = { optimizer: { enabled: true, runs: 200 }, evmVersion: EVM_VERSION };

const config: HardhatUserConfig = {
  solidity: {
    compilers: [{ version: SOLC_VERSION, settings: SOLC_SETTINGS }],
    // Only the benchmark's EAS baseline and the EAS files that pin 0.8.29 use the older compiler.
    overrides: Object.fromEntries(
      [
        "bench/contracts/EASBaseline.sol",
        "@ethereum-attestation-service/eas-contracts/contracts/EAS.sol",
        "@ethereum-attestation-service/eas-contracts/contracts/SchemaRegistry.sol",
        "@ethereum-attestation-service/eas-contracts/contracts/eip1271/EIP1271Verifier.sol",
      ].map((source) => [source, { version: EAS_SOLC_VERSION, settings: SOLC_SETTINGS }]),
    ),
  },
  networks: {
    hardhat: {
      hardfork: EVM_VERSION,
      allowUnlimitedContractSize: false,
      accounts: developmentKeys().map((privateKey) => ({ privateKey, balance: DEVELOPMENT_BALANCE })),
    },
    localhost: { url: process.env.FIRSTMILE_RPC_URL ?? "http://127.0.0.1:8545" },
  },
  paths: { sources: "./contracts", tests: "./test/contracts", cache: "./cache", artifacts: "./artifacts" },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
  // FIRSTMILE_MOCHA_REPORTER: `npm test` asks for each file's wall and CPU time (scripts/mocha-file-times.js).
  mocha: { timeout: 120_000, ...(process.env.FIRSTMILE_MOCHA_REPORTER ? { reporter: process.env.FIRSTMILE_MOCHA_REPORTER } : {}) },
};

export default config;

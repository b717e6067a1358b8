// `npm start`'s and `npm test`'s first step: compiles the contracts (and their TypeScript bindings) only when they
// changed since the last compile here. Loading Hardhat just to learn that nothing changed costs a
// restart seconds; this compares a digest of the sources, the compiler settings and the libraries'
// versions with the one written after the last successful compile, and calls Hardhat only if it
// differs or an output is missing. Prints one line with the time it took.
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const root = path.resolve(__dirname, "..");
const stampFile = path.join(root, "cache", "firstmile-contracts.sha256");
const outputs = [path.join(root, "artifacts", "contracts"), path.join(root, "typechain-types", "index.ts")];

function solidityFiles(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? solidityFiles(path.join(dir, entry.name)) : entry.name.endsWith(".sol") ? [path.join(dir, entry.name)] : []))
    .sort();
}

function versionOf(name) {
  try {
    return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`, { paths: [root] }), "utf8")).version;
  } catch {
    return "absent";
  }
}

function digest() {
  const hash = crypto.createHash("sha256");
  // bench/contracts: the gas benchmark's baselines, compiled with the contracts (hardhat.config.ts).
  const sources = [...solidityFiles(path.join(root, "contracts")), ...solidityFiles(path.join(root, "bench", "contracts")), path.join(root, "hardhat.config.ts")];
  for (const file of sources) {
    hash.update(path.relative(root, file)).update("\0").update(fs.readFileSync(file)).update("\0");
  }
  for (const name of ["hardhat", "solc", "@openzeppelin/contracts", "@ethereum-attestation-service/eas-contracts", "@typechain/hardhat", "typechain"]) hash.update(`${name}@${versionOf(name)}\0`);
  return hash.digest("hex");
}

const started = performance.now();
const wanted = digest();
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
let previous = null;
try {
  previous = fs.readFileSync(stampFile, "utf8").trim();
} catch {
  // never compiled here
}
if (previous === wanted && outputs.every((output) => fs.existsSync(output))) {
  console.log(`ready     contracts: unchanged since the last compile (${seconds()} s)`);
  process.exit(0);
}
console.log("contracts compiling (once; later starts skip this while the contracts are unchanged)");
// Two compiler jobs (solc 0.8.30 for the contracts, 0.8.29 for the benchmark's EAS baseline) side
// by side: Hardhat's default is one fewer than the cores, so one at a time on two.
const compile = spawnSync(process.execPath, [require.resolve("hardhat/internal/cli/cli", { paths: [root] }), "compile", "--quiet", "--concurrency", "2"], { cwd: root, stdio: "inherit" });
if (compile.status !== 0) process.exit(compile.status ?? 1);
fs.mkdirSync(path.dirname(stampFile), { recursive: true });
fs.writeFileSync(stampFile, `${wanted}\n`);
console.log(`ready     contracts: compiled (${seconds()} s)`);

#!/usr/bin/env node
// Runs every suite and prints one closing tally line. The contracts are compiled first (the
// TypeScript reads their generated bindings) and the TypeScript transpiled into the loader's cache; then the typecheck, the contract suites (in-process
// Hardhat network: CPU-bound) and the gateway/evidence suites (real nodes and stores: mostly
// waiting on blocks, child processes and I/O) run as jobs, up to FIRSTMILE_TEST_JOBS of them at
// once (default twice the cores, at most 6), CPU-bound ones first, then longest first. A gateway job is one mocha process: each slow suite gets one of
// its own, the quick ones share a few. Several jobs at once keep the cores busy while suites wait;
// the chain, PGlite and demo templates are made once for the whole run (FIRSTMILE_TEST_RUN_DIR,
// test/helpers/sharedTemplate.ts). Each job's output is held back and printed whole when it ends,
// with its duration, so the jobs' lines never interleave; each mocha job ends with its files' wall
// and CPU times (scripts/mocha-file-times.js).
const { spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

/**
 * Seconds a suite file took (wall, in a full run on 2 busy cores): how the jobs are formed and
 * ordered. A file not named here counts as QUICK_FILE_SECONDS. Re-measure with the table each
 * mocha job prints; a new suite that takes more than SOLO_SECONDS belongs here.
 */
const FILE_SECONDS = {
  "test/e2e/consumerPage.test.ts": 108,
  "test/contracts/invariants/contractInvariants.test.ts": 98,
  "test/indexer/indexer.test.ts": 67,
  "test/gateway/crash.test.ts": 60,
  "test/e2e/field.test.ts": 55,
  "test/cli/start.test.ts": 50,
  "test/indexer/indexBatch.test.ts": 49,
  "test/contracts/attestations.massBalance.property.test.ts": 45,
  "test/cli/members.test.ts": 35,
  "test/gateway/embeddedChain.test.ts": 33,
  "test/gateway/firstDeployment.test.ts": 33,
  "test/epcis/epcisGateway.test.ts": 31,
  "test/gateway/bootstrap.test.ts": 26,
  "test/gateway/http.test.ts": 25,
  "test/api/openapiFuzz.test.ts": 24,
  "test/demo/seedDemo.test.ts": 24,
  "test/api/importRoutes.test.ts": 22,
  "test/api/ddsRoutes.test.ts": 21,
  "test/gateway/payments.test.ts": 21,
  "test/gateway/postgres.test.ts": 20,
  "test/web/passport.test.ts": 20,
  "test/relay/worker/relayWorker.test.ts": 20,
  "test/e2e/passkeys.test.ts": 20,
  "test/relay/outbox/outbox.test.ts": 19,
  "test/cli/labels.test.ts": 18,
  "test/gateway/backupRestore.test.ts": 18,
  "test/cli/governance.test.ts": 15,
  "test/web/passportSize.test.ts": 15,
  "test/imports/runImport.test.ts": 14,
  "test/db/database.test.ts": 14,
  "test/eudr/check.test.ts": 14,
  "test/api/app.test.ts": 14,
  "test/contracts/lotRegistry.handover.test.ts": 12,
  "test/db/migrations.test.ts": 12,
  "test/db/pglite.test.ts": 12,
  "test/cli/keys.test.ts": 12,
  "test/contracts/formCatalogue.test.ts": 11,
  "test/contracts/attestations.deploy.test.ts": 10,
  "test/gateway/attestations.test.ts": 10,
};
const QUICK_FILE_SECONDS = 3;
/** A file expected to take this long or more runs in a job of its own. */
const SOLO_SECONDS = 60;
/** The quick files are packed into jobs of about this many seconds. */
const SHARED_JOB_SECONDS = 100;
/**
 * Jobs at once: three times the cores, at most 6 (6 on CI's two). Most gateway suites wait on
 * blocks a good part of their time, and more of them side by side overlap those waits: on two
 * cores, one run after the other on the same tree, 6 jobs took 361 s and 644 CPU-s, 4 jobs 417 s
 * and 716 CPU-s. Every job adds its own gateway, chain node and Chromium, so not more.
 */
const JOBS = Math.max(1, Number(process.env.FIRSTMILE_TEST_JOBS) || Math.min(6, 3 * (os.availableParallelism?.() ?? os.cpus().length)));

const secondsOf = (file) => FILE_SECONDS[file] ?? QUICK_FILE_SECONDS;

/** Every suite file under `dir` (test/contracts is Hardhat's, the rest mocha's as .mocharc.json names them). */
function suites(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return suites(file);
    return file.endsWith(".test.ts") ? [file] : [];
  });
}
const contractSuites = suites("test/contracts");
const gatewaySuites = suites("test").filter((file) => !file.startsWith("test/contracts/"));
const unknown = Object.keys(FILE_SECONDS).filter((file) => !fs.existsSync(file));
if (unknown.length > 0) throw new Error(`scripts/test.js names suites that do not exist: ${unknown.join(", ")}`);

/** Files split into groups: the slow ones alone, the others packed (longest first) into groups of about SHARED_JOB_SECONDS. */
function group(files) {
  const solo = files.filter((file) => secondsOf(file) >= SOLO_SECONDS).map((file) => [file]);
  const rest = files.filter((file) => secondsOf(file) < SOLO_SECONDS).sort((a, b) => secondsOf(b) - secondsOf(a));
  const total = rest.reduce((sum, file) => sum + secondsOf(file), 0);
  const bins = Array.from({ length: Math.max(1, Math.ceil(total / SHARED_JOB_SECONDS)) }, () => ({ files: [], seconds: 0 }));
  for (const file of rest) {
    const emptiest = bins.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    emptiest.files.push(file);
    emptiest.seconds += secondsOf(file);
  }
  return [...solo, ...bins.filter((bin) => bin.files.length > 0).map((bin) => bin.files.sort())];
}

const REPORTER = "./scripts/mocha-file-times.js";
/**
 * .mocharc.json's settings (its loader, root hooks, timeout) as flags, without its spec: a job names
 * its files. Mocha adds files named on the command line to the config's spec rather than replacing
 * it, and ignoring the other suites instead cost each job a second of CPU matching every file
 * against a hundred --ignore patterns.
 */
const MOCHARC = JSON.parse(fs.readFileSync(".mocharc.json", "utf8"));
const MOCHA_SETTINGS = [
  "--no-config",
  ...MOCHARC.require.flatMap((file) => ["--require", file]),
  ...MOCHARC.extension.flatMap((extension) => ["--extension", extension]),
  "--timeout",
  String(MOCHARC.timeout),
  ...(MOCHARC.exit ? ["--exit"] : []),
];
/**
 * The mocha jobs' V8 flags (the node processes their suites start take them over: test/helpers/
 * testNode.ts). `--liftoff-only`: PGlite's WebAssembly (PostgreSQL, about 9 MB of it) runs as V8's
 * baseline compiler builds it. By default V8 also recompiles every function that runs warm with its
 * optimizing compiler, on background threads: in a test process, which lives a minute or two and
 * starts gateways and databases over and over, that cost more than it saved (measured: a child
 * gateway's start 5.3 -> 3.3 CPU-s and, idle, 0.10 -> 0.04 CPU-s a second; the SQL-heavy
 * test/indexer/indexBatch.test.ts 19 -> 15 CPU-s). A gateway that runs for days keeps the default.
 */
const NODE_FLAGS = ["--liftoff-only"];
/** A short name for a group of files: its file, or its first file and how many more. */
const named = (files) => (files.length === 1 ? files[0] : `${files[0]} and ${files.length - 1} more`);

// The contracts as scripts/compile-contracts.js builds them: after `npm ci` (whose prepare step
// compiled them) it only compares their digest, without loading Hardhat.
const compile = { name: "compile", cmd: [process.execPath, "scripts/compile-contracts.js"] };
// Then every TypeScript file the jobs load, transpiled into scripts/register-ts.js's cache, one
// process per core (scripts/warm-ts-cache.js): on a fresh clone the cache is empty, and the first
// jobs, started together, each transpiled the same few hundred files for themselves.
const CORES = os.availableParallelism?.() ?? os.cpus().length;
const transpile = Array.from({ length: CORES }, (_, part) => ({
  name: `transpile ${part + 1}/${CORES}`,
  cmd: [process.execPath, "scripts/warm-ts-cache.js", `${part}/${CORES}`],
}));
const jobs = [
  { name: "typecheck", cmd: ["npx", "tsc", "--noEmit", "-p", "."], seconds: 90, cpuBound: true },
  ...group(contractSuites).map((files) => ({
    name: `contracts: ${named(files)}`,
    cmd: [process.execPath, "node_modules/.bin/hardhat", "test", "--no-compile", ...files],
    env: { FIRSTMILE_MOCHA_REPORTER: REPORTER },
    mocha: true,
    cpuBound: true,
    seconds: files.reduce((sum, file) => sum + secondsOf(file), 0),
  })),
  ...group(gatewaySuites).map((files) => ({
    name: `gateway: ${named(files)}`,
    cmd: [process.execPath, ...NODE_FLAGS, "node_modules/.bin/mocha", ...MOCHA_SETTINGS, "--reporter", REPORTER, ...files],
    mocha: true,
    seconds: files.reduce((sum, file) => sum + secondsOf(file), 0),
  })),
  // The CPU-bound jobs (which cannot overlap a wait) first, then the waiting ones, each longest
  // first: started late, the contract invariants got a tenth of a core among the waiting suites.
].sort((a, b) => Number(Boolean(b.cpuBound)) - Number(Boolean(a.cpuBound)) || b.seconds - a.seconds);

/** A command line as printed: the settings every mocha job shares are left out. */
const shown = (cmd) => cmd.filter((arg) => !MOCHA_SETTINGS.includes(arg)).join(" ");

/**
 * Where the run's files go: memory (/dev/shm) when it has room. The suites copy and remove
 * thousands of small files (a PGlite data dir is about 1,200 files and 41 MB, copied from a template
 * for every database a suite opens) and their databases and nodes write and sync as they run; on a
 * disk that was a tenth of the run, much of it with the job's event loop blocked in a sync call.
 */
const MEMORY_FS = "/dev/shm";
const MEMORY_FS_NEEDED = 6 * 1024 ** 3;
function runFilesBase() {
  if (process.env.FIRSTMILE_TEST_ON_DISK === "1") return os.tmpdir();
  try {
    fs.accessSync(MEMORY_FS, fs.constants.W_OK);
    const { bavail, bsize } = fs.statfsSync(MEMORY_FS);
    return bavail * bsize >= MEMORY_FS_NEEDED ? MEMORY_FS : os.tmpdir();
  } catch {
    return os.tmpdir();
  }
}

/**
 * The run's shared templates and PostgreSQL server (test/helpers/sharedTemplate.ts, engines.ts),
 * and every job's temporary files (its TMPDIR), removed when the run ends. Readable by others: as
 * root, the server runs as the postgres user.
 */
// Short names: a gateway's control socket lies in its data dir, and a Unix socket's path may not
// be longer than 107 bytes.
const runDir = fs.mkdtempSync(path.join(runFilesBase(), "fm-run-"));
fs.chmodSync(runDir, 0o755);
const runTmp = path.join(runDir, "t");
fs.mkdirSync(runTmp);
fs.chmodSync(runTmp, 0o1777);

/** Stops the run's PostgreSQL server, if a suite started one, and removes the run's directory. */
function endRun() {
  try {
    const { pgCtl, dataDir } = JSON.parse(fs.readFileSync(path.join(runDir, "postgres", ".template.json"), "utf8"));
    const args = ["-D", dataDir, "-m", "immediate", "-w", "stop"];
    if (process.getuid?.() === 0) spawnSync("runuser", ["-u", "postgres", "--", pgCtl, ...args], { stdio: "ignore" });
    else spawnSync(pgCtl, args, { stdio: "ignore" });
  } catch {
    // no server was started
  }
  fs.rmSync(runDir, { recursive: true, force: true });
}

/** Runs one job with its stdout and stderr captured together; resolves with its exit and output. */
function run(job) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(job.cmd[0], job.cmd.slice(1), {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, FIRSTMILE_TEST_RUN_DIR: runDir, TMPDIR: runTmp, ...job.env },
    });
    const chunks = [];
    child.stdout.on("data", (chunk) => chunks.push(chunk));
    child.stderr.on("data", (chunk) => chunks.push(chunk));
    child.once("error", (error) => chunks.push(Buffer.from(`${error.message}\n`)));
    child.once("close", (code, signal) => {
      const output = Buffer.concat(chunks).toString("utf8");
      const seconds = (Date.now() - started) / 1000;
      const status = code === 0 ? "ok" : `exit ${code ?? signal}`;
      process.stdout.write(`\n== ${job.name}: ${shown(job.cmd)}\n${output}== ${job.name}: ${status}, ${seconds.toFixed(0)} s\n`);
      resolve({ job, code, output, seconds });
    });
  });
}

/** Of a failed job's output, mocha's list of failures (its last 200 lines), else the output's last 60 lines. */
function failureReport(output) {
  const lines = output.split("\n");
  const failing = lines.findIndex((line) => /^\s*\d+ failing\s*$/.test(line));
  return (failing >= 0 ? lines.slice(failing, failing + 200) : lines.slice(-60)).join("\n");
}

/** Runs `jobs` in order, at most `limit` at once; resolves with every result. */
async function runAll(list, limit) {
  const results = [];
  let next = 0;
  const lane = async () => {
    while (next < list.length) results.push(await run(list[next++]));
  };
  await Promise.all(Array.from({ length: Math.min(limit, list.length) }, lane));
  return results;
}

(async () => {
  const started = Date.now();
  let passed = 0;
  let failed = 0;
  let broken = false;
  const compiled = await run(compile);
  const transpiled = compiled.code === 0 ? await Promise.all(transpile.map(run)) : [];
  const results = [];
  if (compiled.code !== 0 || transpiled.some(({ code }) => code !== 0)) {
    failed += 1;
    broken = true;
  } else {
    try {
      results.push(...(await runAll(jobs, JOBS)));
    } finally {
      endRun();
    }
    for (const { job, code, output } of results) {
      if (job.mocha) {
        passed += Number(/(\d+) passing/.exec(output)?.[1] ?? 0);
        failed += Number(/(\d+) failing/.exec(output)?.[1] ?? 0);
      }
      if (code !== 0) {
        broken = true;
        // A job that failed without a mocha tally (the typecheck, a crashed run) counts once.
        if (!job.mocha || !/(\d+) failing/.test(output)) failed += 1;
      }
    }
  }
  // A failure is printed again at the end: a log cut to its last lines still says what failed.
  for (const { job, code, output } of [compiled, ...transpiled, ...results]) {
    if (code === 0) continue;
    console.log(`\n== failed: ${job.name}\n${failureReport(output)}`);
  }
  console.log(`\njobs (${JOBS} at once), longest first:`);
  for (const { job, seconds } of [compiled, ...transpiled, ...results].sort((a, b) => b.seconds - a.seconds)) {
    console.log(`  ${seconds.toFixed(0).padStart(5)} s  ${job.name}`);
  }
  console.log(`\n${passed} passed, ${failed} failed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.exit(broken || failed > 0 ? 1 : 0);
})();

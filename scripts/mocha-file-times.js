// Mocha's spec reporter, followed by each test file's wall time and CPU time, slowest first: where a
// run's minutes go (scripts/test.js uses it for every suite; CI time is the budget they share).
// CPU is this process's (all its threads: PGlite's worker, the in-process Hardhat network) plus
// that of the child processes it waited for (anvil, Chromium, `firstmile start`), read from
// /proc/self/stat; where /proc is missing only the process's own is counted.
const fs = require("node:fs");
const path = require("node:path");
const Mocha = require("mocha");

const { EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_RUN_END } = Mocha.Runner.constants;

/** CPU seconds used so far by this process and its reaped children. */
function cpuSeconds() {
  const own = process.cpuUsage();
  let children = 0;
  try {
    // Fields after the command name (which may hold spaces): cutime and cstime are the 14th and 15th.
    const fields = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
    children = (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    // no /proc: own time only
  }
  return (own.user + own.system) / 1e6 + children;
}

class SpecWithFileTimes extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const files = new Map();
    // A file's top-level suites run one after another: its time is theirs added up.
    const topLevel = (suite) => suite.file && suite.parent && suite.parent.root;
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (!topLevel(suite)) return;
      const entry = files.get(suite.file) ?? { ms: 0, cpu: 0, since: 0, cpuSince: 0 };
      entry.since = Date.now();
      entry.cpuSince = cpuSeconds();
      files.set(suite.file, entry);
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      if (!topLevel(suite)) return;
      const entry = files.get(suite.file);
      entry.ms += Date.now() - entry.since;
      entry.cpu += cpuSeconds() - entry.cpuSince;
    });
    runner.once(EVENT_RUN_END, () => {
      const slowest = [...files.entries()].sort((a, b) => b[1].ms - a[1].ms).filter(([, { ms }]) => ms >= 1000);
      if (slowest.length === 0) return;
      console.log("  files taking a second or more (wall, CPU):");
      for (const [file, { ms, cpu }] of slowest) {
        console.log(`  ${(ms / 1000).toFixed(1).padStart(7)} s ${cpu.toFixed(1).padStart(7)} s  ${path.relative(process.cwd(), file)}`);
      }
      console.log("");
    });
  }
}

module.exports = SpecWithFileTimes;

// Mocha's spec reporter, followed by each test file's wall time, slowest first: where a run's
// minutes go (scripts/test.js uses it for the gateway suites; CI time is the budget they share).
const path = require("node:path");
const Mocha = require("mocha");

const { EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_RUN_END } = Mocha.Runner.constants;

class SpecWithFileTimes extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const files = new Map();
    // A file's top-level suites run one after another: its time is theirs added up.
    const topLevel = (suite) => suite.file && suite.parent && suite.parent.root;
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (!topLevel(suite)) return;
      const entry = files.get(suite.file) ?? { ms: 0, since: 0 };
      entry.since = Date.now();
      files.set(suite.file, entry);
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      if (!topLevel(suite)) return;
      const entry = files.get(suite.file);
      entry.ms += Date.now() - entry.since;
    });
    runner.once(EVENT_RUN_END, () => {
      const slowest = [...files.entries()].sort((a, b) => b[1].ms - a[1].ms).filter(([, { ms }]) => ms >= 1000);
      if (slowest.length === 0) return;
      console.log("  files taking a second or more:");
      for (const [file, { ms }] of slowest) console.log(`  ${(ms / 1000).toFixed(1).padStart(7)} s  ${path.relative(process.cwd(), file)}`);
      console.log("");
    });
  }
}

module.exports = SpecWithFileTimes;

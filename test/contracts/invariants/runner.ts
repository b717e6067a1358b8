import fc from "fast-check";
import { sequencesFor, type Scenario, type Step } from "./commands";
import { INTENDED_RULES, InvariantViolation, startHarness, type StepTally } from "./harness";

/**
 * Runs random sequences against the contracts with fast-check and, on failure, reports the shrunk
 * counterexample as a mocha test that replays it (paste it into a test file next to this one).
 */

export interface FuzzParameters {
  /** Name of the run, for the report. */
  name: string;
  scenario: Scenario;
  runs: number;
  maxCommands: number;
  seed: number;
  /** fast-check's replay path of a failure reported earlier; with the same seed it replays only that case. */
  path?: string;
  /** Stop generating and shrinking after this long (ms); the smallest failure found so far is reported. */
  timeLimitMs?: number;
}

/** A failed run: the replayable report. */
export class CounterexampleError extends Error {
  override name = "CounterexampleError";
}

export interface FuzzSummary {
  runs: number;
  tally: StepTally;
}

export async function fuzzContracts(parameters: FuzzParameters): Promise<FuzzSummary> {
  const tally: StepTally = {};
  const property = fc.asyncProperty(sequencesFor(parameters.scenario, parameters.maxCommands), async (steps) => {
    const harness = await startHarness({ rules: INTENDED_RULES });
    harness.tally = tally;
    for (const step of steps) await step.run(harness);
  });
  const details = await fc.check(property, {
    seed: parameters.seed,
    numRuns: parameters.runs,
    ...(parameters.path ? { path: parameters.path } : {}),
    // Shrinking replays sequences on chain: past the time limit the smallest failure so far is reported.
    ...(parameters.timeLimitMs ? { interruptAfterTimeLimit: parameters.timeLimitMs } : {}),
  });
  if (!details.failed) return { runs: details.numRuns, tally };
  throw new CounterexampleError(report(parameters, details));
}

function report(parameters: FuzzParameters, details: fc.RunDetails<[Step[]]>): string {
  const error = details.errorInstance;
  const violation = error instanceof InvariantViolation ? error : null;
  const message = error instanceof Error ? error.message : String(error);
  const lines = [
    `${parameters.name}: counterexample after ${details.numRuns} sequence(s), shrunk ${details.numShrinks} time(s)`,
    `seed ${details.seed}, path "${details.counterexamplePath}"`,
    `replay: FUZZ_SEED=${details.seed} FUZZ_PATH="${details.counterexamplePath}" (with the same scenario)`,
    "",
    message,
  ];
  if (violation) {
    lines.push(
      "",
      "Ready-to-paste test (test/contracts/invariants/):",
      "",
      `  it("replays ${parameters.name} (seed ${details.seed}, path ${details.counterexamplePath})", async () => {`,
      "    const h = await startHarness();",
      ...violation.transcript.map((line) => `    ${line}`),
      "  });",
    );
  }
  return lines.join("\n");
}

import fc from "fast-check";
import { sequencesFor, type Scenario, type Step } from "./commands";
import { INTENDED_RULES, InvariantViolation, startHarness, type StepTally } from "./harness";
import type { Action } from "./model";

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
  /** Print the sequences and steps run so far every this many sequences (long runs), or never. */
  progressEvery?: number;
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
  const started = Date.now();
  let sequences = 0;
  const property = fc.asyncProperty(sequencesFor(parameters.scenario, parameters.maxCommands), async (steps) => {
    const harness = await startHarness({ rules: INTENDED_RULES });
    harness.tally = tally;
    for (const step of steps) await step.run(harness);
    sequences += 1;
    if (parameters.progressEvery && sequences % parameters.progressEvery === 0) {
      const calls = Object.values(tally).reduce((sum, counts) => sum + counts.accepted + counts.refused, 0);
      console.log(`      ${sequences} sequences, ${calls} calls, ${Math.round((Date.now() - started) / 1000)} s`);
    }
  });
  const details = await fc.check(property, {
    seed: parameters.seed,
    numRuns: parameters.runs,
    ...(parameters.path ? { path: parameters.path } : {}),
    // fast-check's shrinking replays whole sequences on chain, which is slow; the failing actions
    // are minimized below instead, one replay per action.
    endOnFailure: true,
  });
  if (!details.failed) return { runs: details.numRuns, tally };
  const error = details.errorInstance;
  const minimal = error instanceof InvariantViolation ? await minimize(error) : null;
  throw new CounterexampleError(report(parameters, details, minimal));
}

/** Replays `actions` on a fresh network; the violation they end in, if any. */
async function replay(actions: readonly Action[]): Promise<InvariantViolation | null> {
  const harness = await startHarness({ rules: INTENDED_RULES });
  try {
    for (const action of actions) await harness.step(action);
  } catch (error) {
    if (error instanceof InvariantViolation) return error;
    throw error;
  }
  return null;
}

/**
 * Drops every action the failure does not need (from the last but one backward; the last is the
 * failing one), keeping a drop when the shorter sequence still fails the same way (same invariant,
 * or the same kind of disagreement).
 */
async function minimize(failure: InvariantViolation): Promise<InvariantViolation> {
  let smallest = failure;
  // A drop can make an earlier one possible (an action only a dropped one depended on): repeat
  // until a pass drops nothing.
  for (let before = Infinity; smallest.actions.length < before; ) {
    before = smallest.actions.length;
    for (let index = smallest.actions.length - 2; index >= 0; index -= 1) {
      const candidate = smallest.actions.filter((_, position) => position !== index);
      const again = await replay(candidate);
      if (again && again.kind === failure.kind) smallest = again;
    }
  }
  return smallest;
}

function report(parameters: FuzzParameters, details: fc.RunDetails<[Step[]]>, minimal: InvariantViolation | null): string {
  const error = details.errorInstance;
  const lines = [
    `${parameters.name}: counterexample in sequence ${details.numRuns} of seed ${details.seed}`,
    `replay: FUZZ_SEED=${details.seed} FUZZ_PATH="${details.counterexamplePath}" (same scenario)`,
    "",
    minimal ? minimal.message : error instanceof Error ? (error.stack ?? error.message) : String(error),
  ];
  if (minimal) {
    lines.push(
      "",
      `Ready-to-paste test (${minimal.actions.length} of ${error instanceof InvariantViolation ? error.actions.length : "?"} steps; test/contracts/invariants/, import { startHarness } from "./harness"):`,
      "",
      `  it("replays ${parameters.name}, seed ${details.seed}, path ${details.counterexamplePath}", async () => {`,
      "    const h = await startHarness();",
      ...minimal.transcript.map((line) => `    ${line}`),
      "  });",
    );
  }
  return lines.join("\n");
}

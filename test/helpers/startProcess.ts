import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

import { TEST_NODE_ENV, TEST_NODE_FLAGS } from "./testNode";

const ROOT = path.resolve(__dirname, "..", "..");

/** `firstmile start` running as a child process: its exit, and everything it printed so far. */
export type StartProcess = {
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** stdout and stderr together, in the order they came. */
  output: () => string;
};

/**
 * Starts `firstmile start` as `npm start` runs it, with only `env` (and PATH, HOME) for its
 * environment, on the test run's block time unless `env` names another, with the test process's
 * V8 flags.
 */
export function startProcess(env: Record<string, string>): StartProcess {
  const output: Buffer[] = [];
  const child = spawn(process.execPath, [...TEST_NODE_FLAGS, "-r", "./scripts/register-ts.js", "src/cli/index.ts", "start"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...TEST_NODE_ENV, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (chunk: Buffer) => output.push(chunk));
  child.stderr!.on("data", (chunk: Buffer) => output.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return { process: child, exited, output: () => Buffer.concat(output).toString("utf8") };
}

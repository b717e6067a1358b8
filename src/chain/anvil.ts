import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

/** How to run the embedded EVM node. */
export interface AnvilOptions {
  /** Directory for the node's state file (created if missing). */
  stateDir: string;
  host?: string;
  port: number;
  chainId?: number;
  /** Seconds per block (default 1; fractions allowed). Interval mining: anvil's automine can leave transactions unmined under bursts. */
  blockTime?: number;
  /**
   * Seconds between writes of the whole state (default 1), so that the chain survives the node
   * being killed. The node also writes it when stopped (SIGINT). Each write serialises every block
   * and log: test runs, which always stop their nodes, write less often.
   */
  stateInterval?: number;
  /**
   * Development accounts to create (anvil's default 10, from the public test mnemonic). 0 for a
   * node that stands in for a real network: no account a public key could sign for.
   */
  accounts?: number;
  /** Block gas limit, raised so batches of hundreds of lots fit in one block. */
  gasLimit?: bigint;
  /** Where the node's own log goes; defaults to `<stateDir>/anvil.log`. */
  logFile?: string;
  /** How long to wait for the node to answer JSON-RPC. */
  startTimeoutMs?: number;
}

export interface RunningAnvil {
  url: string;
  stateFile: string;
  process: ChildProcess;
  /** Stops the node, letting it write its state (SIGINT), and waits for it to exit. */
  stop(): Promise<void>;
}

/** The node could not be started (missing binary, port taken, no answer). */
export class AnvilStartError extends Error {
  override name = "AnvilStartError";
}

export const EMBEDDED_CHAIN_ID = 31337;

/** The anvil binary shipped inside the npm package for this platform (no download at run time). */
export function anvilBinary(): string {
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const platformPackage = `@foundry-rs/anvil-${process.platform}-${arch}/package.json`;
  try {
    return path.join(path.dirname(require.resolve(platformPackage)), "bin", "anvil");
  } catch {
    throw new AnvilStartError(`the anvil binary for ${process.platform}-${arch} is not installed (npm package ${platformPackage})`);
  }
}

/**
 * Starts anvil as a persistent local chain: state is loaded from and written to
 * `<stateDir>/state.json` (every second, or every `stateInterval`, and on exit), so lots survive a restart.
 */
export async function startAnvil(options: AnvilOptions): Promise<RunningAnvil> {
  const host = options.host ?? "127.0.0.1";
  fs.mkdirSync(options.stateDir, { recursive: true });
  const stateFile = path.join(options.stateDir, "state.json");
  const logFile = options.logFile ?? path.join(options.stateDir, "anvil.log");
  const args = [
    "--host", host,
    "--port", String(options.port),
    "--chain-id", String(options.chainId ?? EMBEDDED_CHAIN_ID),
    "--hardfork", "cancun",
    "--block-time", String(options.blockTime ?? 1),
    "--gas-limit", String(options.gasLimit ?? 1_000_000_000n),
    "--state", stateFile,
    "--state-interval", String(options.stateInterval ?? 1),
    ...(options.accounts === undefined ? [] : ["--accounts", String(options.accounts)]),
  ];
  // Another process answering on the port would look like our node: refuse up front.
  if (!(await portIsFree(host, options.port))) {
    throw new AnvilStartError(`port ${options.port} on ${host} is in use: another chain node or gateway runs there (set FIRSTMILE_CHAIN_PORT)`);
  }
  const log = fs.openSync(logFile, "a");
  const child = spawn(anvilBinary(), args, { stdio: ["ignore", log, log] });
  fs.closeSync(log);
  const url = `http://${host}:${options.port}`;

  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = `exited with ${signal ?? `code ${code}`}`;
      resolve();
    });
  });

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    if (exited) {
      throw new AnvilStartError(`anvil ${exited} before answering on ${url} (port in use? see ${logFile})`);
    }
    if (await answers(url)) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new AnvilStartError(`anvil did not answer on ${url} within ${options.startTimeoutMs ?? 30_000} ms`);
    }
    await sleep(100);
  }

  return {
    url,
    stateFile,
    process: child,
    async stop() {
      if (exited) return;
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

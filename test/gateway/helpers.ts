import fs from "node:fs";
import path from "node:path";
import pino from "pino";
import { describeConfig, loadConfig, type Config } from "../../src/config";
import { sendControlCommand } from "../../src/gateway/controlSocket";
import { startGateway, type Gateway } from "../../src/gateway/startGateway";
import { copyChainTemplate } from "../helpers/chainTemplate";
import { copyMigratedPglite } from "../helpers/engines";
import { freePort } from "../helpers/ports";
import { TEST_NODE, TEST_NODE_ENV } from "../helpers/testNode";

/** A gateway started in this process on a temp data dir and free ports; its JSON logs go to `logFile`. */
export type TestGateway = { gateway: Gateway; config: Config; dataDir: string; logFile: string; env: Record<string, string> };

/**
 * Starts the embedded profile on `dataDir`. A new data dir gets the test run's templates first
 * (an initialised PGlite, the chain with the contracts deployed), so the gateway starts as it
 * restarts, without initdb and without deploying; a data dir that has them is used as it is.
 */
export async function startTestGateway(dataDir: string, env: Record<string, string> = {}): Promise<TestGateway> {
  const pgdata = path.join(dataDir, "pgdata");
  if (!fs.existsSync(pgdata)) await copyMigratedPglite(pgdata);
  if (!fs.existsSync(path.join(dataDir, "chain"))) await copyChainTemplate(dataDir);
  const fullEnv = {
    FIRSTMILE_DATA_DIR: dataDir,
    FIRSTMILE_PORT: String(await freePort()),
    FIRSTMILE_CHAIN_PORT: String(await freePort()),
    FIRSTMILE_LOG_LEVEL: "debug",
    // The relay is woken by every request it is handed; the poll finds only retries that came due.
    // Every 1 s, as a gateway runs: at 200 ms an idle test gateway spent a quarter more CPU.
    FIRSTMILE_RELAY_POLL_INTERVAL_MS: "1000",
    ...TEST_NODE_ENV,
    ...env,
  };
  const config = withTestNode(loadConfig({ env: fullEnv, cwd: dataDir }));
  const logFile = path.join(dataDir, "gateway.log");
  const logger = pino({ level: config.log.level }, pino.destination({ dest: logFile, sync: true, append: true }));
  const gateway = await startGateway({ config, logger });
  return { gateway, config, dataDir, logFile, env: fullEnv };
}

/** The config with the test run's fewer state writes for the anvil it starts (its block time comes from the environment). */
function withTestNode(config: Config): Config {
  return config.chain.node ? { ...config, chain: { ...config.chain, node: { ...config.chain.node, stateInterval: TEST_NODE.stateInterval } } } : config;
}

/** `firstmile members add` through the running gateway's control socket. */
export async function addMemberThroughGateway(
  gateway: Gateway,
  body: { roles: string[]; country: string; accounts?: string[]; custodialAccounts?: number },
): Promise<{ memberId: string; accounts: Array<{ address: string; custodial: boolean }>; token: string }> {
  const answer = await sendControlCommand(gateway.controlSocket!, "POST", "/members", body);
  if (!answer || answer.status !== 200) throw new Error(`members add failed: ${JSON.stringify(answer)}`);
  return answer.body as { memberId: string; accounts: Array<{ address: string; custodial: boolean }>; token: string };
}

export type Answer = { status: number; headers: Headers; body: any };

/** A small HTTP client for the gateway's API. */
export function client(base: string, token?: string) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, headers: response.headers, body: parsed };
  };
  return {
    get: (path: string, headers?: Record<string, string>) => call("GET", path, undefined, headers),
    post: (path: string, body: unknown, headers?: Record<string, string>) => call("POST", path, body, headers),
    patch: (path: string, body: unknown, headers?: Record<string, string>) => call("PATCH", path, body, headers),
    /** Polls a request until it is mined or failed; returns every status seen on the way. */
    async settle(id: string, timeoutMs = 30_000): Promise<{ final: any; seen: string[] }> {
      const seen: string[] = [];
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const answer = await call("GET", `/v1/requests/${id}`);
        if (answer.status !== 200) throw new Error(`GET /v1/requests/${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
        if (seen[seen.length - 1] !== answer.body.status) seen.push(answer.body.status);
        if (answer.body.status === "mined" || answer.body.status === "failed") return { final: answer.body, seen };
        if (Date.now() > deadline) throw new Error(`request ${id} still ${answer.body.status}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

/** Polls GET /readyz until it answers 200 (the indexer is following the head), or throws with the last answer. */
export async function waitUntilReady(base: string, timeoutMs = 30_000): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await client(base).get("/readyz");
    if (answer.status === 200) return answer;
    if (Date.now() > deadline) throw new Error(`not ready: ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function delivery(grams: number, form = 1) {
  return { form, grams: String(grams), metadata: `0x${"ab".repeat(32)}`, origin: `0x${"cd".repeat(32)}` };
}

/**
 * A gateway started in this process from `env` alone: no PGlite template and no embedded chain
 * port added, for a gateway on an external node and PostgreSQL. What `firstmile start` prints (the
 * config banner, then the progress lines) is appended to `printed` as it happens, so it can be
 * read even when the start fails; the JSON logs go to `<dataDir>/gateway.log`.
 */
export async function startConfiguredTestGateway(dataDir: string, env: Record<string, string>, printed: string[] = []): Promise<TestGateway & { printed: string[] }> {
  const fullEnv = { FIRSTMILE_DATA_DIR: dataDir, FIRSTMILE_PORT: String(await freePort()), FIRSTMILE_LOG_LEVEL: "debug", FIRSTMILE_RELAY_POLL_INTERVAL_MS: "1000", ...env };
  const config = loadConfig({ env: fullEnv, cwd: dataDir });
  printed.push(...describeConfig(config).split("\n"));
  fs.mkdirSync(dataDir, { recursive: true });
  const logFile = path.join(dataDir, "gateway.log");
  const logger = pino({ level: config.log.level }, pino.destination({ dest: logFile, sync: true, append: true }));
  const gateway = await startGateway({ config, logger, log: (line) => printed.push(line) });
  return { gateway, config, dataDir, logFile, env: fullEnv, printed };
}

/**
 * Relay throughput, accepted to mined: N mints (default 10,000, BENCH_N) sent one per HTTP request
 * (BENCH_CONCURRENCY in flight, default 256, through undici's pool) to a gateway started as
 * `npm start` starts it, with batching on (coalesced mintBatch calls, up to 50 calls per
 * executeBatch) and off (one call per transaction), next to a raw sender that encodes, signs and
 * sends the same mints with eth_sendRawTransaction to the same anvil node in the same run. Both
 * sides pay for their encoding and signing. Throughput = N / (first request sent -> last lot on
 * chain). Each run starts once the gateway has indexed the previous run's lots. Prints a table,
 * writes bench/out/relay.json; never fails on a figure. The gateway runs without the demo story
 * (FIRSTMILE_DEMO=0); BENCH_PROFILE=<dir> writes CPU profiles of its threads there,
 * BENCH_NODE_FLAGS adds node flags, FIRSTMILE_DATABASE_THREAD=main compares PGlite on one thread.
 *
 * Measured with nothing else running on the 2-core development machine, N = 10,000, nine runs:
 * batched 1,448-1,920 lots/s in seven, 979 and 982 in two where the raw sender was 20-25% slower
 * too (median 1,614); HTTP intake 1,078-2,323 requests/s, 1.30-1.93x the raw sender, accept p50 93-218 ms
 * and p99 278-845 ms with 256 in flight, gateway CPU 0.56-0.92 ms a lot on two threads.
 * docs/gateway.md ("Throughput") has what changed and where the time goes. BENCH_LOG_LEVEL=debug
 * logs a line per request.
 *
 *   npm run bench:relay            BENCH_N=2000 BENCH_N_UNBATCHED=500 npm run bench:relay
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Transaction, type Interface, Wallet, parseEther, type SigningKey } from "ethers";
import { Pool } from "undici";
import { sendControlCommand } from "../src/gateway/controlSocket";
import { useNativeKeccak } from "../src/chain/nativeKeccak";
import { lotRegistryInterface } from "../src/chain/contracts";
import { GATEWAY_NODE_FLAGS, dataPaths } from "../src/config";
import { printTable, writeFigures } from "./report";

const ROOT = path.resolve(__dirname, "..");
const N = Number(process.env.BENCH_N ?? 10_000);
const N_UNBATCHED = Number(process.env.BENCH_N_UNBATCHED ?? N);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 256);
const LOT_ID_BASE = 1_000_000_000n;
const REGISTRY: Interface = lotRegistryInterface;

type Gateway = { child: ChildProcess; url: string; chainUrl: string; dataDir: string; registry: string; stop(): Promise<void> };
type Run = { name: string; lots: number; seconds: number; latencies?: number[]; cpu: Record<string, number>; stats?: unknown };

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-bench-relay-"));
  const ports = { http: await freePort(), chain: await freePort() };
  const runs: Run[] = [];
  console.log(`keccak: ${useNativeKeccak() ? "native addon" : "JavaScript"} (the gateway uses the same)`);
  let gateway: Gateway | null = null;
  try {
    const batched = (gateway = await startGateway(dir, ports, { FIRSTMILE_RELAY_BATCH_SIZE: "50" }));
    const socket = dataPaths(batched.dataDir).controlSocket;
    const coop = await control(socket, { roles: ["cooperative"], country: "ID" });
    const rawWallet = Wallet.createRandom();
    await control(socket, { roles: ["cooperative"], country: "ID", accounts: [rawWallet.address], token: false });
    await rpc(batched.chainUrl, "eth_sendTransaction", [{ from: (await rpc(batched.chainUrl, "eth_accounts", []))[0], to: rawWallet.address, value: `0x${parseEther("1000").toString(16)}` }]);
    await waitFor(async () => BigInt(await rpc(batched.chainUrl, "eth_getBalance", [rawWallet.address, "latest"])) > 0n, 10_000);
    const account = coop.accounts[0]!.address;

    // Raw before and after the relay: the machine's load drifts (other work on it), so the relay is
    // compared with the mean of the two.
    console.log(`raw: ${N} mints signed and sent by the client itself (eth_sendRawTransaction)`);
    // Each run starts once the gateway has indexed the previous one's lots: neither side pays for
    // the read model of the other's.
    runs.push(await runRaw(batched, rawWallet.signingKey, rawWallet.address, N, "raw eth_sendRawTransaction, before"));
    await indexed(batched);
    console.log(`relay, batching on: ${N} mints through HTTP`);
    runs.push(await runHttp("relay, batched (50 calls/tx, coalesced mints)", batched, coop.token, account, N));
    await indexed(batched);
    console.log(`raw again: ${N} mints`);
    runs.push(await runRaw(batched, rawWallet.signingKey, rawWallet.address, N, "raw eth_sendRawTransaction, after"));
    await batched.stop();
    gateway = null;

    const unbatched = (gateway = await startGateway(dir, ports, { FIRSTMILE_RELAY_BATCH_SIZE: "1" }));
    console.log(`relay, batching off: ${N_UNBATCHED} mints through HTTP`);
    runs.push(await runHttp("relay, unbatched (1 call/tx)", unbatched, coop.token, account, N_UNBATCHED));
    await unbatched.stop();
    gateway = null;
  } finally {
    await gateway?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const [rawBefore, batched, rawAfter, unbatched] = runs as [Run, Run, Run, Run];
  const rate = (run: Run) => run.lots / run.seconds;
  const rawRate = (rate(rawBefore) + rate(rawAfter)) / 2;
  const pct = (run: Run, p: number) => (run.latencies ? percentile(run.latencies, p).toFixed(1) : "-");
  console.log("");
  printTable(
    ["mode", "lots", "seconds", "lots/s", "vs raw (mean)", "accept p50 ms", "accept p99 ms", "CPU s: client", "gateway", "anvil", "stolen"],
    runs.map((run) => [
      run.name,
      run.lots,
      run.seconds.toFixed(2),
      rate(run).toFixed(0),
      `${(rate(run) / rawRate).toFixed(2)}x`,
      pct(run, 50),
      pct(run, 99),
      run.cpu.client!.toFixed(1),
      run.cpu.gateway === undefined ? "-" : run.cpu.gateway.toFixed(1),
      run.cpu.anvil!.toFixed(1),
      run.cpu.steal!.toFixed(1),
    ]),
  );
  for (const run of [batched, unbatched]) {
    const stats = run.stats as { requests: number; calls: number; transactions: number; phases: Record<string, { ms: number; count: number }> } | undefined;
    if (!stats) continue;
    console.log(`\nrelay worker, ${run.name}: ${stats.requests} requests in ${stats.calls} signed calls and ${stats.transactions} transactions`);
    printTable(
      ["phase (wall time, worker)", "ms", "times", "ms per lot"],
      Object.entries(stats.phases)
        .sort((a, b) => b[1].ms - a[1].ms)
        .map(([phase, { ms, count }]) => [phase, ms.toFixed(0), count, (ms / run.lots).toFixed(3)]),
    );
  }
  const file = writeFigures("relay", {
    batched_vs_raw: round(rate(batched) / rawRate, 3),
    lots_per_s: Math.round(rate(batched)),
    accept_p50_ms: round(percentile(batched.latencies!, 50), 2),
    accept_p99_ms: round(percentile(batched.latencies!, 99), 2),
    raw_lots_per_s: Math.round(rawRate),
    unbatched_lots_per_s: Math.round(rate(unbatched)),
    unbatched_vs_raw: round(rate(unbatched) / rawRate, 3),
    unbatched_accept_p99_ms: round(percentile(unbatched.latencies!, 99), 2),
    gateway_cpu_ms_per_lot: round((batched.cpu.gateway! * 1000) / batched.lots, 2),
    // CPU seconds taken by other guests of the host during the batched run (0 on a machine of one's own).
    batched_run_stolen_cpu_s: round(batched.cpu.steal!, 2),
    raw_client_cpu_ms_per_lot: round(((rawBefore.cpu.client! + rawAfter.cpu.client!) * 1000) / (rawBefore.lots + rawAfter.lots), 2),
    n: N,
  });
  console.log(`\nwrote ${path.relative(ROOT, file)}`);
}

/** The raw baseline: the client encodes each mint, signs each transaction and sends them in JSON-RPC batches. */
async function runRaw(gateway: Gateway, key: SigningKey, address: string, n: number, name: string): Promise<Run> {
  const chainId = BigInt(await rpc(gateway.chainUrl, "eth_chainId", []));
  const block = await rpc(gateway.chainUrl, "eth_getBlockByNumber", ["latest", false]);
  const maxFeePerGas = BigInt(block.baseFeePerGas) * 2n + 1n;
  let nonce = Number(await rpc(gateway.chainUrl, "eth_getTransactionCount", [address, "pending"]));
  const first = BigInt(await call(gateway.chainUrl, gateway.registry, "nextLotId", [address]));
  const cpu = cpuMeter(gateway);
  const started = performance.now();
  const BATCH = 200;
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < n; i += BATCH) {
    const raws: string[] = [];
    for (let j = i; j < Math.min(n, i + BATCH); j++) {
      const data = REGISTRY.encodeFunctionData("mint", [{ form: 1, grams: 500_000n + BigInt(nonce), quality: 0, metadata: `0x${"ab".repeat(32)}`, origin: `0x${"cd".repeat(32)}` }]);
      const tx = Transaction.from({ type: 2, chainId, nonce: nonce++, to: gateway.registry, data, gasLimit: 150_000n, maxFeePerGas, maxPriorityFeePerGas: 1n, value: 0n });
      tx.signature = key.sign(tx.unsignedHash);
      raws.push(tx.serialized);
    }
    sends.push(rpcBatch(gateway.chainUrl, raws.map((raw) => ["eth_sendRawTransaction", [raw]])));
    // Let the batch go out while the next one is signed (one core signs, the node takes them).
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(sends);
  await waitForLots(gateway, address, first + BigInt(n));
  const seconds = (performance.now() - started) / 1000;
  return { name, lots: n, seconds, cpu: cpu() };
}

/**
 * N single-mint HTTP requests, CONCURRENCY at a time over as many keep-alive connections;
 * throughput until the last lot is on chain. The sender is undici's connection pool: it shares
 * the two cores with the gateway and the node, and costs about half of what node:http does.
 */
async function runHttp(name: string, gateway: Gateway, token: string, account: string, n: number): Promise<Run> {
  const first = BigInt(await call(gateway.chainUrl, gateway.registry, "nextLotId", [account]));
  const pool = new Pool(gateway.url, { connections: CONCURRENCY, pipelining: 1 });
  const target = new URL(gateway.url);
  const latencies: number[] = [];
  const ids: string[] = [];
  const cpu = cpuMeter(gateway);
  const started = performance.now();
  let next = 0;
  const runId = `${name.replace(/\W+/g, "-")}-${Date.now()}`;
  const sender = async () => {
    while (next < n) {
      const i = next++;
      const body = JSON.stringify({ form: 1, grams: String(100_000 + i), metadata: `0x${"ab".repeat(32)}`, origin: `0x${"cd".repeat(32)}` });
      const sent = performance.now();
      const answer = await pool.request({
        method: "POST",
        path: "/v1/lots/mint",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "idempotency-key": `${runId}-${i}` },
        body,
      });
      const text = await answer.body.text();
      latencies.push(performance.now() - sent);
      if (answer.statusCode !== 202) throw new Error(`POST /v1/lots/mint: ${answer.statusCode} ${text}`);
      if (i % 1000 === 0) ids.push(JSON.parse(text).id);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, sender));
  const acceptedIn = (performance.now() - started) / 1000;
  await waitForLots(gateway, account, first + BigInt(n));
  const seconds = (performance.now() - started) / 1000;
  const usage = cpu();
  console.log(`  accepted in ${acceptedIn.toFixed(2)} s (${(n / acceptedIn).toFixed(0)} requests/s), all mined after ${seconds.toFixed(2)} s`);
  // The sockets may have idled past the server's keep-alive timeout while the lots were mined: a
  // reused one can be reset as the server closes it. The checks below take fresh connections.
  await pool.destroy();
  const checks = new http.Agent({ keepAlive: true, maxSockets: 4 });
  // A sample of requests must show mined with their own lot id (the record follows the chain within a poll).
  for (const id of ids) {
    let request: { status: string; outputs: { lotIds: string[] } | null } = { status: "queued", outputs: null };
    await waitFor(async () => {
      request = JSON.parse((await get(checks, target, `/v1/requests/${id}`, { authorization: `Bearer ${token}` })).body);
      return request.status === "mined" || request.status === "failed";
    }, 30_000);
    if (request.status !== "mined" || request.outputs!.lotIds.length !== 1) throw new Error(`request ${id}: ${JSON.stringify(request)}`);
  }
  const ready = JSON.parse((await get(checks, target, "/readyz", {})).body);
  checks.destroy();
  const intake = ready.checks.relay.detail.intake as { batches: number; requests: number } | undefined;
  if (intake) console.log(`  intake: ${intake.requests} requests in ${intake.batches} inserts (${(intake.requests / intake.batches).toFixed(1)} per insert)`);
  return { name, lots: n, seconds, latencies, cpu: usage, stats: ready.checks.relay.detail.worker };
}

async function startGateway(dir: string, ports: { http: number; chain: number }, extra: Record<string, string>): Promise<Gateway> {
  const dataDir = path.join(dir, "data");
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const flags = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, ...flags, ...profile, "-r", "./scripts/register-ts.js", "src/cli/index.ts", "start"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      FIRSTMILE_DATA_DIR: dataDir,
      FIRSTMILE_PORT: String(ports.http),
      FIRSTMILE_CHAIN_PORT: String(ports.chain),
      // BENCH_LOG_LEVEL=debug logs a JSON line per request: it measures what that costs.
      FIRSTMILE_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "warn",
      // The demo story would be seeded while the raw sender runs.
      FIRSTMILE_DEMO: "0",
      FIRSTMILE_RATE_LIMIT_PER_TOKEN: "1000000",
      FIRSTMILE_RATE_LIMIT_PER_IP: "1000000",
      ...(process.env.FIRSTMILE_DATABASE_THREAD ? { FIRSTMILE_DATABASE_THREAD: process.env.FIRSTMILE_DATABASE_THREAD } : {}),
      ...extra,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: Buffer[] = [];
  child.stdout!.on("data", (chunk: Buffer) => output.push(chunk));
  child.stderr!.on("data", (chunk: Buffer) => output.push(chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${ports.http}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`gateway exited:\n${Buffer.concat(output).toString().slice(-3000)}`);
    return (await fetch(`${url}/healthz`).catch(() => null))?.ok === true;
  }, 120_000);
  const deployments = JSON.parse(fs.readFileSync(dataPaths(dataDir).deploymentsFile, "utf8"));
  return {
    child,
    url,
    chainUrl: `http://127.0.0.1:${ports.chain}`,
    dataDir,
    registry: deployments.contracts.LotRegistry.address,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

async function control(socket: string, body: unknown): Promise<{ token: string; accounts: Array<{ address: string }> }> {
  const answer = await sendControlCommand(socket, "POST", "/members", body);
  if (!answer || answer.status !== 200) throw new Error(`members add: ${JSON.stringify(answer)}`);
  return answer.body as { token: string; accounts: Array<{ address: string }> };
}

/** Waits until the gateway's indexer has caught up with the head (its read model is idle). */
async function indexed(gateway: Gateway): Promise<void> {
  const head = Number(await rpc(gateway.chainUrl, "eth_blockNumber", []));
  await waitFor(async () => {
    const ready = (await (await fetch(`${gateway.url}/readyz`)).json()) as { checks: { indexer: { detail: { indexedBlock: number | null } } } };
    return (ready.checks.indexer.detail.indexedBlock ?? -1) >= head;
  }, 120_000);
}

async function waitForLots(gateway: Gateway, account: string, next: bigint): Promise<void> {
  await waitFor(async () => BigInt(await call(gateway.chainUrl, gateway.registry, "nextLotId", [account])) >= next, 600_000, 50);
}

/**
 * CPU seconds used since the call, by this process, the gateway process and its anvil node, and
 * the CPU seconds the hypervisor gave to others (steal): on a shared virtual machine the same run
 * is slower while that is high, the raw sender's figure with it.
 */
function cpuMeter(gateway: Gateway): () => Record<string, number> {
  const anvilPid = Number(fs.readFileSync(path.join(gateway.dataDir, "chain", "anvil.pid"), "utf8"));
  const client = process.cpuUsage();
  const gatewayStart = procCpu(gateway.child.pid!);
  const anvilStart = procCpu(anvilPid);
  const stealStart = stolenCpu();
  return () => {
    const used = process.cpuUsage(client);
    return {
      client: (used.user + used.system) / 1e6,
      gateway: procCpu(gateway.child.pid!) - gatewayStart,
      anvil: procCpu(anvilPid) - anvilStart,
      steal: stolenCpu() - stealStart,
    };
  };
}

/** The machine's steal time, in seconds over all CPUs (Linux /proc/stat, the `cpu` line's 8th value). */
function stolenCpu(): number {
  try {
    const fields = fs.readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/);
    return Number(fields[8] ?? Number.NaN) / 100;
  } catch {
    return Number.NaN;
  }
}

/** utime + stime of a process, in seconds (Linux /proc). */
function procCpu(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function get(agent: http.Agent, target: URL, pathname: string, headers: Record<string, string>) {
  return request(agent, target, "GET", pathname, undefined, headers);
}

function request(agent: http.Agent, target: URL, method: string, pathname: string, body: string | undefined, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: target.hostname, port: target.port, method, path: pathname, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

let rpcId = 0;
async function rpc(url: string, method: string, params: unknown[]): Promise<any> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: ++rpcId, method, params }) });
  const answer = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
  return answer.result;
}

async function rpcBatch(url: string, calls: Array<[string, unknown[]]>): Promise<void> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(calls.map(([method, params]) => ({ jsonrpc: "2.0", id: ++rpcId, method, params }))),
  });
  const answers = (await response.json()) as Array<{ error?: { message: string } }>;
  const failed = answers.find((answer) => answer.error);
  if (failed) throw new Error(`eth_sendRawTransaction: ${failed.error!.message}`);
}

async function call(url: string, to: string, fn: string, args: unknown[]): Promise<string> {
  return rpc(url, "eth_call", [{ to, data: REGISTRY.encodeFunctionData(fn, args) }, "latest"]);
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

/**
 * A product's QR code scanned by a crowd: 200 and then 1,000 clients at once, each asking again as
 * soon as it has its answer, for the demo's chocolate bar page (its GS1 Digital Link) and its JSON
 * twin, on the embedded default (anvil at one block a second, PGlite on its worker thread, the
 * indexer following), with the per-IP limits raised for the run (the clients share one address).
 * The baseline, in the same run and the same process: static bodies of the page's and the twin's
 * sizes served by `node:http`, asked for by the same clients in the same alternation. The clients
 * run in a process of their own (undici), so they never share the gateway's event loop.
 *
 * Figures:
 * - pages_per_s: pages (HTML and JSON alternately) answered per second with 200 clients
 * - p50_ms_200, p99_ms_200, p50_ms_1000, p99_ms_1000, pages_per_s_1000: latency and rate per crowd
 *   (the "raw" clients below); static_p99_ms_N: the static bodies' p99 from the same clients
 * - p50_ms_200_undici, p99_ms_200_undici, static_p99_ms_200_undici, page_vs_static_undici: the
 *   200-client crowd again from undici's clients
 * - pages_refreshed_ahead: pages made at a new block before the views were told of it (the
 *   pages being viewed are checked as the indexer takes a block, so no view waits for the chain)
 * - static_per_s: the static bodies' rate with 200 clients; page_vs_static: pages_per_s / static_per_s
 * - page_builds: how many times a page was built and checked against the chain during the run
 * - views_answered_at_once: views answered before Express, on Node's own request and response
 * - server_cpu_pct_N, static_server_cpu_pct_N: the gateway process's CPU (all its threads, % of
 *   one core) during each crowd; event_loop_p99_ms_N, event_loop_max_ms_N: its event loop's delay
 * - main_thread_us_per_page_N, main_thread_us_per_static_N: the event loop's thread's CPU per answer
 *   (from /proc; less idle_main_thread_ms_per_s, what it spends with no client); page_vs_static_cpu: their ratio,
 *   static over page, the figure page_vs_static approaches when the event loop is the limit
 * - page_local_check_ms: the page's check without the chain (heads recomputed from its events),
 *   median of 15; made once per build, a recheck at a later block asks the chain only
 * - cli_members_list_s: `firstmile members list` against the running gateway, end to end (a new node process)
 * - load_average_1m, cpus: the machine's load when measured (the figures are wall-clock)
 *
 * Targets: p99_ms_200 <= 100, page_vs_static >= 0.5, cli_members_list_s <= 2.
 *
 * Run: npm run bench:page   (PAGE_BENCH_SECONDS per crowd, default 5; PAGE_BENCH_DIR keeps the
 * seeded data dir for the next run; prints a table, writes bench/out/page.json; never fails on figures)
 *      PAGE_BENCH_PROFILE=dir   also writes the gateway process's CPU profile during each raw crowd
 *      there (page-200, static-200, ...): where a page's main-thread time goes against a static file's.
 */
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { GATEWAY_NODE_FLAGS, loadConfig } from "../src/config";
import { seedDemo } from "../src/demo/seedDemo";
import { startGateway } from "../src/gateway/startGateway";
import type { LotPassport } from "../src/web/passport/types";
import { checkPassportLocally } from "../src/web/passport/verify";
import { startNodeProfile } from "./nodeProfile";
import { printTable, writeFigures } from "./report";

const SECONDS = Number(process.env.PAGE_BENCH_SECONDS ?? 5);
const CROWDS = [200, 1_000];

/**
 * The clients, in a process of their own (so the load generator never shares the gateway's event
 * loop or its process's time): `concurrency` loops over `urls`, each request after the previous
 * answer; latencies in ms, sent back over the IPC channel. Two kinds: undici (what a Node program
 * would use), and "raw": one keep-alive socket per client writing a request made once and reading
 * the answer's length from its head, about a fifth of undici's CPU per answer. On 2 cores the
 * clients share the CPU with the gateway; the lighter they are, the more the figures say about
 * the gateway rather than about the load generator (the static file's own p99 shows which).
 */
const UNDICI_CLIENT = `
const { Agent, request } = require(process.env.PAGE_BENCH_UNDICI);
process.once("message", async ({ urls, concurrency, seconds }) => {
  const agent = new Agent({ connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const latencies = [];
  let failed = 0;
  const end = performance.now() + seconds * 1000;
  const loop = async (index) => {
    for (let i = index; performance.now() < end; i++) {
      const started = performance.now();
      try {
        const answer = await request(urls[i % urls.length], { dispatcher: agent });
        await answer.body.arrayBuffer();
        if (answer.statusCode === 200) latencies.push(performance.now() - started);
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, index) => loop(index)));
  const took = (performance.now() - started) / 1000;
  await agent.close();
  process.send({ latencies, failed, seconds: took }, () => process.exit(0));
});
`;

const RAW_CLIENT = `
const net = require("node:net");
process.once("message", async ({ urls, concurrency, seconds }) => {
  const requests = urls.map((u) => {
    const url = new URL(u);
    return Buffer.from("GET " + url.pathname + url.search + " HTTP/1.1\\r\\nHost: " + url.host + "\\r\\nAccept: */*\\r\\n\\r\\n");
  });
  const { hostname, port } = new URL(urls[0]);
  const latencies = [];
  let failed = 0;
  const end = performance.now() + seconds * 1000;
  const loop = (index) => new Promise((resolve) => {
    let i = index, started = 0, head = null, need = -1, got = 0, status = 0, socket;
    const send = () => { started = performance.now(); head = null; need = -1; got = 0; socket.write(requests[i % requests.length]); };
    const connect = () => {
      socket = net.connect(Number(port), hostname);
      socket.setNoDelay(true);
      socket.on("data", onData);
      socket.on("error", () => {});
      // A connection closed mid-answer is a failed request; the client connects again.
      socket.on("close", () => { if (performance.now() < end) { failed++; connect(); send(); } else resolve(); });
    };
    const onData = (chunk) => {
      if (need < 0) {
        head = head ? Buffer.concat([head, chunk]) : chunk;
        const at = head.indexOf("\\r\\n\\r\\n");
        if (at < 0) return;
        const text = head.subarray(0, at).toString("latin1");
        status = Number(text.slice(9, 12));
        const length = /\\r\\ncontent-length: *(\\d+)/i.exec(text);
        if (!length) { socket.destroy(); return; }
        need = Number(length[1]);
        got = head.length - at - 4;
      } else got += chunk.length;
      if (got < need) return;
      if (status === 200) latencies.push(performance.now() - started); else failed++;
      i++;
      if (performance.now() < end) send();
      else { socket.removeAllListeners("close"); socket.end(); resolve(); }
    };
    connect();
    send();
  });
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, index) => loop(index)));
  const took = (performance.now() - started) / 1000;
  process.send({ latencies, failed, seconds: took }, () => process.exit(0));
});
`;

type ClientKind = "raw" | "undici";

/** One crowd's figures, and what the gateway's process spent meanwhile. */
type Run = { perS: number; p50: number; p99: number; failed: number; cpuPct: number; loopP99: number; loopMax: number; mainUsPerAnswer: number };

/**
 * CPU seconds of this process's main thread (the event loop every answer is made on), from
 * /proc (NaN elsewhere): unlike wall-clock rates, hardly changed by what else the machine runs.
 */
function mainThreadCpuS(): number {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return Number.NaN;
  }
}

/** The main thread's CPU seconds per second with no client (the indexer following, the rechecks). */
let idleCpuPerS = 0;

/** A directory: CPU profiles of the gateway's process during the first crowd of pages and of static files. */
const PROFILE = process.env.PAGE_BENCH_PROFILE;

async function crowd(urls: string[], concurrency: number, seconds: number, kind: ClientKind = "raw", profileAs?: string): Promise<Run> {
  const client = spawn(process.execPath, ["-e", kind === "raw" ? RAW_CLIENT : UNDICI_CLIENT], { stdio: ["ignore", "inherit", "inherit", "ipc"], env: { ...process.env, PAGE_BENCH_UNDICI: require.resolve("undici") } });
  try {
    const loop = monitorEventLoopDelay({ resolution: 5 });
    const answer = new Promise<{ latencies: number[]; failed: number; seconds: number }>((resolve, reject) => {
      client.once("error", reject);
      client.once("exit", (code) => reject(new Error(`the clients' process ended (${code}) before its figures`)));
      client.once("message", (message) => resolve(message as { latencies: number[]; failed: number; seconds: number }));
    });
    const cpu = process.cpuUsage();
    const mainCpu = mainThreadCpuS();
    const started = performance.now();
    const profiled = PROFILE && profileAs ? await startNodeProfile() : null;
    loop.enable();
    client.send({ urls, concurrency, seconds });
    const { latencies, failed, seconds: took } = await answer;
    loop.disable();
    if (profiled) fs.writeFileSync(path.join(PROFILE!, `${profileAs}.cpuprofile`), JSON.stringify(await profiled()));
    const spent = process.cpuUsage(cpu);
    const mainSpent = mainThreadCpuS() - mainCpu;
    const wall = performance.now() - started;
    const sorted = Float64Array.from(latencies).sort();
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    return {
      perS: latencies.length / took,
      p50: at(0.5),
      p99: at(0.99),
      failed,
      cpuPct: ((spent.user + spent.system) / 1000 / wall) * 100,
      loopP99: loop.percentile(99) / 1e6,
      loopMax: loop.max / 1e6,
      // Less what the gateway spends with no client at all (it would spend it under any crowd).
      mainUsPerAnswer: (Math.max(0, mainSpent - idleCpuPerS * (wall / 1000)) * 1e6) / Math.max(1, latencies.length + failed),
    };
  } finally {
    client.kill();
  }
}

const round = (value: number, places = 1) => Math.round(value * 10 ** places) / 10 ** places;

async function timeCli(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const root = path.join(__dirname, "..");
  const started = performance.now();
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, [...GATEWAY_NODE_FLAGS, "-r", path.join(root, "scripts/register-ts.js"), path.join(root, "src/cli/index.ts"), ...args], { env, cwd: root }, (error, stdout, stderr) =>
      error ? reject(new Error(`${args.join(" ")}: ${stderr || stdout || error.message}`)) : resolve(),
    ),
  );
  return (performance.now() - started) / 1000;
}

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function main(): Promise<void> {
  const parent = path.join(__dirname, "out");
  fs.mkdirSync(parent, { recursive: true });
  const dataDir = process.env.PAGE_BENCH_DIR ?? fs.mkdtempSync(path.join(parent, "page-bench-"));
  const env = {
    FIRSTMILE_DATA_DIR: dataDir,
    FIRSTMILE_PORT: String(await freePort()),
    FIRSTMILE_CHAIN_PORT: String(await freePort()),
    FIRSTMILE_LOG_LEVEL: "silent",
    // One address for every client here: the limits would refuse all but a few.
    FIRSTMILE_RATE_LIMIT_PER_IP: "1000000",
    FIRSTMILE_RATE_LIMIT_PAGES_PER_IP: "1000000",
  };
  const config = loadConfig({ env, cwd: dataDir });
  const seedStarted = performance.now();
  const gateway = await startGateway({ config, log: () => {} });
  const servers: http.Server[] = [];
  try {
    const { record } = await seedDemo({ gateway, file: config.paths.demoRecord });
    const head = await gateway.governor!.provider!.getBlockNumber();
    await gateway.indexer.waitForBlock(head);
    const seedS = (performance.now() - seedStarted) / 1000;
    const link = new URL(record.chocolate_page_url);
    const pageUrl = `${gateway.url}${link.pathname}`;
    const urls = [pageUrl, `${pageUrl}?format=json`];
    const html = await (await fetch(pageUrl)).text();
    if (!html.includes("Verified against the blockchain")) throw new Error(`the chocolate bar's page is not verified: ${html.slice(0, 200)}`);

    // The baseline: the same bytes (the page and its twin, asked for alternately as above), from
    // the same process, without Express, SQL or chain.
    const body = Buffer.from(html);
    const twin = Buffer.from(await (await fetch(`${pageUrl}?format=json`)).arrayBuffer());
    const server = http.createServer((req, res) => {
      const json = req.url?.endsWith("?format=json") === true;
      const bytes = json ? twin : body;
      res.writeHead(200, { "content-type": json ? "application/json" : "text/html; charset=utf-8", "content-length": bytes.length, "cache-control": "public, max-age=5" });
      res.end(bytes);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const staticBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}/page`;
    const staticUrls = [staticBase, `${staticBase}?format=json`];

    await crowd(urls, 50, 1); // warm-up: connections, JIT, the page's first build
    const idleFrom = mainThreadCpuS();
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    idleCpuPerS = (mainThreadCpuS() - idleFrom) / 4;
    const rows: Array<Array<string | number>> = [];
    const figures: Record<string, number> = {};
    const readStats = () => ({ ...gateway.pages.stats });
    const before = readStats();
    for (const clients of CROWDS) {
      const pages = await crowd(urls, clients, SECONDS, "raw", `page-${clients}`);
      const statics = await crowd(staticUrls, clients, SECONDS, "raw", `static-${clients}`);
      rows.push([`page + twin, ${clients} clients`, round(pages.perS), round(pages.p50), round(pages.p99), pages.failed, round(pages.cpuPct, 0), round(pages.loopP99), round(pages.loopMax)]);
      rows.push([`static files, ${clients} clients`, round(statics.perS), round(statics.p50), round(statics.p99), statics.failed, round(statics.cpuPct, 0), round(statics.loopP99), round(statics.loopMax)]);
      figures[`server_cpu_pct_${clients}`] = round(pages.cpuPct, 0);
      figures[`static_server_cpu_pct_${clients}`] = round(statics.cpuPct, 0);
      figures[`event_loop_p99_ms_${clients}`] = round(pages.loopP99);
      figures[`event_loop_max_ms_${clients}`] = round(pages.loopMax);
      figures[`main_thread_us_per_page_${clients}`] = round(pages.mainUsPerAnswer, 0);
      figures[`main_thread_us_per_static_${clients}`] = round(statics.mainUsPerAnswer, 0);
      figures[`pages_per_s_${clients}`] = round(pages.perS);
      figures[`p50_ms_${clients}`] = round(pages.p50);
      figures[`p99_ms_${clients}`] = round(pages.p99);
      figures[`static_per_s_${clients}`] = round(statics.perS);
      figures[`static_p99_ms_${clients}`] = round(statics.p99);
      figures[`failed_${clients}`] = pages.failed;
    }
    // The same 200-client crowd from undici's clients, which take about as much CPU as the gateway.
    const pagesUndici = await crowd(urls, 200, SECONDS, "undici");
    const staticsUndici = await crowd(staticUrls, 200, SECONDS, "undici");
    rows.push(["page + twin, 200 undici clients", round(pagesUndici.perS), round(pagesUndici.p50), round(pagesUndici.p99), pagesUndici.failed, round(pagesUndici.cpuPct, 0), round(pagesUndici.loopP99), round(pagesUndici.loopMax)]);
    rows.push(["static files, 200 undici clients", round(staticsUndici.perS), round(staticsUndici.p50), round(staticsUndici.p99), staticsUndici.failed, round(staticsUndici.cpuPct, 0), round(staticsUndici.loopP99), round(staticsUndici.loopMax)]);
    figures.p50_ms_200_undici = round(pagesUndici.p50);
    figures.p99_ms_200_undici = round(pagesUndici.p99);
    figures.static_p99_ms_200_undici = round(staticsUndici.p99);
    figures.page_vs_static_undici = round(pagesUndici.perS / staticsUndici.perS, 2);
    figures.pages_per_s = figures.pages_per_s_200!;
    figures.static_per_s = figures.static_per_s_200!;
    figures.page_vs_static = round(figures.pages_per_s / figures.static_per_s, 2);
    // The same ratio from the main thread's CPU per answer: what page_vs_static comes to when the
    // event loop is what limits both (a quiet machine), read even while neighbours hold the cores.
    figures.page_vs_static_cpu = round(figures.main_thread_us_per_static_200! / figures.main_thread_us_per_page_200!, 2);
    figures.page_builds = readStats().builds - before.builds;
    figures.page_rechecks = readStats().rechecks - before.rechecks;
    figures.pages_refreshed_ahead = readStats().refreshedAhead - before.refreshedAhead;
    figures.views_answered_at_once = readStats().viewsAtOnce - before.viewsAtOnce;
    figures.idle_main_thread_ms_per_s = round(idleCpuPerS * 1000, 0);
    // The pure part of a page's check (heads recomputed from the events shown, attestation uids):
    // made once per build, never per recheck or view.
    const passport = JSON.parse(twin.toString("utf8")) as LotPassport;
    const localRuns = Array.from({ length: 15 }, () => {
      const started = performance.now();
      checkPassportLocally(passport);
      return performance.now() - started;
    }).sort((a, b) => a - b);
    figures.page_local_check_ms = round(localRuns[Math.floor(localRuns.length / 2)]!, 2);
    figures.page_lots = passport.lots.length;
    figures.page_bytes = body.length;
    figures.twin_bytes = twin.length;

    // A command as an operator types it, while the gateway runs (it answers through the control socket).
    const cliEnv = { ...process.env, FIRSTMILE_DATA_DIR: dataDir, FIRSTMILE_LOG_LEVEL: "silent" };
    const cliRuns = [await timeCli(["members", "list"], cliEnv), await timeCli(["members", "list"], cliEnv)];
    figures.cli_members_list_s = round(Math.min(...cliRuns), 2);
    figures.load_average_1m = round(os.loadavg()[0]!, 2);
    figures.cpus = os.cpus().length;

    printTable(["run", "per s", "p50 ms", "p99 ms", "failed", "server CPU %", "loop delay p99 ms", "loop delay max ms"], rows);
    console.log("");
    printTable(
      ["figure", "value"],
      [
        ["page_vs_static (target >= 0.5)", figures.page_vs_static],
        ["main thread CPU per page / per static file, us (200 clients)", `${figures.main_thread_us_per_page_200}, ${figures.main_thread_us_per_static_200}`],
        ["page_vs_static_cpu (static's CPU per answer over the page's)", figures.page_vs_static_cpu],
        ["p99_ms_200 (target <= 100)", figures.p99_ms_200!],
        ["p99_ms_1000", figures.p99_ms_1000!],
        ["page builds during the run", figures.page_builds],
        ["pages rechecked (rows unchanged) during the run", figures.page_rechecks],
        ["of them made ahead of a block (no view waited)", figures.pages_refreshed_ahead],
        ["views answered before Express (at once)", figures.views_answered_at_once],
        ["p99_ms_200 with undici's clients; the static file's", `${figures.p99_ms_200_undici}, ${figures.static_p99_ms_200_undici}`],
        ["page and twin bytes", `${figures.page_bytes}, ${figures.twin_bytes}`],
        ["page_local_check_ms (once per build)", `${figures.page_local_check_ms} (${figures.page_lots} lots)`],
        ["cli_members_list_s (target <= 2)", figures.cli_members_list_s],
        ["seed or reopen, s", round(seedS)],
        ["load average (1 min), cpus", `${figures.load_average_1m}, ${figures.cpus}`],
      ],
    );
    console.log(`\nwrote ${writeFigures("page", figures)}`);
  } finally {
    for (const server of servers) server.close();
    await gateway.stop();
    if (!process.env.PAGE_BENCH_DIR) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

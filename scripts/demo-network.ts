// npm run demo:network [-- --port 8080 --chain-port 8545 --data-dir ./.firstmile-network]
//
// Three organisations' gateways on one chain (docs/network.md): the cooperative's on --port starts
// the embedded anvil on --chain-port, the exporter's (--port + 1) and the chocolate maker's
// (--port + 2) point at that node and read its deployments file. Each keeps its own data dir under
// --data-dir. The cocoa story then runs across them (src/network/story.ts), the three pages of the
// last lot are printed, and the gateways run until Ctrl-C.
import fs from "node:fs";
import path from "node:path";
import pino from "pino";
import { loadConfig } from "../src/config";
import { startGateway, type Gateway } from "../src/gateway/startGateway";
import { planLocalNetwork } from "../src/network/localNetwork";
import { runNetworkStory } from "../src/network/story";

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

async function main(): Promise<void> {
  const port = Number(option("port", "8080"));
  const chainPort = Number(option("chain-port", "8545"));
  const rootDir = path.resolve(option("data-dir", "./.firstmile-network"));
  if (!Number.isInteger(port) || port < 1 || port > 65533) throw new Error(`--port: expected 1-65533, got ${option("port", "")}`);
  if (!Number.isInteger(chainPort) || chainPort < 1 || chainPort > 65535) throw new Error(`--chain-port: expected 1-65535, got ${option("chain-port", "")}`);
  const plan = planLocalNetwork({ rootDir, ports: [port, port + 1, port + 2], chainPort });

  const started: Gateway[] = [];
  const stopAll = async () => {
    for (const gateway of started.reverse()) await gateway.stop();
  };
  let stop: () => void = () => {};
  const stopRequested = new Promise<void>((resolve) => (stop = resolve));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);

  try {
    // The cooperative's first (it starts the node); then the other two side by side.
    const start = async (site: (typeof plan)[number]) => {
      fs.mkdirSync(site.dataDir, { recursive: true });
      const config = loadConfig({ env: site.env, cwd: rootDir });
      const logFile = path.join(site.dataDir, "gateway.log");
      const logger = pino({ level: config.log.level }, pino.destination({ dest: logFile, append: true }));
      console.log(`${site.name}: starting on ${site.url} (data ${site.dataDir}, logs ${logFile})`);
      const gateway = await startGateway({ config, logger, log: (line) => console.log(`${site.name.padEnd(11)} ${line}`) });
      started.push(gateway);
      return gateway;
    };
    const cooperativeSite = await start(plan[0]!);
    const [exporterSite, brandSite] = await Promise.all(plan.slice(1).map(start));
    const story = await runNetworkStory({ cooperativeSite, exporterSite: exporterSite!, brandSite: brandSite!, log: (line) => console.log(line) });
    // Each gateway's indexer follows the node on its own: print once every page shows the last accept, verified.
    await Promise.all(story.pages.map((page) => pageVerified(page, story.brand.memberId)));
    console.log("");
    console.log(`chain       ${cooperativeSite.chain.url} (chain id ${cooperativeSite.chain.chainId}), started by the cooperative's gateway`);
    for (const [i, gateway] of [cooperativeSite, exporterSite!, brandSite!].entries()) console.log(`${plan[i]!.name.padEnd(11)} ${gateway.url}  relayer ${gateway.relayer}`);
    console.log("");
    console.log(`lot ${story.gradedLot}, the same history on every gateway:`);
    for (const [i, page] of story.pages.entries()) console.log(`  ${plan[i]!.name.padEnd(11)} ${page}`);
    console.log(`weigh ticket ${story.ticket.cid}: stored at the cooperative's gateway, read by the others from ${cooperativeSite.url}/ipfs/${story.ticket.cid}`);
    console.log("");
    console.log("running; Ctrl-C stops the three gateways (the chain keeps its state)");
    await stopRequested;
  } finally {
    console.log("stopping");
    await stopAll();
  }
}

/** Polls a lot page's JSON until its custodian is `memberId` and its chain check passed (30 s at most). */
async function pageVerified(page: string, memberId: string): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 250))) {
    const response = await fetch(`${page}?format=json`);
    if (response.status !== 200) continue;
    const body = (await response.json()) as { lot?: { custodian?: { memberId?: string } }; verification?: { ok?: boolean } };
    if (body.verification?.ok && body.lot?.custodian?.memberId === memberId) return;
  }
  console.log(`${page}: not verified within 30 s (see that gateway's log)`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);

import type { Writable } from "node:stream";
import type { Command } from "commander";
import { describeConfig, loadConfig, redactUrl } from "../../config";
import { seedDemo } from "../../demo/seedDemo";
import { startGateway } from "../../gateway/startGateway";
import { demoSummary } from "./demoSummary";

export type StartCommandIo = {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: Writable;
};

/**
 * `firstmile start`: the whole gateway in the foreground (see `startGateway`): on the embedded
 * default, a local persistent chain, PGlite, the keystore and the evidence store under the data
 * dir. Settings come from the environment, `<dataDir>/config.json` and flags (`--port 9090`).
 * On the embedded profile it then seeds the demo story once (`FIRSTMILE_DEMO=0` skips it) and
 * prints the chocolate bar's and the tyre batch's page URLs; `<dataDir>/demo.json` records them.
 * SIGINT/SIGTERM drain the relay and stop everything (anvil saves its state); a second one quits at once.
 */
export function registerStartCommand(program: Command, io: StartCommandIo = { env: process.env, cwd: process.cwd(), stdout: process.stdout }): void {
  program
    .command("start")
    .description("start the gateway: chain (embedded anvil or a node), SQL, keystore, evidence, relay worker and HTTP API")
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .helpOption("-h, --help", "settings: FIRSTMILE_* variables or the matching flags, e.g. --port 9090 --data-dir ./x")
    .action(async (_options: unknown, command: Command) => {
      const print = (line: string) => io.stdout.write(`${line}\n`);
      const config = loadConfig({ env: io.env, argv: command.args, cwd: io.cwd });
      print(describeConfig(config));
      const gateway = await startGateway({ config, log: print });
      // Signals are taken from here on, before the lines that say the gateway runs: whoever reads them
      // and stops it at once gets a clean drain, as does a stop asked for while the demo seeds.
      let stopping = false;
      const stopRequested = new Promise<"stop">((resolve) => {
        const onSignal = () => {
          process.once("SIGINT", () => process.exit(130));
          process.once("SIGTERM", () => process.exit(143));
          stopping = true;
          resolve("stop");
        };
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
      });
      const { deployments } = gateway.chain;
      print("");
      print(`gateway   ${gateway.url}  (OpenAPI ${gateway.url}/openapi.json, ${gateway.url}/healthz, ${gateway.url}/readyz)`);
      print(`ipfs      ${gateway.url}/ipfs/{cid}`);
      print(`chain     ${redactUrl(gateway.chain.url)} (chain id ${gateway.chain.chainId})`);
      for (const [name, contract] of Object.entries(deployments.contracts)) print(`  ${name.padEnd(20)} ${contract.address}`);
      print(`relayer   ${gateway.relayer}`);
      if (gateway.controlSocket) print(`members   firstmile members add|list|suspend|token (through ${gateway.controlSocket})`);
      if (config.demo.seed && gateway.chain.embedded) {
        const seeding = seedDemo({ gateway, file: config.paths.demoRecord, log: print }).then(
          async ({ record, seeded }) => {
            const terminal = (io.stdout as { isTTY?: boolean }).isTTY === true;
            for (const line of await demoSummary(record, { seeded, dataDir: config.dataDir, terminal })) print(line);
          },
          // The gateway is fine without the demo; say what failed and keep running (the next start resumes it).
          (error: unknown) => print(`demo      not seeded: ${error instanceof Error ? error.message : String(error)}`),
        );
        if ((await Promise.race([seeding, stopRequested])) === "stop") print("demo      interrupted: the next start resumes it");
      }
      if (!stopping) {
        print("running; Ctrl-C drains the relay, stops and keeps the state");
        await stopRequested;
      }
      print("stopping: draining the relay");
      await gateway.stop();
      print("stopped");
    });
}

import path from "node:path";
import type { Command } from "commander";
import { startEmbeddedChain } from "../../chain/embeddedChain";

/** `firstmile start`: the whole system on the embedded default, in the foreground. */
export function registerStartCommand(program: Command): void {
  program
    .command("start")
    .description("start the local chain (persistent, under the data directory) with the contracts deployed")
    .action(async () => {
      const dataDir = path.resolve(process.env.FIRSTMILE_DATA_DIR ?? ".firstmile");
      const port = Number(process.env.FIRSTMILE_CHAIN_PORT ?? 8545);
      console.log(`firstmile: data directory ${dataDir}`);
      const chain = await startEmbeddedChain({ dataDir, port, log: (line) => console.log(`  ${line}`) });
      console.log(`chain: ${chain.node.url} (chain id ${chain.deployments.chainId}, state ${chain.node.stateFile})`);
      for (const [name, contract] of Object.entries(chain.deployments.contracts)) {
        console.log(`  ${name.padEnd(12)} ${contract.address}`);
      }
      console.log(`deployments: ${chain.deploymentsFile}`);
      console.log("running; Ctrl-C stops and saves the chain state");
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await chain.stop();
    });
}

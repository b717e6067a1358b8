import path from "node:path";
import type { Writable } from "node:stream";
import type { Command } from "commander";
import { DEFAULTS, dataPaths } from "../../config";

export type NetworkCommandIo = {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: Writable;
};

/** What a production deployment's governance starts with (docs/governance.md): two days, two approvals. */
export const PRODUCTION_GOVERNANCE = { delaySeconds: 172_800, quorum: 2 } as const;

type DeployOptions = {
  rpc: string;
  governor?: string;
  out?: string;
  dataDir?: string;
  chainId?: string;
  country: string;
  name: string;
  governanceDelay: string;
  quorum: string;
};

/**
 * `firstmile network deploy|besu-config`: bring a network up from nothing. `deploy` runs the deploy
 * steps (no demo data) against a node with the first governor's key from a key source, and writes
 * the deployments file where the production gateway reads it; `besu-config` writes a Besu QBFT
 * network's genesis, node configurations and compose file (deploy/networks/besu-qbft/).
 */
export function registerNetworkCommand(program: Command, io: NetworkCommandIo = { env: process.env, cwd: process.cwd(), stdout: process.stdout }): void {
  const network = program.command("network").description("bring a network up: deploy the contracts, generate a Besu QBFT configuration");
  const print = (line: string) => io.stdout.write(`${line}\n`);

  network
    .command("deploy")
    .description("deploy the contracts to a node as the first governor (no demo data) and write the deployments file")
    .requiredOption("--rpc <url>", "JSON-RPC URL of a node of the network")
    .option("--governor <source>", "the first governor's key: env:NAME, file:/path (mode 0600) or rpc:<url> (an external signer); default FIRSTMILE_GOVERNOR_KEY")
    .option("--out <file>", "deployments file to write (default FIRSTMILE_DEPLOYMENTS_FILE or <data dir>/deployments/production.json)")
    .option("--data-dir <dir>", "data directory (default FIRSTMILE_DATA_DIR or ./.firstmile)")
    .option("--chain-id <id>", "refuse unless the node is this chain")
    .option("--country <cc>", "the first governor's country, ISO 3166-1 alpha-2", "ID")
    .option("--name <name>", "network name recorded in the deployments file", "production")
    .option("--governance-delay <seconds>", "seconds between a proposal and its execution", String(PRODUCTION_GOVERNANCE.delaySeconds))
    .option("--quorum <n>", "approvals a proposal needs", String(PRODUCTION_GOVERNANCE.quorum))
    .action(async (options: DeployOptions) => {
      const result = await deployNetwork(io, options, print);
      print(`deployed to chain ${result.chainId}; deployments written to ${result.file}`);
      for (const [name, contract] of Object.entries(result.contracts)) print(`  ${name.padEnd(20)} ${contract.address}`);
      print(`account permissioning: point Besu's permissions-accounts-contract-address at the LotRegistry ${result.contracts.LotRegistry?.address}`);
    });

  network
    .command("besu-config")
    .description("write a Besu QBFT network: genesis, TOML per validator and per organisation's RPC node, compose.yaml")
    .requiredOption("--validators <addresses>", "validator addresses (their node keys' addresses), comma-separated; 4 or more")
    .requiredOption("--governors <addresses>", "governor addresses, comma-separated; the first deploys the contracts")
    .requiredOption("--out <dir>", "directory to write")
    .option("--organisations <names>", "organisations that run an RPC node and a gateway, comma-separated", "coop")
    .option("--chain-id <id>", "chain id", "424242")
    .option("--block-period <seconds>", "seconds per block", "2")
    .option("--gas-limit <gas>", "block gas limit", "100000000")
    .option("--permissioning-contract <address>", "the lot registry's address (default: where the first governor's deploy puts it)")
    .action(async (options: { validators: string; governors: string; out: string; organisations: string; chainId: string; blockPeriod: string; gasLimit: string; permissioningContract?: string }) => {
      const { writeBesuNetwork } = require("../../../deploy/networks/besu-qbft") as typeof import("../../../deploy/networks/besu-qbft");
      const list = (text: string) => text.split(",").map((item) => item.trim()).filter(Boolean);
      const written = writeBesuNetwork(path.resolve(io.cwd, options.out), {
        validators: list(options.validators),
        governors: list(options.governors),
        organisations: list(options.organisations),
        chainId: positive(options.chainId, "--chain-id"),
        blockPeriodSeconds: positive(options.blockPeriod, "--block-period"),
        gasLimit: BigInt(positive(options.gasLimit, "--gas-limit")),
        permissioningContract: options.permissioningContract,
      });
      print(`wrote ${written.files.length} files to ${path.resolve(io.cwd, options.out)}`);
      print(`account permissioning contract (the lot registry): ${written.permissioningContract}`);
    });
}

/** Deploys as `network deploy` does; returns the record written. */
export async function deployNetwork(io: NetworkCommandIo, options: DeployOptions, log: (line: string) => void = () => {}) {
  const { deployAll } = require("../../../deploy") as typeof import("../../../deploy");
  const { connectProvider } = require("../../chain/provider") as typeof import("../../chain/provider");
  const { governorSigner, parseGovernorKeySource, releaseGovernorSigner } = require("../../chain/governorKey") as typeof import("../../chain/governorKey");
  const sourceText = options.governor ?? io.env.FIRSTMILE_GOVERNOR_KEY;
  if (!sourceText) throw new Error("network deploy: name the first governor's key with --governor env:NAME|file:/path|rpc:<url> (or FIRSTMILE_GOVERNOR_KEY)");
  const source = parseGovernorKeySource(sourceText, io.env, io.cwd);
  const file = deploymentsFileOf(io, options);
  const provider = connectProvider(options.rpc);
  let signer: Awaited<ReturnType<typeof governorSigner>> | null = null;
  try {
    const chainId = BigInt((await provider.send("eth_chainId", [])) as string);
    if (options.chainId !== undefined && BigInt(positive(options.chainId, "--chain-id")) !== chainId) {
      throw new Error(`network deploy: the node is chain ${chainId}, not ${options.chainId}`);
    }
    // A record of another chain is never overwritten: it names a network's contracts.
    const { readDeployments } = require("../../chain/deployments") as typeof import("../../chain/deployments");
    const existing = readDeployments(file);
    if (existing && BigInt(existing.chainId) !== chainId) {
      throw new Error(`network deploy: ${file} records chain ${existing.chainId}, not chain ${chainId}; choose another --out`);
    }
    signer = await governorSigner(source, provider, chainId);
    log(`deploying to chain ${chainId} as ${await signer.getAddress()}`);
    const deployments = await deployAll({
      signer,
      file,
      network: options.name,
      governance: { delaySeconds: nonNegative(options.governanceDelay, "--governance-delay"), quorum: positive(options.quorum, "--quorum") },
      governorCountry: options.country,
      log,
    });
    return { file, chainId, contracts: deployments.contracts };
  } finally {
    releaseGovernorSigner(signer);
    provider.destroy();
  }
}

/**
 * Where `network deploy` writes: `--out`, else FIRSTMILE_DEPLOYMENTS_FILE, else the production
 * profile's default under the data dir: the file a production gateway on that data dir reads.
 */
export function deploymentsFileOf(io: Pick<NetworkCommandIo, "env" | "cwd">, options: { out?: string | undefined; dataDir?: string | undefined }): string {
  const dataDir = path.resolve(io.cwd, options.dataDir ?? io.env.FIRSTMILE_DATA_DIR ?? DEFAULTS.dataDir);
  return path.resolve(io.cwd, options.out ?? io.env.FIRSTMILE_DEPLOYMENTS_FILE ?? dataPaths(dataDir, "production").deploymentsFile);
}

function positive(text: string, flag: string): number {
  if (!/^[1-9]\d{0,15}$/.test(text)) throw new Error(`${flag} expects a positive integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

function nonNegative(text: string, flag: string): number {
  if (!/^\d{1,10}$/.test(text)) throw new Error(`${flag} expects a number of seconds, got ${JSON.stringify(text)}`);
  return Number(text);
}

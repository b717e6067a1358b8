import fs from "node:fs";
import path from "node:path";
import { SigningKey, computeAddress, decodeRlp, encodeRlp, getAddress, getCreateAddress, isAddress, zeroPadValue } from "ethers";
import { GATEWAY_NODE_FLAGS } from "../../../src/config/nodeFlags";

/**
 * A Hyperledger Besu QBFT network for firstmile, generated from the validators' and governors'
 * addresses: the genesis (validators in `extraData`, cancun from block 0, free gas), a TOML per
 * validator and per organisation's RPC node (account permissioning wired to the lot registry's
 * `transactionAllowed`), and a compose file with pinned images. See docs/production.md.
 */

/** Pinned images: a change of version is a change of this file, reviewed like code. */
export const IMAGES = {
  /**
   * The last Besu release before on-chain permissioning was deprecated (24.12.0); it runs cancun.
   * Moving past it means replacing on-chain account permissioning (docs/production.md).
   */
  besu: "hyperledger/besu:24.10.0",
  kubo: "ipfs/kubo:v0.32.1",
  postgres: "postgres:16.6-bookworm",
  node: "node:20.19.0-bookworm-slim",
} as const;

/** QBFT's and IBFT 2.0's fixed mixHash (ASCII "ctical byzantine fault tolerance"), which Besu requires. */
export const QBFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365";

export const P2P_PORT = 30303;
export const RPC_PORT = 8545;

export type BesuNetworkOptions = {
  /** Validator node addresses, or their 64-byte node public keys (then the nodes find each other by enode). */
  validators: readonly string[];
  /** Governor addresses; the first deploys the contracts (`firstmile network deploy`). */
  governors: readonly string[];
  /** Organisations that each run an RPC node, Kubo, PostgreSQL and a gateway. */
  organisations: readonly string[];
  chainId: number;
  blockPeriodSeconds: number;
  gasLimit: bigint;
  /** The lot registry's address; default: where the first governor's first deploy puts it. */
  permissioningContract?: string | undefined;
  /** Genesis timestamp (seconds); default 0. */
  timestamp?: number | undefined;
};

export type Validator = { address: string; publicKey: string | null };

/** A network that would not run: too few validators, a bad address, a duplicate. */
export class BesuConfigError extends Error {
  override name = "BesuConfigError";
}

/** Each validator as an address, with its public key when it was given one. */
export function parseValidators(items: readonly string[]): Validator[] {
  const validators = items.map((item): Validator => {
    if (/^0x[0-9a-fA-F]{128}$/.test(item)) return { address: computeAddress(`0x04${item.slice(2)}`), publicKey: item.toLowerCase() };
    if (/^0x04[0-9a-fA-F]{128}$/.test(item)) return { address: computeAddress(item), publicKey: `0x${item.slice(4).toLowerCase()}` };
    if (isAddress(item)) return { address: getAddress(item), publicKey: null };
    throw new BesuConfigError(`not a validator address or node public key: ${JSON.stringify(item)}`);
  });
  // QBFT tolerates f faulty validators of 3f + 1: fewer than 4 tolerate none.
  if (validators.length < 4) throw new BesuConfigError(`QBFT needs at least 4 validators to survive one failing, got ${validators.length}`);
  const unique = new Set(validators.map((v) => v.address));
  if (unique.size !== validators.length) throw new BesuConfigError("a validator is listed twice");
  return validators;
}

/**
 * QBFT's genesis `extraData` as Besu reads it: RLP([32-byte vanity, [validators...], vote (an
 * empty list: none), round (0, the empty byte string), seals (an empty list)]).
 */
export function qbftExtraData(validators: readonly string[]): string {
  return encodeRlp([zeroPadValue("0x", 32), validators.map((v) => getAddress(v).toLowerCase()), [], "0x", []]);
}

/** The parts of a QBFT `extraData`, for checking. */
export function decodeQbftExtraData(extraData: string): { vanity: string; validators: string[]; vote: unknown; round: string; seals: unknown } {
  const decoded = decodeRlp(extraData);
  if (!Array.isArray(decoded) || decoded.length !== 5) throw new BesuConfigError("QBFT extraData is a list of 5 items");
  const [vanity, validators, vote, round, seals] = decoded as [string, string[], unknown, string, unknown];
  return { vanity, validators: validators.map((v) => getAddress(v)), vote, round, seals };
}

/**
 * Where the lot registry lands when `governor` deploys from a fresh account: the forwarder is its
 * transaction 0, the lot registry its transaction 1 (deploy/001, deploy/002).
 */
export function predictLotRegistryAddress(governor: string): string {
  return getCreateAddress({ from: getAddress(governor), nonce: 1 });
}

/** The genesis file: QBFT, every milestone through cancun at block/time 0, zero base fee. */
export function qbftGenesis(options: { validators: readonly string[]; governors: readonly string[]; chainId: number; blockPeriodSeconds: number; gasLimit: bigint; timestamp?: number | undefined }) {
  const milestones = ["homesteadBlock", "eip150Block", "eip155Block", "eip158Block", "byzantiumBlock", "constantinopleBlock", "petersburgBlock", "istanbulBlock", "berlinBlock", "londonBlock"];
  return {
    config: {
      chainId: options.chainId,
      ...Object.fromEntries(milestones.map((name) => [name, 0])),
      shanghaiTime: 0,
      cancunTime: 0,
      // A permissioned network pays no fees: transactions cost gas but no ether (with min-gas-price 0).
      zeroBaseFee: true,
      qbft: { blockperiodseconds: options.blockPeriodSeconds, epochlength: 30000, requesttimeoutseconds: Math.max(4, options.blockPeriodSeconds * 2) },
    },
    nonce: "0x0",
    timestamp: `0x${(options.timestamp ?? 0).toString(16)}`,
    gasLimit: `0x${options.gasLimit.toString(16)}`,
    difficulty: "0x1",
    mixHash: QBFT_MIX_HASH,
    coinbase: "0x0000000000000000000000000000000000000000",
    baseFeePerGas: "0x0",
    // Governors hold a balance so that tools that insist on a non-zero priority fee still send.
    alloc: Object.fromEntries(options.governors.map((g) => [getAddress(g).slice(2).toLowerCase(), { balance: "0x33b2e3c9fd0803ce8000000" }])),
    extraData: qbftExtraData(options.validators),
  };
}

/** A TOML value of the kinds Besu's configuration uses. */
type TomlValue = string | number | boolean | readonly string[];

/** TOML text of flat `key = value` lines (Besu's configuration file has no tables). */
export function toToml(entries: Record<string, TomlValue>, comment?: string): string {
  const value = (v: TomlValue): string => (typeof v === "string" ? JSON.stringify(v) : Array.isArray(v) ? `[${v.map((item) => JSON.stringify(item)).join(", ")}]` : String(v));
  const lines = comment ? comment.split("\n").map((line) => `# ${line}`) : [];
  for (const [key, v] of Object.entries(entries)) lines.push(`${key}=${value(v)}`);
  return `${lines.join("\n")}\n`;
}

/** Settings every node shares: the genesis, free gas, account permissioning by the lot registry. */
function commonNodeSettings(permissioningContract: string, bootnodes: readonly string[]): Record<string, TomlValue> {
  return {
    "data-path": "/opt/besu/data",
    "genesis-file": "/config/genesis.json",
    "node-private-key-file": "/opt/besu/keys/key",
    "p2p-host": "0.0.0.0",
    "p2p-port": P2P_PORT,
    bootnodes,
    "sync-mode": "FULL",
    "min-gas-price": 0,
    "permissions-accounts-contract-enabled": true,
    "permissions-accounts-contract-address": permissioningContract,
    // The relayer keeps several batches in flight from one account.
    "tx-pool-max-future-by-sender": 1000,
    "metrics-enabled": true,
    "metrics-host": "0.0.0.0",
  };
}

/** A validator's TOML: no public RPC (only QBFT's own methods, inside the compose network). */
export function validatorToml(permissioningContract: string, bootnodes: readonly string[]): string {
  return toToml(
    {
      ...commonNodeSettings(permissioningContract, bootnodes),
      "rpc-http-enabled": true,
      "rpc-http-host": "0.0.0.0",
      "rpc-http-port": RPC_PORT,
      "rpc-http-api": ["ETH", "NET", "QBFT"],
      "host-allowlist": ["localhost", "127.0.0.1"],
    },
    "A QBFT validator of the firstmile network (generated by firstmile network besu-config).",
  );
}

/** An organisation's RPC node: the JSON-RPC its gateway uses; it validates nothing. */
export function rpcNodeToml(permissioningContract: string, bootnodes: readonly string[], organisation: string): string {
  return toToml(
    {
      ...commonNodeSettings(permissioningContract, bootnodes),
      "rpc-http-enabled": true,
      "rpc-http-host": "0.0.0.0",
      "rpc-http-port": RPC_PORT,
      "rpc-http-api": ["ETH", "NET", "WEB3", "TXPOOL"],
      "host-allowlist": [`gateway-${organisation}`, `rpc-${organisation}`, "localhost", "127.0.0.1"],
      "revert-reason-enabled": true,
    },
    `The RPC node of ${organisation}: its gateway's FIRSTMILE_RPC_URL (generated by firstmile network besu-config).`,
  );
}

/** The compose file: validators, then per organisation an RPC node, Kubo, PostgreSQL and the gateway. */
export function composeYaml(validatorCount: number, organisations: readonly string[], chainId: number): string {
  const lines: string[] = [
    "# The firstmile network on Hyperledger Besu QBFT (generated by firstmile network besu-config).",
    "# Node keys go in ./keys/<node>/key (never committed); see docs/production.md.",
    "name: firstmile",
    "services:",
  ];
  const besu = (name: string, toml: string) => [
    `  ${name}:`,
    `    image: ${IMAGES.besu}`,
    `    command: ["--config-file=/config/${toml}"]`,
    "    volumes:",
    "      - ./genesis.json:/config/genesis.json:ro",
    `      - ./${toml}:/config/${toml}:ro`,
    `      - ./keys/${name}:/opt/besu/keys:ro`,
    `      - ${name}-data:/opt/besu/data`,
    "    restart: unless-stopped",
  ];
  const volumes: string[] = [];
  for (let i = 1; i <= validatorCount; i++) {
    lines.push(...besu(`validator-${i}`, `validator-${i}.toml`));
    volumes.push(`validator-${i}-data`);
  }
  for (const org of organisations) {
    lines.push(...besu(`rpc-${org}`, `rpc-${org}.toml`));
    lines.push(
      `  kubo-${org}:`,
      `    image: ${IMAGES.kubo}`,
      "    volumes:",
      `      - kubo-${org}-data:/data/ipfs`,
      "    restart: unless-stopped",
      `  postgres-${org}:`,
      `    image: ${IMAGES.postgres}`,
      "    environment:",
      "      POSTGRES_USER: firstmile",
      "      POSTGRES_DB: firstmile",
      `      POSTGRES_PASSWORD_FILE: /run/secrets/postgres-${org}-password`,
      "    secrets:",
      `      - postgres-${org}-password`,
      "    volumes:",
      `      - postgres-${org}-data:/var/lib/postgresql/data`,
      "    restart: unless-stopped",
      `  gateway-${org}:`,
      `    image: ${IMAGES.node}`,
      "    working_dir: /app",
      `    command: ${JSON.stringify(["node", ...GATEWAY_NODE_FLAGS, "-r", "./scripts/register-ts.js", "src/cli/index.ts", "start"])}`,
      "    environment:",
      "      FIRSTMILE_PROFILE: production",
      "      FIRSTMILE_HOST: 0.0.0.0",
      "      FIRSTMILE_DATA_DIR: /data",
      `      FIRSTMILE_RPC_URL: http://rpc-${org}:${RPC_PORT}`,
      `      FIRSTMILE_CHAIN_ID: "${chainId}"`,
      `      FIRSTMILE_KUBO_URL: http://kubo-${org}:5001`,
      "      FIRSTMILE_DEPLOYMENTS_FILE: /config/deployments.json",
      "      FIRSTMILE_KEYSTORE_KEY_FILE: /run/secrets/keystore-key",
      "      # FIRSTMILE_DATABASE_URL: postgres://firstmile:<password>@postgres-" + org + ":5432/firstmile (set it in .env, never here)",
      "      FIRSTMILE_DATABASE_URL: ${FIRSTMILE_DATABASE_URL_" + org.toUpperCase().replace(/[^A-Z0-9]/g, "_") + "}",
      "    secrets:",
      "      - source: " + `keystore-key-${org}`,
      "        target: keystore-key",
      "    volumes:",
      // The firstmile checkout, built (npm ci && npx hardhat compile): wherever the operator keeps it.
      "      - ${FIRSTMILE_SOURCE:?set FIRSTMILE_SOURCE to the firstmile checkout}:/app:ro",
      "      - ./deployments.json:/config/deployments.json:ro",
      `      - gateway-${org}-data:/data`,
      "    ports:",
      `      - "127.0.0.1:${8080 + organisations.indexOf(org)}:8080"`,
      "    depends_on:",
      `      - rpc-${org}`,
      `      - kubo-${org}`,
      `      - postgres-${org}`,
      "    restart: unless-stopped",
    );
    volumes.push(`rpc-${org}-data`, `kubo-${org}-data`, `postgres-${org}-data`, `gateway-${org}-data`);
  }
  lines.push("secrets:");
  for (const org of organisations) {
    lines.push(`  postgres-${org}-password:`, `    file: ./secrets/postgres-${org}-password`, `  keystore-key-${org}:`, `    file: ./secrets/keystore-key-${org}`);
  }
  lines.push("volumes:", ...volumes.map((name) => `  ${name}: {}`));
  return `${lines.join("\n")}\n`;
}

/** Writes the whole network into `dir`; answers the files written and the permissioning address. */
export function writeBesuNetwork(dir: string, options: BesuNetworkOptions): { files: string[]; permissioningContract: string; genesis: ReturnType<typeof qbftGenesis> } {
  const validators = parseValidators(options.validators);
  if (options.governors.length === 0) throw new BesuConfigError("at least one governor address");
  for (const governor of options.governors) if (!isAddress(governor)) throw new BesuConfigError(`not a governor address: ${JSON.stringify(governor)}`);
  if (options.organisations.length === 0) throw new BesuConfigError("at least one organisation");
  for (const org of options.organisations) if (!/^[a-z][a-z0-9-]{0,30}$/.test(org)) throw new BesuConfigError(`an organisation's name is lower-case letters, digits and dashes: ${JSON.stringify(org)}`);
  const permissioningContract = options.permissioningContract ? getAddress(options.permissioningContract) : predictLotRegistryAddress(options.governors[0]!);
  const withKeys = validators.map((v, index) => ({ ...v, host: `validator-${index + 1}` })).filter((v) => v.publicKey !== null);
  if (withKeys.length === 0) throw new BesuConfigError("give at least one validator as its node public key (besu public-key export), so the other nodes can find it");
  const bootnodes = withKeys.slice(0, 2).map((v) => `enode://${v.publicKey!.slice(2)}@${v.host}:${P2P_PORT}`);
  const genesis = qbftGenesis({ validators: validators.map((v) => v.address), governors: options.governors, chainId: options.chainId, blockPeriodSeconds: options.blockPeriodSeconds, gasLimit: options.gasLimit, timestamp: options.timestamp });
  const files: Record<string, string> = { "genesis.json": `${JSON.stringify(genesis, null, 2)}\n` };
  validators.forEach((_, index) => (files[`validator-${index + 1}.toml`] = validatorToml(permissioningContract, bootnodes)));
  for (const org of options.organisations) files[`rpc-${org}.toml`] = rpcNodeToml(permissioningContract, bootnodes, org);
  files["compose.yaml"] = composeYaml(validators.length, options.organisations, options.chainId);
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return { files: Object.keys(files), permissioningContract, genesis };
}

/** A node public key (64 bytes, no 04 prefix) from a private key, as `besu public-key export` prints it. */
export function nodePublicKey(privateKey: string): string {
  return `0x${new SigningKey(privateKey).publicKey.slice(4)}`;
}

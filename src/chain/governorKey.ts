import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Wallet, computeAddress, getAddress, isAddress, type Provider, type Signer } from "ethers";
import { NonRetryableError } from "../errors/base";
import { Secret } from "../config/secret";
import { connectProvider } from "./provider";
import { rpcEndpoint } from "./rpcEndpoint";

/**
 * Where a governor's key comes from, as an operator names it (`FIRSTMILE_GOVERNOR_KEY`, or
 * `firstmile network deploy --governor`):
 * - `env:NAME`: the private key (0x + 64 hex) in the environment variable NAME;
 * - `file:/path`: the private key in a file readable by its owner only (mode 0600 or 0400);
 * - `rpc:<url>`: an external signer over JSON-RPC (a hardware-wallet bridge, Clef, Web3Signer,
 *   EthSigner) whose first unlocked account (or `rpc:<url>#0xADDRESS`) signs with
 *   `eth_sendTransaction`; the key never reaches this process.
 */
export type GovernorKeySource =
  | { kind: "env"; name: string; key: Secret<string> }
  | { kind: "file"; file: string }
  | { kind: "rpc"; url: string; account: string | null };

/** The key source is malformed, unreadable, loosely protected, or a public development key. */
export class GovernorKeyError extends NonRetryableError {
  override name = "GovernorKeyError";
}

/**
 * The chains on which the public development keys may sign: anvil's and Hardhat's default chain id.
 * Everywhere else they are refused, whatever profile the gateway runs.
 */
export const DEVELOPMENT_CHAIN_IDS: readonly bigint[] = [31337n];

/**
 * The first ten accounts of the mnemonic anvil and Hardhat fund by default ("test test ... junk"):
 * their keys are printed by every development tool, so anyone can sign with them.
 */
export const DEVELOPMENT_ACCOUNTS: readonly string[] = [
  // m/44'/60'/0'/0/0 to /9 of the public mnemonic.
  "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
  "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
  "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
  "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
  "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
  "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
  "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
  "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
];

/**
 * Reads `text` (`env:NAME`, `file:/path` or `rpc:<url>`), taking an `env:` key from `env` at once
 * (so no later module reads the environment). Relative file paths resolve against `cwd`.
 *
 * @throws {GovernorKeyError} for another form, a missing variable or a malformed key.
 */
export function parseGovernorKeySource(text: string, env: Readonly<Record<string, string | undefined>>, cwd: string): GovernorKeySource {
  const colon = text.indexOf(":");
  const kind = colon < 0 ? "" : text.slice(0, colon);
  const rest = text.slice(colon + 1);
  if (kind === "env") {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(rest)) throw new GovernorKeyError(`env: expects a variable name, e.g. env:GOVERNOR_PRIVATE_KEY`);
    const value = env[rest];
    if (value === undefined || value.trim() === "") throw new GovernorKeyError(`The environment variable ${rest} named by the governor key source is not set`);
    return { kind: "env", name: rest, key: new Secret(checkedKey(value.trim(), `the environment variable ${rest}`)) };
  }
  if (kind === "file") {
    if (rest === "") throw new GovernorKeyError("file: expects a path, e.g. file:/run/secrets/governor.key");
    return { kind: "file", file: path.resolve(cwd, rest) };
  }
  if (kind === "rpc") {
    const [url, account] = rest.split("#") as [string, string | undefined];
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw new GovernorKeyError("rpc: expects the signer's JSON-RPC URL, e.g. rpc:http://127.0.0.1:8550");
    }
    if (protocol !== "http:" && protocol !== "https:") throw new GovernorKeyError("rpc: expects an http or https URL");
    if (account !== undefined && !isAddress(account)) throw new GovernorKeyError(`rpc: the account after # is not an address: ${JSON.stringify(account)}`);
    return { kind: "rpc", url, account: account === undefined ? null : getAddress(account) };
  }
  throw new GovernorKeyError("A governor key source is env:NAME, file:/path or rpc:<url>", {
    metaMessages: ["A private key itself is not accepted here: it would sit in a shell history or a process list."],
  });
}

/** How the key source is shown in a banner or log: never the key, never URL credentials. */
export function describeGovernorKeySource(source: GovernorKeySource): string {
  if (source.kind === "env") return `env:${source.name}`;
  if (source.kind === "file") return `file:${source.file}`;
  return `rpc:${rpcEndpoint(source.url).shown}${source.account ? `#${source.account}` : ""}`;
}

/**
 * A signer for the governor on the chain `provider` reaches, chain id `chainId`. A key from the
 * environment or a file signs here; an external signer signs over its own JSON-RPC (it is asked for
 * `eth_chainId` first: it must sign for the same chain).
 *
 * @throws {GovernorKeyError} for a file others can read, a malformed key, an unreachable signer,
 * or any of the public development accounts on a chain other than a development chain.
 */
export async function governorSigner(source: GovernorKeySource, provider: Provider, chainId: bigint): Promise<Signer> {
  let signer: Signer;
  if (source.kind === "env") {
    signer = new Wallet(source.key.reveal(), provider);
  } else if (source.kind === "file") {
    signer = new Wallet(readKeyFile(source.file), provider);
  } else {
    signer = await externalSigner(source, chainId);
  }
  refuseDevelopmentAccount(await signer.getAddress(), chainId);
  return signer;
}

/** Refuses a public development account outside the development chains. */
export function refuseDevelopmentAccount(address: string, chainId: bigint): void {
  if (DEVELOPMENT_CHAIN_IDS.includes(chainId)) return;
  if (DEVELOPMENT_ACCOUNTS.some((known) => known.toLowerCase() === address.toLowerCase())) {
    throw new GovernorKeyError(`${getAddress(address)} is a public development account; it cannot govern chain ${chainId}`, {
      metaMessages: ["Its key is printed by every development tool. Generate a key of your own (or use a hardware wallet) for a real network."],
    });
  }
}

/** The key in `file`, refusing a file that group or others may read or write. */
function readKeyFile(file: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    throw new GovernorKeyError(`Cannot read the governor key file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (process.platform !== "win32" && (stat.mode & 0o077) !== 0) {
    throw new GovernorKeyError(`The governor key file ${file} is readable or writable by others (mode ${(stat.mode & 0o777).toString(8)})`, {
      metaMessages: [`Restrict it to its owner: chmod 600 ${file}`],
    });
  }
  return checkedKey(fs.readFileSync(file, "utf8").trim(), `the file ${file}`);
}

function checkedKey(text: string, where: string): string {
  const hex = text.startsWith("0x") ? text : `0x${text}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new GovernorKeyError(`${where} does not hold a private key (64 hex characters)`);
  try {
    computeAddress(hex);
  } catch {
    throw new GovernorKeyError(`${where} does not hold a valid secp256k1 private key`);
  }
  return hex;
}

async function externalSigner(source: Extract<GovernorKeySource, { kind: "rpc" }>, chainId: bigint): Promise<Signer> {
  const provider: JsonRpcProvider = connectProvider(source.url);
  const shown = rpcEndpoint(source.url).shown;
  try {
    const signerChain = BigInt((await provider.send("eth_chainId", [])) as string);
    if (signerChain !== chainId) throw new GovernorKeyError(`The external signer at ${shown} signs for chain ${signerChain}, not ${chainId}`);
    const accounts = ((await provider.send("eth_accounts", [])) as string[]).map((a) => getAddress(a));
    const account = source.account ?? accounts[0];
    if (!account) throw new GovernorKeyError(`The external signer at ${shown} offers no account (unlock one, or name it: rpc:<url>#0x...)`);
    if (!accounts.includes(account)) throw new GovernorKeyError(`The external signer at ${shown} does not offer ${account}`);
    return await provider.getSigner(account);
  } catch (error) {
    provider.destroy();
    if (error instanceof GovernorKeyError) throw error;
    throw new GovernorKeyError(`The external signer at ${shown} does not answer`, { cause: error, details: (error as { shortMessage?: string }).shortMessage ?? (error as Error).message });
  }
}

/** Stops an external signer's provider (a key signer has none of its own). */
export function releaseGovernorSigner(signer: Signer | null): void {
  if (signer && !(signer instanceof Wallet) && signer.provider instanceof JsonRpcProvider) signer.provider.destroy();
}

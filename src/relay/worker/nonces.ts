import type { JsonRpcProvider } from "ethers";
import type { Database } from "../../db/database";
import type { JsonRpc } from "../../chain/jsonRpc";
import { forwarderInterface } from "../../chain/contracts";
import { highestLiveNonce } from "../outbox";

/**
 * Forwarder nonces of custodial accounts, handed out consecutively and kept in memory: a crash
 * loses only signatures nobody has seen, and the requests get the same nonces again.
 */
export class ForwarderNonces {
  readonly #db: Database;
  readonly #rpc: JsonRpc;
  readonly #forwarder: string;
  readonly #next = new Map<string, bigint>();

  constructor(db: Database, rpc: JsonRpc, forwarder: string) {
    this.#db = db;
    this.#rpc = rpc;
    this.#forwarder = forwarder;
  }

  /** Next forwarder nonce of a custodial account: above the chain's and above every live call's. */
  async allocate(account: string): Promise<bigint> {
    const key = account.toLowerCase();
    let next = this.#next.get(key);
    if (next === undefined) {
      const [chain] = [...(await this.onChain([account])).values()];
      const live = await highestLiveNonce(this.#db, { account });
      next = live === null || live < chain! ? chain! : live + 1n;
    }
    this.#next.set(key, next + 1n);
    return next;
  }

  /** Asks the chain and the outbox again for this account's next nonce. */
  forget(account: string): void {
    this.#next.delete(account.toLowerCase());
  }

  /** Nonces handed out for calls never recorded are free again: ask the chain next time. */
  forgetAll(): void {
    this.#next.clear();
  }

  /** The forwarder's current nonce of each account, by lower-case address. */
  async onChain(accounts: string[], block: "latest" | number = "latest"): Promise<Map<string, bigint>> {
    const tag = block === "latest" ? block : `0x${block.toString(16)}`;
    const values = await Promise.all(
      accounts.map((account) => this.#rpc.call<string>("eth_call", [{ to: this.#forwarder, data: forwarderInterface.encodeFunctionData("nonces", [account]) }, tag])),
    );
    return new Map(accounts.map((account, index) => [account.toLowerCase(), BigInt(values[index]!)]));
  }
}

/** The relayer's transaction nonce, counted up in memory and read again from the node when in doubt. */
export class RelayerNonce {
  readonly #provider: JsonRpcProvider;
  readonly #address: string;
  #nonce: bigint | null = null;
  /** Set when the nonce must be read again from the node before the next transaction. */
  #stale = false;

  constructor(provider: JsonRpcProvider, address: string) {
    this.#provider = provider;
    this.#address = address;
  }

  /** Reads the node's pending count: the next nonce. */
  async load(): Promise<bigint> {
    this.#nonce = BigInt(await this.#provider.getTransactionCount(this.#address, "pending"));
    return this.#nonce;
  }

  /**
   * Transactions signed but never recorded were never broadcast, and a nonce kept past them would
   * leave a gap the node waits on forever: read it again before the next transaction.
   */
  markStale(): void {
    this.#stale = true;
  }

  async loadIfStale(): Promise<void> {
    if (!this.#stale) return;
    this.#stale = false;
    await this.load();
  }

  /** The next nonce, counted as used. */
  take(): bigint {
    const nonce = this.#nonce!;
    this.#nonce = nonce + 1n;
    return nonce;
  }
}

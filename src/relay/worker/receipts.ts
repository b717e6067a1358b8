import { toBeHex } from "ethers";
import { markRelayTransactionsMined, requeueSubmittedRelayRequests, type MarkRelayRequestsMinedParameters } from "../outbox";
import { requestIdsOf, type RpcReceipt } from "./calls";
import { timed, type WorkerContext } from "./context";
import { settleTransaction } from "./settle";

/**
 * Watches the chain for the receipts of the transactions in flight: reads each new block's
 * receipts, settles ours (a block's outcomes in one statement), and requeues transactions the
 * node has forgotten.
 */
export class ReceiptWatcher {
  readonly #context: WorkerContext;
  #lastBlock = -1;
  #blockReceipts = true;
  #timer: NodeJS.Timeout | null = null;
  #watching: Promise<void> | null = null;
  #drained: Array<() => void> = [];

  constructor(context: WorkerContext) {
    this.#context = context;
  }

  /** Looks for new blocks after `lastBlock` every `pollMs`. */
  start(lastBlock: number, pollMs: number): void {
    this.#lastBlock = lastBlock;
    this.#timer = setInterval(() => {
      if (!this.#watching) this.#watching = this.#watch().finally(() => (this.#watching = null));
    }, pollMs);
  }

  /** Resolves when nothing is in flight any more, or after `timeoutMs`. */
  async drained(timeoutMs: number): Promise<void> {
    if (this.#context.inflight.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, timeoutMs));
      this.#drained.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Stops looking, after the look in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#watching;
  }

  async #watch(): Promise<void> {
    const { provider, db } = this.#context.parameters;
    const { inflight } = this.#context;
    try {
      // The head first, then the in-flight set: a transaction registered after this look is sent
      // after it too, so it lands in a later block. With nothing in flight the scan jumps ahead.
      const head = await provider.getBlockNumber();
      if (inflight.size === 0) {
        this.#lastBlock = Math.max(this.#lastBlock, head);
        this.#notifyDrained();
        return;
      }
      for (let block = this.#lastBlock + 1; block <= head && inflight.size > 0; block++) {
        const receipts = await timed(this.#context, "receipts (eth_getBlockReceipts)", () => this.#receiptsOf(block));
        if (receipts === null) break;
        const ours = receipts.flatMap((receipt) => {
          const entry = inflight.get(receipt.transactionHash);
          return entry ? [{ entry, receipt }] : [];
        });
        if (ours.length > 0) {
          // A block's outcomes are written together: one statement, however many transactions.
          await timed(this.#context, "settle (outputs + SQL)", async () => {
            this.#context.crash("before-mined");
            const mined: MarkRelayRequestsMinedParameters[] = [];
            for (const { entry, receipt } of ours) await settleTransaction(this.#context, entry, receipt, mined);
            await markRelayTransactionsMined(db, mined);
            for (const { entry } of ours) inflight.delete(entry.hash);
          });
        }
        this.#lastBlock = block;
      }
      if (inflight.size > 0) this.#lastBlock = Math.max(this.#lastBlock, head);
      await this.#checkDropped();
    } catch (error) {
      this.#context.log.warn({ err: error }, "receipt watch failed; retrying");
    }
    if (inflight.size === 0) this.#notifyDrained();
  }

  #notifyDrained(): void {
    const waiting = this.#drained;
    this.#drained = [];
    for (const resolve of waiting) resolve();
  }

  /** Every receipt of a block, or those of our in-flight transactions where `eth_getBlockReceipts` is missing. */
  async #receiptsOf(block: number): Promise<RpcReceipt[] | null> {
    const { rpc } = this.#context;
    if (this.#blockReceipts) {
      try {
        return (await rpc.call<RpcReceipt[] | null>("eth_getBlockReceipts", [toBeHex(block)])) ?? [];
      } catch (error) {
        if (!/method|not (found|supported|available)/i.test(String((error as Error).message))) throw error;
        this.#blockReceipts = false;
      }
    }
    const receipts = await Promise.all([...this.#context.inflight.keys()].map((hash) => rpc.call<RpcReceipt | null>("eth_getTransactionReceipt", [hash])));
    return receipts.filter((receipt): receipt is RpcReceipt => receipt !== null && Number(receipt.blockNumber) <= block);
  }

  /** In-flight transactions the node has forgotten (dropped, or lost with a node restart) go back to signed. */
  async #checkDropped(): Promise<void> {
    const { rpc, inflight } = this.#context;
    const dropAfter = this.#context.parameters.dropAfterMs ?? 20_000;
    const old = [...inflight.values()].filter((entry) => Date.now() - entry.sentAt > dropAfter);
    for (const entry of old) {
      const [receipt, known] = await Promise.all([
        rpc.call<RpcReceipt | null>("eth_getTransactionReceipt", [entry.hash]),
        rpc.call("eth_getTransactionByHash", [entry.hash]),
      ]);
      if (receipt) {
        await settleTransaction(this.#context, entry, receipt);
      } else if (!known) {
        this.#context.log.warn({ tx: entry.hash }, "relay transaction dropped by the node; requeued");
        inflight.delete(entry.hash);
        const ids = requestIdsOf(entry.calls);
        if (ids.length > 0) await requeueSubmittedRelayRequests(this.#context.parameters.db, { ids, txHash: entry.hash, error: { name: "RelayTransactionDropped", message: "the node dropped the transaction; submitting again" } });
        this.#context.relayerNonce.markStale();
      } else {
        entry.sentAt = Date.now();
      }
    }
  }
}

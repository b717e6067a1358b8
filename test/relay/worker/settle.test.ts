import { expect } from "chai";
import { Wallet, getAddress } from "ethers";
import type { Database } from "../../../src/db/database";
import type { MarkRelayRequestsMinedParameters } from "../../../src/relay/outbox";
import type { Inflight, PlannedCall, RpcReceipt } from "../../../src/relay/worker/calls";
import type { WorkerContext } from "../../../src/relay/worker/context";
import { settleTransaction } from "../../../src/relay/worker/settle";
import { openMigratedPglite } from "../../helpers/engines";

/**
 * How a mined transaction that skipped a member's self-signed call is settled (settle.ts alone: the
 * chain is a stand-in that answers the forwarder nonce at "latest" and before the block).
 */
describe("settling a self-signed call the forwarder skipped", () => {
  const signer = getAddress(Wallet.createRandom().address);
  const forwarder = "0x00000000000000000000000000000000000000F1";
  const block = 0x40;
  let db: Database;

  before(async () => {
    db = await openMigratedPglite();
  });
  after(() => db.close());

  /** A worker context whose chain reports `now` as the signer's nonce at "latest" and `before` at the block before the receipt's. */
  function contextWith(nonces: { now: bigint; before: bigint | "pruned" }): WorkerContext {
    const context = {
      workerId: "settle-test",
      parameters: { db, forwarder, provider: { getBlock: async () => ({ timestamp: 1_800_000_000 }) } },
      log: { debug() {}, info() {}, warn() {} },
      crash() {},
      inflight: new Map<string, Inflight>(),
      nonces: {
        onChain: async (accounts: string[], at: "latest" | number = "latest") => {
          if (at !== "latest" && nonces.before === "pruned") throw new Error("missing trie node");
          const nonce = at === "latest" ? nonces.now : at === block - 1 ? nonces.before : -1n;
          return new Map(accounts.map((account) => [account.toLowerCase(), nonce]));
        },
      },
    };
    return context as unknown as WorkerContext;
  }

  const call: PlannedCall = {
    forwardRequest: { from: signer, to: forwarder, value: 0n, gas: 200_000n, nonce: 6n, deadline: 1_900_000_000n, data: "0x" },
    signature: `0x${"11".repeat(65)}`,
    custodial: false,
    rows: [{ id: 901n, memberId: 3n, kind: "lots.mint", offset: 0, items: 1 }],
  };
  const entry: Inflight = { hash: `0x${"ab".repeat(32)}`, calls: [call], sentAt: 0 };
  // Mined, with no ExecutedForwardRequest for the call: the forwarder skipped it.
  const receipt: RpcReceipt = { transactionHash: entry.hash, blockNumber: `0x${block.toString(16)}`, status: "0x1", logs: [] };

  it("sends it again when the earlier nonce ran later in the same block (another gateway's transaction)", async () => {
    const batch: MarkRelayRequestsMinedParameters[] = [];
    await settleTransaction(contextWith({ now: 6n, before: 5n }), entry, receipt, batch);
    expect(batch).to.have.length(1);
    expect(batch[0]!.results, "no final outcome: the call waits for its turn").to.deep.equal([]);
  });

  it("refuses it as badly signed when its nonce was already the chain's before the block", async () => {
    const batch: MarkRelayRequestsMinedParameters[] = [];
    await settleTransaction(contextWith({ now: 6n, before: 6n }), entry, receipt, batch);
    expect(batch[0]!.results).to.have.length(1);
    expect(batch[0]!.results[0]).to.deep.include({ id: 901n });
    const result = batch[0]!.results[0]!;
    expect("error" in result && result.error.name).to.equal("ERC2771ForwarderInvalidSigner");
  });

  it("sends it again when the node no longer keeps the state before the block (a pruned node)", async () => {
    const batch: MarkRelayRequestsMinedParameters[] = [];
    await settleTransaction(contextWith({ now: 6n, before: "pruned" }), entry, receipt, batch);
    expect(batch[0]!.results).to.deep.equal([]);
  });
});

import { expect } from "chai";
import path from "node:path";
import { JsonRpcProvider, JsonRpcSigner, Wallet, makeError, type TransactionReceipt, type TransactionRequest, type TransactionResponse } from "ethers";
import { dataPaths } from "../../src/config";
import { startEmbeddedChain, type EmbeddedChain } from "../../src/gateway/embeddedChain";
import { EMBEDDED_CHAIN_ID } from "../../src/chain/anvil";
import { KeystoreUnknownAccountError, openKeystore, type Keystore } from "../../src/chain/keystore";
import { Secret } from "../../src/config/secret";
import type { Database } from "../../src/db/database";
import { openPglite } from "../../src/db/pglite";
import { MemberAdminError, MemberAdminOutcomeUnknownError, addMember, type MemberAdmin } from "../../src/gateway/memberAdmin";
import { LotRegistry__factory, type LotRegistry } from "../../typechain-types";
import { copyChainTemplate } from "../helpers/chainTemplate";
import { copyMigratedPglite } from "../helpers/engines";
import { freePort } from "../helpers/ports";
import { TEST_NODE } from "../helpers/testNode";
import { rejection } from "../helpers/rejection";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

/**
 * A provider whose receipt lookups fail on demand, as when the node stops answering between
 * sending a transaction and its receipt: everything else is the real node.
 */
class ReceiptFailingProvider extends JsonRpcProvider {
  /** How many of the next receipt lookups fail, each after `receiptFaultDelayMs`. */
  receiptFaults = 0;
  receiptFaultDelayMs = 0;

  override async getTransactionReceipt(hash: string): Promise<TransactionReceipt | null> {
    if (this.receiptFaults > 0) {
      this.receiptFaults -= 1;
      await new Promise((resolve) => setTimeout(resolve, this.receiptFaultDelayMs));
      throw new Error("socket hang up");
    }
    return super.getTransactionReceipt(hash);
  }
}

/** Sends with too little gas: the node accepts the transaction, which then runs out of gas on chain. */
/** Refused once by "the node" as a transaction whose nonce another took, as anvil answers two sent at once; then sends. */
class NonceTakenOnceSigner extends JsonRpcSigner {
  sends = 0;
  override sendTransaction(tx: TransactionRequest): Promise<TransactionResponse> {
    if (this.sends++ === 0) return Promise.reject(makeError("replacement fee too low", "REPLACEMENT_UNDERPRICED", { transaction: tx as never }));
    return super.sendTransaction(tx);
  }
}

class StarvedSigner extends JsonRpcSigner {
  override sendTransaction(tx: TransactionRequest): Promise<TransactionResponse> {
    return super.sendTransaction({ ...tx, gasLimit: 60_000n });
  }
}

describe("addMember: the custodial keys of a member whose registration may have happened", function () {
  this.timeout(120_000);
  let dir: string;
  let chain: EmbeddedChain;
  let db: Database;
  let keystore: Keystore;
  let registry: LotRegistry;
  let provider: ReceiptFailingProvider;
  let governorAddress: string;
  /** Every address the keystore generated, in order. */
  const generated: string[] = [];

  before(async function () {
    dir = makeTempDir("member-admin");
    await copyChainTemplate(dir);
    chain = await startEmbeddedChain({ paths: dataPaths(dir), port: await freePort(), ...TEST_NODE });
    const pgdata = path.join(dir, "pgdata");
    await copyMigratedPglite(pgdata);
    db = await openPglite({ dir: pgdata });
    ({ keystore } = await openKeystore({
      db,
      config: { source: "passphrase", passphrase: new Secret("member admin test passphrase") },
      scrypt: { N: 2 ** 10, r: 8, p: 1 },
      createWallet: () => {
        const wallet = Wallet.createRandom();
        generated.push(wallet.address);
        return wallet;
      },
    }));
    registry = LotRegistry__factory.connect(chain.deployments.contracts.LotRegistry!.address, chain.provider);
    provider = new ReceiptFailingProvider(chain.node.url, EMBEDDED_CHAIN_ID, { staticNetwork: true });
    provider.pollingInterval = 250;
    governorAddress = await chain.governor.getAddress();
  });
  afterEach(() => {
    provider.receiptFaults = 0;
    provider.receiptFaultDelayMs = 0;
  });
  after(async function () {
    provider?.destroy();
    await db?.close();
    await chain?.stop();
    removeTempDir(dir);
  });

  const admin = (governor: JsonRpcSigner): MemberAdmin => ({ db, keystore, registry: registry.target as string, governor, chainId: BigInt(EMBEDDED_CHAIN_ID) });
  const storedKeys = async () => (await db.query<{ n: number }>("select count(*)::int as n from custodial_keys")).rows[0]!.n;
  const memberOf = async (account: string) => (await registry.accountOf(account))[0];

  async function receiptOf(hash: string, timeoutMs = 20_000): Promise<TransactionReceipt> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const receipt = await chain.provider.getTransactionReceipt(hash);
      if (receipt) return receipt;
      if (Date.now() > deadline) throw new Error(`transaction ${hash} not mined`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it("keeps the new keys and says the outcome is unknown when the transaction was sent but waiting for it failed", async function () {
    provider.receiptFaults = Infinity;
    const keysBefore = await storedKeys();
    const error = await rejection(addMember(admin(new JsonRpcSigner(provider, governorAddress)), { roles: ["cooperative"], country: "ID", custodialAccounts: 2 }));
    expect(error).to.be.instanceOf(MemberAdminOutcomeUnknownError);
    const unknown = error as MemberAdminOutcomeUnknownError;
    const accounts = generated.slice(-2);
    expect(unknown.keptAccounts).to.deep.equal(accounts);
    expect(unknown.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(unknown.shortMessage).to.contain(`addMember transaction ${unknown.txHash}`).and.contain("unknown").and.contain("are kept");
    expect(await storedKeys()).to.equal(keysBefore + 2);

    // The transaction went through after all: the accounts are members, and their keys still sign.
    expect((await receiptOf(unknown.txHash!)).status).to.equal(1);
    const memberId = await memberOf(accounts[0]!);
    expect(memberId > 0n, `member of ${accounts[0]}`).to.equal(true);
    expect(await memberOf(accounts[1]!)).to.equal(memberId);
    for (const account of accounts) expect(await (await keystore.signer(account)).getAddress()).to.equal(account);
    expect((await keystore.listAccounts(memberId)).map((account) => account.address)).to.have.members(accounts);
  });

  it("completes the member from the registry when the transaction was mined but its receipt could not be read", async function () {
    // One lookup fails, late enough for the transaction to be mined (a block is at most 1 s) before the registry is asked.
    provider.receiptFaults = 1;
    provider.receiptFaultDelayMs = 2_500;
    const added = await addMember(admin(new JsonRpcSigner(provider, governorAddress)), { roles: ["processor"], country: "TH" });
    const [account] = generated.slice(-1);
    expect(added.accounts).to.deep.equal([{ address: account, custodial: true }]);
    expect(await memberOf(account!)).to.equal(added.memberId);
    expect(added.token).to.match(/^fm_/);
    expect((await receiptOf(added.txHash)).status).to.equal(1);
    expect((await keystore.listAccounts(added.memberId)).map((stored) => stored.address)).to.deep.equal([account]);
  });

  it("adds members side by side on 1 s blocks, each transaction mined as it arrives, without two taking one nonce (the demo's seeding)", async function () {
    // Instant mining needs whole-second blocks, as the embedded default has: a node of its own.
    const ownDir = makeTempDir("member-admin-instant");
    await copyChainTemplate(ownDir);
    const own = await startEmbeddedChain({ paths: dataPaths(ownDir), port: await freePort(), blockTime: 1, stateInterval: 60 });
    try {
      const ownAdmin: MemberAdmin = { ...admin(await own.provider.getSigner(0)), registry: own.deployments.contracts.LotRegistry!.address };
      const added = await own.withInstantBlocks(() =>
        Promise.all(["ID", "TH", "VN", "ID", "TH", "VN"].map((country) => addMember(ownAdmin, { roles: ["processor"], country, token: false }))),
      );
      expect(new Set(added.map((member) => String(member.memberId))).size).to.equal(6);
      const ownRegistry = LotRegistry__factory.connect(ownAdmin.registry, own.provider);
      for (const member of added) expect((await ownRegistry.accountOf(member.accounts[0]!.address))[0]).to.equal(member.memberId);
    } finally {
      await own.stop();
      removeTempDir(ownDir);
    }
  });

  it("adds members side by side through two gateways' signers of one unlocked account: a nonce the other took is taken again", async function () {
    // Two organisations' gateways on a development chain both govern with its first account; the
    // node picks each transaction's nonce, and two picked at once collide (refused as underpriced).
    const ownDir = makeTempDir("member-admin-two");
    await copyChainTemplate(ownDir);
    const own = await startEmbeddedChain({ paths: dataPaths(ownDir), port: await freePort(), blockTime: 1, stateInterval: 60 });
    const providers = [0, 1].map(() => new JsonRpcProvider(own.node.url, EMBEDDED_CHAIN_ID, { staticNetwork: true }));
    try {
      const governor = await own.governor.getAddress();
      const nonceBefore = await own.provider.getTransactionCount(governor, "latest");
      const admins = providers.map((each): MemberAdmin => ({ ...admin(new JsonRpcSigner(each, governor)), registry: own.deployments.contracts.LotRegistry!.address }));
      const added = await Promise.all(Array.from({ length: 16 }, (_, i) => addMember(admins[i % 2]!, { roles: ["processor"], country: "ID", token: false })));
      expect(new Set(added.map((member) => String(member.memberId))).size).to.equal(16);
      expect(await own.provider.getTransactionCount(governor, "latest"), "one transaction per member").to.equal(nonceBefore + 16);
    } finally {
      for (const each of providers) each.destroy();
      await own.stop();
      removeTempDir(ownDir);
    }
  });

  it("sends again when the node refuses the transaction for a nonce another sender took, and registers the member once", async function () {
    const nonceBefore = await chain.provider.getTransactionCount(governorAddress, "latest");
    const signer = new NonceTakenOnceSigner(chain.provider, governorAddress);
    const added = await addMember(admin(signer), { roles: ["processor"], country: "VN", token: false });
    expect(signer.sends, "refused once, then sent").to.equal(2);
    expect((await receiptOf(added.txHash)).status).to.equal(1);
    expect(await memberOf(added.accounts[0]!.address)).to.equal(added.memberId);
    expect(await chain.provider.getTransactionCount(governorAddress, "latest")).to.equal(nonceBefore + 1);
  });

  it("removes the new keys when the chain refuses the member before anything is sent", async function () {
    const outsider = await chain.provider.getSigner(5);
    const nonceBefore = await chain.provider.getTransactionCount(await outsider.getAddress(), "pending");
    const keysBefore = await storedKeys();
    const error = await rejection(addMember(admin(outsider), { roles: ["cooperative"], country: "ID", custodialAccounts: 2 }));
    expect(error).to.be.instanceOf(MemberAdminError).and.not.instanceOf(MemberAdminOutcomeUnknownError);
    expect((error as MemberAdminError).shortMessage).to.equal("The chain refused to add the member");
    expect((error as MemberAdminError).details).to.equal(`MembershipUnauthorized(account=${await outsider.getAddress()}, neededRoles=32)`);
    expect(await storedKeys()).to.equal(keysBefore);
    for (const account of generated.slice(-2)) {
      expect(await rejection(keystore.signer(account))).to.be.instanceOf(KeystoreUnknownAccountError);
      expect(await memberOf(account)).to.equal(0n);
    }
    expect(await chain.provider.getTransactionCount(await outsider.getAddress(), "pending"), "nothing sent").to.equal(nonceBefore);
  });

  it("removes the new keys when the transaction was mined and its receipt shows it reverted", async function () {
    const nonceBefore = await chain.provider.getTransactionCount(governorAddress, "latest");
    const keysBefore = await storedKeys();
    const error = await rejection(addMember(admin(new StarvedSigner(chain.provider, governorAddress)), { roles: ["cooperative"], country: "ID" }));
    expect(error).to.be.instanceOf(MemberAdminError).and.not.instanceOf(MemberAdminOutcomeUnknownError);
    expect((error as MemberAdminError).shortMessage).to.match(/^addMember transaction 0x[0-9a-f]{64} reverted$/);
    expect(await storedKeys()).to.equal(keysBefore);
    const [account] = generated.slice(-1);
    expect(await rejection(keystore.signer(account!))).to.be.instanceOf(KeystoreUnknownAccountError);
    expect(await memberOf(account!)).to.equal(0n);
    expect(await chain.provider.getTransactionCount(governorAddress, "latest"), "the transaction was mined").to.equal(nonceBefore + 1);
  });
});

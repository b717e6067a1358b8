import { expect } from "chai";
import { readDeployments } from "../../src/chain/deployments";
import { dataPaths } from "../../src/config";
import { startEmbeddedChain, type EmbeddedChain } from "../../src/gateway/embeddedChain";
import { freePort } from "../helpers/ports";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

/**
 * A new user's first start deploys about 25 transactions one after another. On the embedded
 * default's 1 s blocks each would wait for its block; the node mines them as they arrive instead,
 * then goes back to one block a second.
 */
describe("the embedded chain's first deployment (1 s blocks)", function () {
  this.timeout(180_000);
  let dir: string;
  let chain: EmbeddedChain | undefined;

  before(async function () {
    dir = makeTempDir("first-deployment");
    chain = await startEmbeddedChain({ paths: dataPaths(dir), port: await freePort(), blockTime: 1 });
  });
  after(async function () {
    await chain?.stop();
    removeTempDir(dir);
  });

  it("mines the deployment's transactions as they arrive: far fewer seconds of chain time than transactions", async function () {
    const provider = chain!.provider;
    const deployments = readDeployments(dataPaths(dir).deploymentsFile)!;
    const blocks = Object.values(deployments.contracts).map((contract) => contract!.blockNumber);
    const head = await provider.getBlockNumber();
    // Every block from the first contract's to the deployment's end holds one of its transactions.
    let transactions = 0;
    let last = Math.min(...blocks);
    for (let number = Math.min(...blocks); number <= head; number++) {
      const block = (await provider.getBlock(number))!;
      if (block.transactions.length === 0) continue;
      transactions += block.transactions.length;
      last = number;
    }
    const first = (await provider.getBlock(Math.min(...blocks)))!;
    const end = (await provider.getBlock(last))!;
    expect(transactions).to.be.above(15);
    expect(end.timestamp - first.timestamp, `${transactions} transactions over blocks ${first.number}..${end.number}`).to.be.below(transactions / 3);
  });

  it("goes back to interval mining afterwards: blocks come without transactions, and a transaction waits for its block", async function () {
    const provider = chain!.provider;
    expect(await provider.send("anvil_getAutomine", [])).to.equal(false);
    const before = await provider.getBlockNumber();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await provider.getBlockNumber()).to.be.above(before);
  });

  it("mines each transaction as it arrives inside withInstantBlocks (the demo's seeding), nested or failing, then goes back", async function () {
    const provider = chain!.provider;
    const governor = chain!.governor;
    const mined = await chain!.withInstantBlocks(async () => {
      expect(await provider.send("anvil_getAutomine", [])).to.equal(true);
      // Nested: the inner end leaves the outer's instant mining on.
      await chain!.withInstantBlocks(async () => {});
      expect(await provider.send("anvil_getAutomine", [])).to.equal(true);
      const sent = await governor.sendTransaction({ to: await governor.getAddress(), value: 1n });
      // Mined before the next interval block could have come.
      return provider.getTransactionReceipt(sent.hash);
    });
    expect(mined, "a receipt at once").to.not.equal(null);
    expect(await provider.send("anvil_getAutomine", [])).to.equal(false);
    const failing = chain!.withInstantBlocks(async () => {
      throw new Error("a step of the work failed");
    });
    await failing.then(
      () => expect.fail("the work's error must reach the caller"),
      (error: Error) => expect(error.message).to.equal("a step of the work failed"),
    );
    expect(await provider.send("anvil_getAutomine", [])).to.equal(false);
    const before = await provider.getBlockNumber();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await provider.getBlockNumber(), "interval blocks again").to.be.above(before);
  });
});

describe("withInstantBlocks on a chain whose interval cannot be set back (250 ms blocks)", function () {
  this.timeout(180_000);

  it("runs the work as it is and leaves the node on its interval", async function () {
    const dir = makeTempDir("instant-blocks");
    const chain = await startEmbeddedChain({ paths: dataPaths(dir), port: await freePort(), blockTime: 0.25 });
    try {
      const automine = await chain.withInstantBlocks(() => chain.provider.send("anvil_getAutomine", []));
      expect(automine).to.equal(false);
      const before = await chain.provider.getBlockNumber();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await chain.provider.getBlockNumber()).to.be.above(before);
    } finally {
      await chain.stop();
      removeTempDir(dir);
    }
  });
});

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ZeroHash } from "ethers";
import { EmbeddedChainIdError } from "../../src/chain/embeddedChain";
import { readDeployments } from "../../src/chain/deployments";
import { dataPaths, loadConfig } from "../../src/config";
import { connectChain } from "../../src/gateway/connectChain";
import { startEmbeddedChain, type EmbeddedChain } from "../../src/gateway/embeddedChain";
import { LotRegistry__factory } from "../../typechain-types";
import { DEMO_SCHEMES } from "../../src/attestations/schemes";
import { FORMS, YIELDS, formByKey } from "../../src/lots/forms";
import { Role } from "../../src/membership/roles";
import { freePort } from "../helpers/ports";
import { TEST_NODE, TEST_NODE_ENV } from "../helpers/testNode";
import { rejection } from "../helpers/rejection";

describe("embedded chain (anvil with --state under the data directory)", () => {
  let dataDir: string;
  let chain: EmbeddedChain | undefined;

  before(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-chain-"));
  });

  after(async () => {
    await chain?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("deploys once, keeps a minted lot across a hard kill, and redeploys nothing on restart", async () => {
    const port = await freePort();
    const firstLog: string[] = [];
    chain = await startEmbeddedChain({ paths: dataPaths(dataDir), port, blockTime: TEST_NODE.blockTime, log: (line) => firstLog.push(line) });
    const first = chain.deployments;
    // The deploy steps say what the chain holds, and what this start added.
    const dryForms = FORMS.filter((form) => form.dryBasis).length;
    expect(firstLog).to.include(`forms: ${FORMS.length} forms (${FORMS.length} new), ${YIELDS.length} yield bounds (${YIELDS.length} set), ${dryForms} dry-weight forms (${dryForms} set)`);
    expect(firstLog).to.include("attestations: observer set, 0 schemes");
    // The demo schemes, from deploy/demo/, on the embedded (development) chain only.
    expect(firstLog).to.include(`demo schemes: ${DEMO_SCHEMES.length} schemes (${DEMO_SCHEMES.length} new)`);
    expect(Object.keys(first.contracts)).to.have.members(["Forwarder", "LotRegistry", "FormCatalogue", "AttestationRegistry", "Governance", "DdsRegistry", "PayoutRegistry"]);
    const recorded = JSON.parse(fs.readFileSync(chain.deploymentsFile, "utf8"));
    expect(recorded.contracts.LotRegistry.address).to.equal(first.contracts.LotRegistry.address);

    // A cooperative (anvil's second development account) mints a delivery.
    const cooperative = await chain.provider.getSigner(1);
    const membership = LotRegistry__factory.connect(first.contracts.LotRegistry.address, chain.governor);
    await (await membership.addMember(Role.cooperative, "0x4944", ZeroHash, [await cooperative.getAddress()])).wait();
    const lots = LotRegistry__factory.connect(first.contracts.LotRegistry.address, cooperative);
    const delivery = { form: formByKey("cocoa-wet-beans").id, grams: 123_456n, quality: 5_500, metadata: ZeroHash, origin: ZeroHash };
    await (await lots.mint(delivery)).wait();
    const lotId = (await lots.nextLotId(await cooperative.getAddress())) - 1n;
    const [lotBefore, headBefore] = await lots.getLot(lotId);
    const governorNonce = await chain.provider.getTransactionCount(await chain.governor.getAddress());

    // Kill the node without letting it save on exit: the interval dump must already hold the lot.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    chain.node.process.kill("SIGKILL");
    await new Promise((resolve) => chain!.node.process.once("exit", resolve));
    chain.provider.destroy();

    const restartLog: string[] = [];
    chain = await startEmbeddedChain({ paths: dataPaths(dataDir), port, blockTime: TEST_NODE.blockTime, log: (line) => restartLog.push(line) });
    expect(chain.deployments.contracts).to.deep.equal(first.contracts);
    // Not "0 registered": what is there, and that nothing is new.
    expect(restartLog).to.include(`forms: ${FORMS.length} forms, ${YIELDS.length} yield bounds, ${dryForms} dry-weight forms, none new`);
    expect(restartLog).to.include(`attestations: observer already set, ${DEMO_SCHEMES.length} schemes`);
    expect(restartLog).to.include(`demo schemes: ${DEMO_SCHEMES.length} schemes, none new`);
    expect(await chain.provider.getTransactionCount(await chain.governor.getAddress())).to.equal(governorNonce);

    const reopened = LotRegistry__factory.connect(first.contracts.LotRegistry.address, chain.provider);
    const [lotAfter, headAfter] = await reopened.getLot(lotId);
    expect(lotAfter.grams).to.equal(lotBefore.grams).and.to.equal(123_456n);
    expect(lotAfter.custodian).to.equal(await cooperative.getAddress());
    expect(headAfter).to.equal(headBefore).and.not.equal(ZeroHash);
  });

  it("refuses to start when the port is taken, naming the port and the setting", async () => {
    const port = chain!.node.url.split(":").pop()!;
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-chain-"));
    try {
      await startEmbeddedChain({ paths: dataPaths(otherDir), port: Number(port) }).then(
        () => expect.fail("a second node on the same port must not start"),
        (error: Error) => expect(error.message).to.equal(`port ${port} on 127.0.0.1 is in use: another chain node or gateway runs there (set FIRSTMILE_CHAIN_PORT)`),
      );
    } finally {
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });
});

describe("embedded profile: FIRSTMILE_CHAIN_ID and FIRSTMILE_DEPLOYMENTS_FILE", () => {
  let dataDir: string;

  before(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-chain-id-"));
  });

  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("runs anvil as the chain id asked for, records the contracts in the file named, and refuses to reopen that state as another chain", async () => {
    const deploymentsFile = path.join(dataDir, "ops", "contracts.json");
    const env = { FIRSTMILE_DATA_DIR: dataDir, FIRSTMILE_CHAIN_PORT: String(await freePort()), FIRSTMILE_DEPLOYMENTS_FILE: deploymentsFile, ...TEST_NODE_ENV };
    const chain = await connectChain(loadConfig({ env: { ...env, FIRSTMILE_CHAIN_ID: "4242" }, cwd: dataDir }));
    try {
      expect(await chain.provider.send("eth_chainId", [])).to.equal("0x1092");
      expect(chain.chainId).to.equal(4242n);
      const recorded = readDeployments(deploymentsFile)!;
      expect(recorded.chainId).to.equal(4242);
      expect(recorded.contracts.LotRegistry!.address).to.equal(chain.registry);
      expect(fs.existsSync(dataPaths(dataDir).deploymentsFile), "nothing written to the default deployments file").to.equal(false);
    } finally {
      await chain.stop();
    }

    const before = fs.readFileSync(deploymentsFile, "utf8");
    const error = await rejection(connectChain(loadConfig({ env, cwd: dataDir })));
    expect(error).to.be.instanceOf(EmbeddedChainIdError);
    expect(error.message).to.contain(`The chain state in ${dataPaths(dataDir).chainState} is chain 4242, not chain 31337`);
    expect(error.message).to.contain("set FIRSTMILE_CHAIN_ID=4242");
    expect(fs.readFileSync(deploymentsFile, "utf8"), "the record is left as it was").to.equal(before);
    const answer = await fetch(`http://127.0.0.1:${env.FIRSTMILE_CHAIN_PORT}`, { method: "POST", body: "{}" }).then(
      () => "answered",
      () => "refused",
    );
    expect(answer, "no node was started").to.equal("refused");
  });
});

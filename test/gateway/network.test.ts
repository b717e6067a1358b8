import path from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import { connectProvider } from "../../src/chain/provider";
import { cidToDigest, parseEvidenceCid, verifyFileBytes } from "../../src/evidence";
import { formByKey } from "../../src/lots/forms";
import { planLocalNetwork } from "../../src/network/localNetwork";
import { runNetworkStory, type NetworkStoryReturnType } from "../../src/network/story";
import { encodeLotCall } from "../../src/relay/lotCalls";
import { sendControlCommand } from "../../src/gateway/controlSocket";
import { ERC2771Forwarder__factory, LotRegistry__factory } from "../../typechain-types";
import { copyChainTemplate } from "../helpers/chainTemplate";
import { copyMigratedPglite } from "../helpers/engines";
import { freePort } from "../helpers/ports";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { signOwnRequest } from "../relay/fixtures";
import { client, startConfiguredTestGateway, startTestGateway, waitUntilReady, type TestGateway } from "./helpers";

/**
 * Three organisations' gateways on one chain (real gateways: one anvil, three PGlites, three
 * keystores, three evidence stores, three relayer accounts): the cooperative's starts the node, the
 * exporter's and the chocolate maker's point FIRSTMILE_RPC_URL at it and read its deployments file.
 * The story (src/network/story.ts) moves a lot from the cooperative through the exporter to the
 * chocolate maker, each acting through its own gateway.
 */
describe("a gateway per organisation on one chain (real gateways, anvil, PGlite)", function () {
  this.timeout(180_000);
  let dir: string;
  const running: TestGateway[] = [];
  let story: NetworkStoryReturnType;
  const phone = Wallet.createRandom();

  before(async function () {
    dir = makeTempDir("network");
    const ports = [await freePort(), await freePort(), await freePort()];
    const plan = planLocalNetwork({ rootDir: dir, ports, chainPort: await freePort() });
    const [first, ...others] = plan;
    // Every data dir gets the run's migrated PGlite; A also the run's deployed chain (it starts
    // the node as a restart does). B and C have no chain of their own: they point at A's node.
    await Promise.all(plan.map((site) => copyMigratedPglite(path.join(site.dataDir, "pgdata"))));
    await copyChainTemplate(first!.dataDir);
    running.push(await startTestGateway(first!.dataDir, first!.env));
    running.push(...(await Promise.all(others.map((site) => startConfiguredTestGateway(site.dataDir, site.env)))));
    const [a, b, c] = running.map((site) => site.gateway);
    story = await runNetworkStory({ cooperativeSite: a!, exporterSite: b!, brandSite: c!, cooperativeOwnAccounts: [phone.address] });
  });

  after(async function () {
    await Promise.all(running.slice(1).map((site) => site.gateway.stop()));
    await running[0]?.gateway.stop();
    removeTempDir(dir);
  });

  const gateways = () => running.map((site) => site.gateway);
  const registryOn = () => {
    const a = running[0]!.gateway;
    const provider = connectProvider(a.chain.url, Number(a.chain.chainId));
    return { provider, registry: LotRegistry__factory.connect(a.chain.deployments.contracts.LotRegistry!.address, provider) };
  };

  it("runs each gateway on its own data dir, relayer and SQL against the one node", function () {
    const [a, b, c] = gateways();
    expect(b!.chain.embedded).to.equal(false);
    expect(c!.chain.embedded).to.equal(false);
    expect(b!.chain.url).to.equal(a!.chain.url);
    expect(b!.chain.deployments.contracts.LotRegistry!.address).to.equal(a!.chain.deployments.contracts.LotRegistry!.address);
    expect(new Set([a!.relayer, b!.relayer, c!.relayer]).size).to.equal(3);
    expect(new Set(running.map((site) => site.config.dataDir)).size).to.equal(3);
  });

  it("indexes the whole chain on every gateway: the same history head for the lot, equal to the chain's", async function () {
    const { provider, registry } = registryOn();
    const onChain = await registry.historyHead(story.gradedLot);
    provider.destroy();
    const members = [story.cooperative, story.exporter, story.brand];
    const heads = await Promise.all(
      gateways().map(async (gateway, i) => {
        const api = client(gateway.url, members[i]!.token);
        // Each indexer follows the node on its own: wait until it has seen the last accept.
        for (const deadline = Date.now() + 20_000; ; ) {
          const lot = await api.get(`/v1/lots/${story.gradedLot}`);
          if (lot.status === 200 && lot.body.custodian.memberId === story.brand.memberId) break;
          if (Date.now() > deadline) throw new Error(`${gateway.url} has not indexed the accept: ${JSON.stringify(lot.body)}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const history = await api.get(`/v1/lots/${story.gradedLot}/history?limit=100`);
        expect(history.status).to.equal(200);
        return history.body.items.at(-1).head as string;
      }),
    );
    expect(heads).to.deep.equal([onChain, onChain, onChain]);
  });

  it("shows the same verified page of the final lot on every gateway, the cooperative's ticket listed with its CID", async function () {
    const pages = await Promise.all(gateways().map((gateway) => client(gateway.url).get(`/l/${story.gradedLot}?format=json`)));
    for (const [i, page] of pages.entries()) {
      expect(page.status, `page on gateway ${i}`).to.equal(200);
      expect(page.body.verification.ok, JSON.stringify(page.body.verification.mismatches)).to.equal(true);
      expect(page.body.verification.lotsChecked).to.be.at.least(2);
      // B and C read the ticket from A's trustless endpoint to resolve its CID.
      const listed = page.body.evidence.find((item: { digest: string }) => item.digest === story.ticket.digest);
      expect(listed, `ticket on gateway ${i}`).to.deep.include({ cid: story.ticket.cid });
    }
    const [a, b, c] = pages.map((page) => page.body);
    expect(b.lot).to.deep.equal(a.lot);
    expect(c.lot).to.deep.equal(a.lot);
  });

  it("fetches the cooperative's evidence at the exporter's gateway from A's trustless endpoint, verified by CID, and keeps it", async function () {
    const [a, b] = gateways();
    expect(await a!.evidence.has(story.ticket.cid)).to.equal(true);
    const bytes = await client(b!.url, story.exporter.token).get(`/v1/evidence/${story.ticket.cid}`);
    expect(bytes.status).to.equal(200);
    expect(bytes.body.ticket).to.equal("KTL-WT-2026-901");
    const raw = new TextEncoder().encode(JSON.stringify(bytes.body));
    await verifyFileBytes(parseEvidenceCid(story.ticket.cid), raw, "the exporter's gateway");
    expect(cidToDigest(parseEvidenceCid(story.ticket.cid))).to.equal(story.ticket.digest);
    // Kept at B now: B's own trustless endpoint serves it without asking A.
    expect(await b!.evidence.has(story.ticket.cid)).to.equal(true);
    const served = await fetch(`${b!.url}/ipfs/${story.ticket.cid}?format=raw`);
    expect(served.status).to.equal(200);
    // A CID nobody holds is still a 404 at B (its peers asked, none has it).
    const unknown = await client(b!.url, story.exporter.token).get(`/v1/evidence/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy`);
    expect(unknown.status).to.equal(404);
  });

  it("keeps the farmer and plot records at the cooperative's gateway only", async function () {
    const [a, b] = gateways();
    expect((await client(a!.url, story.cooperative.token).get(`/v1/farmers/${story.farmerId}`)).status).to.equal(200);
    expect((await client(b!.url, story.exporter.token).get(`/v1/farmers/${story.farmerId}`)).status).to.equal(404);
    expect((await client(b!.url, story.exporter.token).get(`/v1/plots/${story.plotId}`)).status).to.equal(404);
    // The cooperative's token means nothing at B: tokens are per gateway.
    expect((await client(b!.url, story.cooperative.token).get("/v1/members/me")).status).to.equal(401);
  });

  it("relays a member's self-signed requests through either gateway in nonce order", async function () {
    const [a, b] = gateways();
    const { deployments, chainId } = a!.chain;
    const provider = connectProvider(a!.chain.url, Number(chainId));
    const forwarder = deployments.contracts.Forwarder!.address;
    const registry = deployments.contracts.LotRegistry!.address;
    const net = { chainId, forwarder, registry, forwarderContract: ERC2771Forwarder__factory.connect(forwarder, provider) };
    // The cooperative's token at B, issued by B for the member A added (any gateway may serve any member).
    const issued = await sendControlCommand(b!.controlSocket!, "POST", `/members/${story.cooperative.memberId}/tokens`, { label: "network test" });
    const atA = client(a!.url, story.cooperative.token);
    const atB = client(b!.url, (issued!.body as { token: string }).token);

    const dryBeans = formByKey("cocoa-dry-beans").id;
    const mint = (grams: number) => encodeLotCall("lots.mint", { form: dryBeans, grams: String(grams), metadata: story.ticket.digest, origin: `0x${"ef".repeat(32)}` });
    const start = await net.forwarderContract.nonces(phone.address);
    const first = await signOwnRequest(net, phone, mint(10_000), { nonce: start });
    const second = await signOwnRequest(net, phone, mint(20_000), { nonce: start + 1n });
    // The first through A, the second through B at once, before the first is mined.
    const sentA = await atA.post("/v1/relay", relayBody(first), { "idempotency-key": "network-self-1" });
    const sentB = await atB.post("/v1/relay", relayBody(second), { "idempotency-key": "network-self-2" });
    expect([sentA.status, sentB.status], JSON.stringify([sentA.body, sentB.body])).to.deep.equal([202, 202]);
    const [minedA, minedB] = await Promise.all([atA.settle(sentA.body.id, 60_000), atB.settle(sentB.body.id, 60_000)]);
    expect(minedA.final.status, JSON.stringify(minedA.final.error)).to.equal("mined");
    expect(minedB.final.status, JSON.stringify(minedB.final.error)).to.equal("mined");
    expect(minedA.final.call).to.deep.include({ from: phone.address, custodial: false, nonce: start.toString() });
    expect(minedB.final.call).to.deep.include({ from: phone.address, custodial: false, nonce: (start + 1n).toString() });
    const blockA = Number(minedA.final.transaction.blockNumber);
    const blockB = Number(minedB.final.transaction.blockNumber);
    expect(blockA).to.be.at.most(blockB);
    // Each gateway's own relayer paid for the one it relayed.
    const [txA, txB] = await Promise.all([provider.getTransaction(minedA.final.transaction.hash), provider.getTransaction(minedB.final.transaction.hash)]);
    expect(txA!.from).to.equal(a!.relayer);
    expect(txB!.from).to.equal(b!.relayer);
    expect(await net.forwarderContract.nonces(phone.address)).to.equal(start + 2n);
    // A replay of the first through B is refused with the forwarder's vocabulary.
    const replay = await atB.post("/v1/relay", relayBody(first), { "idempotency-key": "network-self-3" });
    expect(replay.status).to.equal(422);
    expect(replay.body.error.details.error).to.equal("InvalidAccountNonce");
    provider.destroy();
  });
});

/** JSON body of a self-signed request as POST /v1/relay takes it. */
function relayBody(signed: Awaited<ReturnType<typeof signOwnRequest>>) {
  const r = signed.forwardRequest;
  return {
    request: { from: r.from, to: r.to, value: r.value.toString(), gas: r.gas.toString(), nonce: r.nonce.toString(), deadline: r.deadline.toString(), data: r.data },
    signature: signed.signature,
  };
}

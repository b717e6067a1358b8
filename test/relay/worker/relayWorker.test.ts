import { expect } from "chai";
import { Wallet } from "ethers";
import { encodeLotCall } from "../../../src/relay/lotCalls";
import { enqueueRelayRequest, enqueueRelayRequests, getRelayRequest } from "../../../src/relay/outbox";
import type { RelayWorker } from "../../../src/relay/worker";
import { failOnce, interceptDatabase } from "../../helpers/interceptDatabase";
import { delivery, settled, signOwnRequest, startRelayNetwork, type RelayNetwork } from "../fixtures";

describe("relay worker (anvil + PGlite)", function () {
  let network: RelayNetwork;
  let worker: RelayWorker;
  let keys = 0;
  const key = () => `k-${++keys}`;

  before(async function () {
    network = await startRelayNetwork();
    worker = network.newWorker();
    await worker.start();
  });
  after(async function () {
    await worker?.stop({ drainMs: 2_000 });
    await network?.stop();
  });

  const coop = () => network.members.cooperative;
  const mint = (grams: number, form = 1) => ({ memberId: coop().memberId, idempotencyKey: key(), kind: "lots.mint", payload: delivery(grams, form) });

  it("mints for a custodial member: mined, with the new lot id in the outputs", async function () {
    const account = coop().accounts[0]!.address;
    const expected = await network.lots.nextLotId(account);
    const { request } = await enqueueRelayRequest(network.db, mint(42_000));
    const done = await settled(network.db, coop().memberId, request.id);
    expect(done.status).to.equal("mined");
    expect(done.outputs).to.deep.include({ lotIds: [expected.toString()] });
    expect(done.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(await network.lots.ownerOf(expected)).to.equal(account);
    expect((await network.lots.getLot(expected)).lot.grams).to.equal(42_000n);
  });

  it("coalesces queued mints of one account into one mintBatch call, each request keeping its own lot ids", async function () {
    const account = coop().accounts[0]!.address;
    const first = await network.lots.nextLotId(account);
    const nonceBefore = await network.forwarderContract.nonces(account);
    const results = await enqueueRelayRequests(network.db, [
      ...Array.from({ length: 20 }, (_, i) => mint(1_000 + i)),
      { memberId: coop().memberId, idempotencyKey: key(), kind: "lots.mintBatch", payload: { deliveries: [delivery(5_000), delivery(6_000)] } },
    ]);
    const ids = results.map((result) => ("request" in result ? result.request.id : 0n));
    const done = await Promise.all(ids.map((id) => settled(network.db, coop().memberId, id)));
    expect(done.map((r) => r.status)).to.deep.equal(Array(21).fill("mined"));
    const lotIds = done.flatMap((r) => (r.outputs as { lotIds: string[] }).lotIds);
    expect(lotIds).to.deep.equal(Array.from({ length: 22 }, (_, i) => (first + BigInt(i)).toString()));
    expect((done[20]!.outputs as { lotIds: string[] }).lotIds).to.have.length(2);
    expect(new Set(done.map((r) => r.callId)).size).to.equal(1);
    expect(await network.forwarderContract.nonces(account)).to.equal(nonceBefore + 1n);
    for (const [i, lotId] of lotIds.entries()) {
      if (i < 20) expect((await network.lots.getLot(lotId)).lot.grams).to.equal(BigInt(1_000 + i));
    }
  });

  it("falls back to single calls when a coalesced mint would revert: the bad delivery fails with the decoded error, the others mint", async function () {
    const results = await enqueueRelayRequests(network.db, [mint(1_000), mint(2_000, 99), mint(3_000)]);
    const ids = results.map((result) => ("request" in result ? result.request.id : 0n));
    const [a, bad, c] = await Promise.all(ids.map((id) => settled(network.db, coop().memberId, id)));
    expect(a!.status).to.equal("mined");
    expect(c!.status).to.equal("mined");
    expect(bad!.status).to.equal("failed");
    expect(bad!.txHash).to.equal(null);
    expect(bad!.error).to.deep.include({ name: "LotRegistryUnknownForm" });
    expect((bad!.error!.revert as { args: Record<string, string> }).args).to.deep.equal({ form: "99" });
  });

  it("catches a call the contract would refuse before submission: a processor may not mint", async function () {
    const processor = network.members.processor;
    const { request } = await enqueueRelayRequest(network.db, { memberId: processor.memberId, idempotencyKey: key(), kind: "lots.mint", payload: delivery(1_000) });
    const done = await settled(network.db, processor.memberId, request.id);
    expect(done.status).to.equal("failed");
    expect(done.txHash).to.equal(null);
    expect(done.error!.name).to.equal("MembershipUnauthorized");
    expect((done.error!.revert as { args: unknown }).args).to.deep.equal({ account: processor.accounts[0]!.address, neededRoles: "1" });
    expect(done.error!.message).to.equal(`MembershipUnauthorized(account=${processor.accounts[0]!.address}, neededRoles=1)`);
  });

  it("does not let one request that fails inside a batch sink the others", async function () {
    const { request } = await enqueueRelayRequest(network.db, mint(10_000));
    const minted = await settled(network.db, coop().memberId, request.id);
    const lotId = (minted.outputs as { lotIds: string[] }).lotIds[0]!;
    const receiver = network.members.processor.accounts[0]!.address;
    // Both offers pass simulation alone; in the batch the second finds the lot already in transit.
    const results = await enqueueRelayRequests(network.db, [
      { memberId: coop().memberId, idempotencyKey: key(), kind: "lots.offer", payload: { lotId, receiver } },
      { memberId: coop().memberId, idempotencyKey: key(), kind: "lots.offer", payload: { lotId, receiver } },
      mint(7_000),
    ]);
    const ids = results.map((result) => ("request" in result ? result.request.id : 0n));
    const [offer, again, other] = await Promise.all(ids.map((id) => settled(network.db, coop().memberId, id)));
    expect(offer!.status).to.equal("mined");
    expect(other!.status).to.equal("mined");
    expect(again!.status).to.equal("failed");
    expect(again!.txHash).to.equal(offer!.txHash);
    expect(again!.error!.name).to.equal("LotRegistryWrongStatus");
    expect((again!.error!.revert as { args: unknown }).args).to.deep.equal({ lotId, status: "2" });
    expect((await network.lots.getLot(lotId)).pendingReceiver).to.equal(receiver);
  });

  it("relays a request the member signed with its own key", async function () {
    const phone = network.phone;
    const expected = await network.lots.nextLotId(phone.address);
    const data = encodeLotCall("lots.mint", delivery(3_300));
    const signed = await signOwnRequest(network, phone, data);
    const { request } = await enqueueRelayRequest(network.db, { memberId: network.members.selfCustody.memberId, idempotencyKey: key(), kind: "relay", payload: { call: "mint" }, signed });
    const done = await settled(network.db, network.members.selfCustody.memberId, request.id);
    expect(done.status).to.equal("mined");
    expect(done.custodial).to.equal(false);
    expect((done.outputs as { lotIds: string[] }).lotIds).to.deep.equal([expected.toString()]);
    expect(await network.lots.ownerOf(expected)).to.equal(phone.address);
  });

  it("fails self-signed requests the forwarder would not run: replayed, expired, signed for another chain", async function () {
    const phone = network.phone;
    const memberId = network.members.selfCustody.memberId;
    const data = encodeLotCall("lots.mint", delivery(1_234));
    const used = await signOwnRequest(network, phone, data, { nonce: 0n });
    const now = BigInt(Math.floor(Date.now() / 1000));
    const expired = await signOwnRequest(network, phone, data, { deadline: now - 10n });
    const otherChain = await signOwnRequest(network, phone, data, { chainId: 1n });
    const enqueue = (signed: Awaited<ReturnType<typeof signOwnRequest>>) =>
      enqueueRelayRequest(network.db, { memberId, idempotencyKey: key(), kind: "relay", payload: { n: keys }, signed }).then((r) => r.request.id);
    const [replayed, late, foreign] = await Promise.all([enqueue(used), enqueue(expired), enqueue(otherChain)]);
    const [a, b, c] = await Promise.all([replayed, late, foreign].map((id) => settled(network.db, memberId, id)));
    expect([a!.status, b!.status, c!.status]).to.deep.equal(["failed", "failed", "failed"]);
    expect(a!.error!.name).to.equal("InvalidAccountNonce");
    expect(b!.error!.name).to.equal("ERC2771ForwarderExpiredRequest");
    expect(c!.error!.name).to.equal("ERC2771ForwarderInvalidSigner");
    expect(await network.lots.balanceOf(phone.address)).to.equal(1n);
  });

  it("hands out consecutive forwarder nonces to concurrent requests of one account", async function () {
    const account = coop().accounts[1]!.address;
    const { request } = await enqueueRelayRequest(network.db, {
      memberId: coop().memberId,
      idempotencyKey: key(),
      kind: "lots.mintBatch",
      payload: { account, deliveries: Array.from({ length: 12 }, (_, i) => delivery(100 + i)) },
    });
    const lotIds = ((await settled(network.db, coop().memberId, request.id)).outputs as { lotIds: string[] }).lotIds;
    const nonceBefore = await network.forwarderContract.nonces(account);
    const receiver = network.members.processor.accounts[0]!.address;
    const offers = await Promise.all(
      lotIds.map((lotId) => enqueueRelayRequest(network.db, { memberId: coop().memberId, idempotencyKey: key(), kind: "lots.offer", payload: { account, lotId, receiver } })),
    );
    const done = await Promise.all(offers.map(({ request: offer }) => settled(network.db, coop().memberId, offer.id)));
    expect(done.map((r) => r.status)).to.deep.equal(Array(12).fill("mined"));
    const nonces = done.map((r) => r.forwardRequest!.nonce).sort((a, b) => Number(a - b));
    expect(nonces).to.deep.equal(Array.from({ length: 12 }, (_, i) => nonceBefore + BigInt(i)));
    expect(await network.forwarderContract.nonces(account)).to.equal(nonceBefore + 12n);
    for (const r of done) expect((r.outputs as { events: Array<{ name: string }> }).events.map((e) => e.name)).to.include("HandoverOffered");
  });

  it("refuses a request from an account that is not the member's own", async function () {
    const { request } = await enqueueRelayRequest(network.db, {
      memberId: coop().memberId,
      idempotencyKey: key(),
      kind: "lots.mint",
      payload: { ...delivery(1), account: Wallet.createRandom().address },
    });
    const done = await settled(network.db, coop().memberId, request.id);
    expect(done.status).to.equal("failed");
    expect(done.error!.name).to.equal("RelayAccountError");
    expect(await getRelayRequest(network.db, { memberId: coop().memberId, id: request.id })).to.deep.include({ txHash: null });
  });

  it("mines what a pass could not record once the database answers again, without a gap in the relayer's nonces", async function () {
    // Alone on the outbox: the worker under test must be the one that meets the failure.
    await worker.stop({ drainMs: 2_000 });
    const faulty = network.newWorker(interceptDatabase(network.db, failOnce(/relay_expect_held/, () => new Error("database went away"))));
    await faulty.start();
    try {
      const relayer = network.relayer.signer.address;
      const sentBefore = await network.chain.provider.getTransactionCount(relayer, "latest");
      const account = coop().accounts[0]!.address;
      const expected = await network.lots.nextLotId(account);
      const { request } = await enqueueRelayRequest(network.db, mint(7_000));
      const done = await settled(network.db, coop().memberId, request.id);
      expect(done.status).to.equal("mined");
      expect(done.attempts).to.equal(2);
      expect(done.outputs).to.deep.include({ lotIds: [expected.toString()] });
      // One transaction went out, under the nonce the failed pass had signed with and never sent.
      expect(await network.chain.provider.getTransactionCount(relayer, "latest")).to.equal(sentBefore + 1);
    } finally {
      await faulty.stop({ drainMs: 2_000 });
      worker = network.newWorker();
      await worker.start();
    }
  });
});

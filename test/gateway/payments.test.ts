import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { runVerify } from "../../src/cli/commands/verify";
import { captureStreams } from "../helpers/capture";
import { verifyPayoutLeaf, type LeafValue } from "../../src/payments";
import { confirmWithSoftPasskey, receiptPhotoPng } from "../../src/demo/demoConfirmations";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { addMemberThroughGateway, client, delivery, startTestGateway, type TestGateway } from "./helpers";

/**
 * Payments through a real gateway: farmers with consents, deliveries minted, merged and sold to a
 * brand on the chain, the brand's premium commitment (refused on a lot it does not hold), payment
 * records and their refusals (nothing written), a payout run mined on chain and indexed, the lot
 * page's premium figures, the run's export checking against its root, and the living-income report.
 */
type Member = Awaited<ReturnType<typeof addMemberThroughGateway>>;

const FARMERS = [
  { name: "Siti Lamanda", gender: "female", householdSize: 5, femaleHeadedHousehold: true },
  { name: "Wayan Sudarta", gender: "male", householdSize: 4, femaleHeadedHousehold: false },
  { name: "Nurhayati Baso", gender: "female", householdSize: 3, femaleHeadedHousehold: true },
  { name: "Ketut Arsana", gender: "male", householdSize: 6, femaleHeadedHousehold: false },
  { name: "Rosmini Tahir", gender: "female", householdSize: 4, femaleHeadedHousehold: true },
  { name: "Andi Mappa", gender: "male", householdSize: 5, femaleHeadedHousehold: false },
];
const GRAMS = [600_000, 500_000, 400_000, 300_000, 200_000, 100_000];

describe("payments through the gateway (real chain, SQL, keystore, relay and indexer)", function () {
  this.timeout(300_000);
  let dir: string;
  let running: TestGateway;
  let coop: Member;
  let otherCoop: Member;
  let brand: Member;
  let farmerIds: string[] = [];
  let deliveries: string[] = [];
  let otherDelivery: string;
  let merged: string;
  let paymentIds: string[] = [];
  let root: string;
  let keys = 0;
  const api = (member?: Member) => client(running.gateway.url, member?.token);
  const key = () => ({ "idempotency-key": `payments-${++keys}` });
  const count = async (table: string) => Number((await running.gateway.db.query<{ n: string }>(`select count(*)::text as n from ${table}`)).rows[0]!.n);

  async function mined(member: Member, path: string, body: unknown) {
    const answer = await api(member).post(path, body, key());
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    const { final } = await api(member).settle(answer.body.id);
    expect(final.status, JSON.stringify(final.error)).to.equal("mined");
    await running.gateway.indexer.waitForBlock(Number(final.transaction.blockNumber));
    return final;
  }

  const payment = (i: number, overrides: Record<string, unknown> = {}) => ({
    farmerId: farmerIds[i],
    deliveryLotIds: [deliveries[i]],
    grossGrams: GRAMS[i],
    quality: { moistureBps: 5_500, beanCount: 95 },
    price: { perKg: 1_200_000, basis: "wet" },
    currency: "IDR",
    minorUnits: 2,
    deductions: [{ reason: "foreign matter", amount: 50_000 }],
    premiums: [{ component: "living-income-differential", amount: (GRAMS[i]! / 1000) * 30_000, scheme: "living-income" }],
    // Paid as soon as delivered: a payment in the future is refused.
    paidAt: new Date().toISOString(),
    method: "mobile-money",
    ...overrides,
  });

  before(async function () {
    dir = makeTempDir("payments-gateway");
    running = await startTestGateway(dir);
    coop = await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "ID", custodialAccounts: 1 });
    otherCoop = await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "ID", custodialAccounts: 1 });
    brand = await addMemberThroughGateway(running.gateway, { roles: ["brand"], country: "NL", custodialAccounts: 1 });
    for (const farmer of FARMERS) {
      const created = await api(coop).post("/v1/farmers", { ...farmer, language: "id" });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      farmerIds.push(created.body.id);
    }
    // All but the last give the payments consent.
    for (const id of farmerIds.slice(0, 5)) {
      expect((await api(coop).post(`/v1/farmers/${id}/consents`, { scope: "payments", method: "thumbprint", recordedBy: "Agent Yusuf" })).status).to.equal(201);
    }
    const minted = await mined(coop, "/v1/lots/mint-batch", { deliveries: GRAMS.map((grams) => delivery(grams)) });
    deliveries = minted.outputs.lotIds;
    otherDelivery = (await mined(otherCoop, "/v1/lots/mint", delivery(50_000))).outputs.lotIds[0];
  });
  after(async function () {
    await running?.gateway.stop();
    removeTempDir(dir);
  });

  describe("payment records", function () {
    it("records a payment with its base, deductions, premium and net, sealed at rest", async function () {
      const answer = await api(coop).post("/v1/payments", payment(0));
      expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
      // 600 kg x 12,000.00 IDR = 7,200,000.00; less 500.00; plus 18 x 30,000... in minor units.
      expect(answer.body).to.deep.include({ base: "720000000", deductionTotal: "50000", premiumTotal: "18000000", net: "737950000", minorUnits: 2 });
      paymentIds.push(answer.body.id);
      const row = await running.gateway.db.query<{ details_enc: Buffer }>("select details_enc from payments where id = $1", [answer.body.id]);
      expect(row.rows[0]!.details_enc.toString("latin1")).not.to.contain("737950000");
      expect((await api(otherCoop).get(`/v1/payments/${answer.body.id}`)).status).to.equal(404);
    });

    it("pays rubber by DRC: the price applies to the dry rubber weight", async function () {
      const answer = await api(coop).post("/v1/payments", payment(1, { quality: { drcBps: 5_500 }, price: { perKg: 2_000_000, basis: "drc" }, deductions: [], premiums: [] }));
      expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
      expect(answer.body).to.deep.include({ payableGrams: "275000", base: "550000000", net: "550000000" });
      paymentIds.push(answer.body.id);
    });

    it("refuses negative amounts, wrong minor units, another cooperative's delivery, a farmer without (or with a withdrawn) payments consent: nothing written", async function () {
      const before = await count("payments");
      const negative = await api(coop).post("/v1/payments", payment(2, { deductions: [{ reason: "loan", amount: -5 }] }));
      expect(negative.status).to.equal(400);
      expect(JSON.stringify(negative.body.error)).to.contain("negative amounts are refused");
      const wrongUnits = await api(coop).post("/v1/payments", payment(2, { currency: "VND", minorUnits: 2 }));
      expect(wrongUnits.status).to.equal(400);
      expect(JSON.stringify(wrongUnits.body.error)).to.contain("VND has 0 minor-unit digits");
      const overDeducted = await api(coop).post("/v1/payments", payment(2, { deductions: [{ reason: "loan", amount: "999999999999" }], premiums: [] }));
      expect(overDeducted.status).to.equal(422);
      expect(overDeducted.body.error.code).to.equal("negative_amount");
      const notOurs = await api(coop).post("/v1/payments", payment(2, { deliveryLotIds: [deliveries[2], otherDelivery] }));
      expect(notOurs.status).to.equal(422);
      expect(notOurs.body.error).to.deep.include({ code: "not_your_delivery", details: { lotIds: [otherDelivery] } });
      const noConsent = await api(coop).post("/v1/payments", payment(5));
      expect(noConsent.status).to.equal(422);
      expect(noConsent.body.error.code).to.equal("no_payments_consent");
      const otherCooperative = await api(otherCoop).post("/v1/payments", payment(2, { deliveryLotIds: [otherDelivery] }));
      expect(otherCooperative.status).to.equal(404);
      expect(await count("payments")).to.equal(before);
    });

    it("stops recording payments for a farmer the moment the payments consent is withdrawn", async function () {
      const consents = await api(coop).get(`/v1/farmers/${farmerIds[4]}/consents`);
      const consentId = consents.body.consents[0].id;
      expect((await api(coop).post(`/v1/farmers/${farmerIds[4]}/consents/${consentId}/withdraw`, { recordedBy: "Agent Yusuf" })).status).to.equal(200);
      const refused = await api(coop).post("/v1/payments", payment(4));
      expect(refused.status).to.equal(422);
      expect(refused.body.error.code).to.equal("no_payments_consent");
      expect((await api(coop).post(`/v1/farmers/${farmerIds[4]}/consents`, { scope: "payments", method: "thumbprint", recordedBy: "Agent Yusuf" })).status).to.equal(201);
      for (const i of [2, 3, 4]) {
        const answer = await api(coop).post("/v1/payments", payment(i));
        expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
        paymentIds.push(answer.body.id);
      }
    });
  });

  describe("premium commitment", function () {
    it("refuses a lot the brand does not hold, writing nothing; takes one it holds, on chain", async function () {
      const outbox = await count("outbox");
      const refused = await api(brand).post("/v1/premium-commitments", { lotId: otherDelivery, scheme: "living-income", currency: "IDR", ratePerKg: 50_000 }, key());
      expect(refused.status, JSON.stringify(refused.body)).to.equal(409);
      expect(refused.body.error.code).to.equal("not_custodian");
      expect(await count("outbox")).to.equal(outbox);

      merged = (await mined(coop, "/v1/lots/merge", { lotIds: deliveries.slice(0, 5), metadata: `0x${"ef".repeat(32)}` })).outputs.lotIds[0];
      await mined(coop, `/v1/lots/${merged}/offer`, { receiver: brand.accounts[0]!.address });
      await mined(brand, `/v1/lots/${merged}/accept`, { gramsReceived: "2000000" });
      const committed = await mined(brand, "/v1/premium-commitments", { lotId: merged, scheme: "living-income", currency: "IDR", ratePerKg: 50_000 });
      expect(committed.outputs.events.map((e: { name: string }) => e.name)).to.deep.equal(["PremiumCommitted"]);
      // The page (now cached) shows the promise, nothing paid yet; the run below must show through the cache.
      const before = (await api().get(`/l/${merged}?format=json`)).body.premium;
      expect(before.payoutRuns).to.deep.equal([]);
      expect(before.totals[0]).to.deep.include({ committed: "100000000", paid: "0" });
    });
  });

  describe("payout run", function () {
    it("publishes the run's root with count and totals through the relay, and refuses its payments in a second run", async function () {
      const answer = await api(coop).post("/v1/payout-runs", { paymentIds }, key());
      expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
      root = answer.body.payoutRun.root;
      expect(answer.body.payoutRun.count).to.equal(5);
      const { final } = await api(coop).settle(answer.body.id);
      expect(final.status, JSON.stringify(final.error)).to.equal("mined");
      await running.gateway.indexer.waitForBlock(Number(final.transaction.blockNumber));
      const runs = await api(coop).get("/v1/payout-runs");
      expect(runs.body.payoutRuns).to.have.length(1);
      expect(runs.body.payoutRuns[0]).to.deep.include({ root, published: true });
      const again = await api(coop).post("/v1/payout-runs", { paymentIds: paymentIds.slice(0, 1) }, key());
      expect(again.status).to.equal(409);
    });

    it("exports leaves that name farmers only by pseudonym and check against the root; a changed payment does not", async function () {
      const exported = await api(coop).get(`/v1/payout-runs/${root}/export`);
      expect(exported.status).to.equal(200);
      expect(JSON.stringify(exported.body)).not.to.contain("Lamanda");
      for (const leaf of exported.body.leaves as { value: LeafValue; proof: string[] }[]) expect(verifyPayoutLeaf(root, leaf.value, leaf.proof)).to.equal(true);
      const changed = structuredClone(exported.body.leaves[0]) as { value: LeafValue; proof: string[] };
      changed.value[3] = (BigInt(changed.value[3]) + 100n).toString();
      expect(verifyPayoutLeaf(root, changed.value, changed.proof)).to.equal(false);
      expect((await api(otherCoop).get(`/v1/payout-runs/${root}/export`)).status).to.equal(404);
    });

    it("shows the premium committed, the share paid and the pass-through on the lot's public page", async function () {
      const page = await api().get(`/l/${merged}?format=json`);
      expect(page.status).to.equal(200);
      const premium = page.body.premium;
      // 2,000 kg x 500.00 IDR = 1,000,000.00 IDR committed, owed to the five deliveries by weight
      // (300,000.00 to the 600 kg one, ...). Paid: 300.00 IDR/kg on four of them, none on the
      // rubber-priced one (250,000.00 owed): 450,000.00 IDR.
      expect(premium.commitments[0]).to.deep.include({ scheme: "living-income", currency: "IDR", ratePerKg: "50000", total: "100000000" });
      expect(premium.totals[0]).to.deep.include({ currency: "IDR", committed: "100000000", owed: "100000000", paid: "45000000", sharePaidBps: 4500 });
      expect(premium.farmers).to.deep.equal({ count: 5, fewerThan5: false });
      expect(premium.womenShareBps).to.equal(6000);
      expect(premium.medianDaysToPayment).to.be.within(0, 0.1);
      expect(premium.payoutRuns.map((r: { root: string }) => r.root)).to.deep.equal([root]);
      expect(premium.intermediaries).to.deep.equal([{ memberId: coop.memberId, currency: "IDR", received: "100000000", passedOn: "45000000", keptBps: 5500 }]);
      const html = await api().get(`/l/${merged}?lang=id`);
      expect(html.body).to.contain("Premi untuk petani");
      expect(html.body).not.to.contain("Siti");
    });
  });

  describe("farmers' confirmations on chain", function () {
    let batchRoot: string;
    const batches = () => `/v1/payout-runs/${root}/confirmation-batches`;
    const passkeyShare = async () => (await api().get(`/l/${merged}?format=json`)).body.premium.confirmedByPasskeyBps;

    it("counts a passkey confirmation in the public share only once its batch root is on chain", async function () {
      const origin = new URL(running.gateway.publicUrl).origin;
      // Two farmers confirm with their passkeys, one through a field agent, one on a signed paper receipt; the fifth does not answer.
      for (const i of [0, 1]) {
        const receipt = await api(coop).post(`/v1/payments/${paymentIds[i]}/receipt`, { format: "json" });
        await confirmWithSoftPasskey({ gatewayUrl: running.gateway.url, origin, code: receipt.body.code, paymentId: paymentIds[i]!, verdict: "confirmed" });
      }
      const code = (await api(coop).post(`/v1/payments/${paymentIds[2]}/receipt`, { format: "json" })).body.code;
      expect((await api(coop).post(`/v1/payments/${paymentIds[2]}/confirmations`, { kind: "agent-code", verdict: "confirmed", receiptCode: code, recordedBy: "Agent Yusuf" })).status).to.equal(201);
      const photo = await fetch(`${running.gateway.url}/v1/private-evidence?kind=other&farmerId=${farmerIds[3]}`, {
        method: "POST",
        headers: { authorization: `Bearer ${coop.token}`, "content-type": "image/png" },
        body: new Uint8Array(receiptPhotoPng("paper receipt")),
      });
      expect(photo.status).to.equal(201);
      const cid = ((await photo.json()) as { cid: string }).cid;
      expect((await api(coop).post(`/v1/payments/${paymentIds[3]}/confirmations`, { kind: "paper", verdict: "disputed", evidenceCid: cid, recordedBy: "Agent Yusuf", reason: "short weight" })).status).to.equal(201);
      // Recorded, signatures valid, but no batch on chain: the public share is not the gateway's word.
      expect(await passkeyShare()).to.equal(0);

      const answer = await api(coop).post(batches(), {}, key());
      expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
      expect(answer.body.confirmationBatch).to.deep.include({ runRoot: root, count: 4 });
      batchRoot = answer.body.confirmationBatch.batchRoot;
      const listed = await api(coop).get(batches());
      expect(listed.body.confirmationBatches).to.have.length(1);
      const { final } = await api(coop).settle(answer.body.id);
      expect(final.status, JSON.stringify(final.error)).to.equal("mined");
      await running.gateway.indexer.waitForBlock(Number(final.transaction.blockNumber));
      const published = (await api(coop).get(batches())).body.confirmationBatches;
      expect(published).to.have.length(1);
      expect(published[0]).to.deep.include({ batchRoot, count: 4, published: true, txHash: final.transaction.hash });
      // 2 of the 5 paid households confirmed with their own passkey; the agent's code and the paper do not count.
      expect(await passkeyShare()).to.equal(4_000);
    });

    it("refuses a batch for an unknown run, another cooperative's run, a non-cooperative and nothing new, writing nothing", async function () {
      const before = { batches: await count("confirmation_batch_records"), outbox: await count("outbox") };
      const unknown = await api(coop).post(`/v1/payout-runs/0x${"12".repeat(32)}/confirmation-batches`, {}, key());
      expect([unknown.status, unknown.body.error.code]).to.deep.equal([404, "not_found"]);
      const others = await api(otherCoop).post(batches(), {}, key());
      expect(others.status).to.equal(404);
      expect(others.body.error.message).to.contain("no payout run");
      expect((await api(otherCoop).get(batches())).status).to.equal(404);
      expect((await api(otherCoop).get(`/v1/payout-runs/${root}/confirmations/export`)).status).to.equal(404);
      expect((await api(brand).post(batches(), {}, key())).status).to.equal(403);
      const nothing = await api(coop).post(batches(), {}, key());
      expect([nothing.status, nothing.body.error.code]).to.deep.equal([409, "nothing_to_publish"]);
      const badBody = await api(coop).post(batches(), { count: 3 }, key());
      expect(badBody.status).to.equal(400);
      // The same batch again (its confirmations unmarked behind the gateway's back): the same root, refused before the chain would refuse it.
      await running.gateway.db.query("update payment_confirmations set batch_root = null where batch_root = $1", [batchRoot]);
      const republished = await api(coop).post(batches(), {}, key());
      expect([republished.status, republished.body.error.code]).to.deep.equal([409, "batch_published"]);
      await running.gateway.db.query("update payment_confirmations set batch_root = $1 where batch_root is null and member_id = $2", [batchRoot, coop.memberId]);
      expect({ batches: await count("confirmation_batch_records"), outbox: await count("outbox") }).to.deep.equal(before);
    });

    it("exports each confirmation with its proofs and no farmer's name; firstmile verify passes, and fails on a changed one", async function () {
      const exported = (await api(coop).get(`/v1/payout-runs/${root}/confirmations/export`)).body;
      expect(exported.format).to.equal("firstmile.confirmations.v1");
      expect(exported.batches.map((b: { batchRoot: string }) => b.batchRoot)).to.deep.equal([batchRoot]);
      const kinds = exported.batches[0].confirmations.map((c: { value: unknown[]; passkey: unknown }) => [c.value[2], c.passkey !== null]);
      expect(kinds).to.have.deep.members([[1, true], [1, true], [2, false], [3, false]]);
      expect(JSON.stringify(exported)).not.to.contain("Lamanda").and.not.to.contain("short weight");
      const runFile = path.join(dir, "run-for-confirmations.json");
      fs.writeFileSync(runFile, JSON.stringify((await api(coop).get(`/v1/payout-runs/${root}/export`)).body));
      const file = path.join(dir, "confirmations.json");
      fs.writeFileSync(file, JSON.stringify(exported));
      const page = `${running.gateway.url}/l/${merged}`;
      const good = captureStreams();
      expect(await runVerify(page, { rpc: running.gateway.chain.url, payouts: [runFile], confirmations: [file] }, good), good.text().out + good.text().err).to.equal(0);
      expect(good.text().out).to.contain(`confirmation batch ${batchRoot}: 4 confirmations of run ${root} on chain`);
      expect(good.text().out).to.contain("4 of 4 confirmations prove to the root on chain (2 passkey signatures verified");
      expect(good.text().out).to.contain("ok   share confirmed by passkey: 4000 bps of 5 payments is backed by the farmers' signatures under roots on chain (4000-4000 bps)");

      // A passkey confirmation turned into a dispute in the file (the phone signed "confirmed").
      const flipped = structuredClone(exported);
      const passkey = flipped.batches[0].confirmations.find((c: { passkey: unknown }) => c.passkey !== null);
      passkey.passkey.statement = passkey.passkey.statement.replace('"confirmed"', '"disputed"');
      fs.writeFileSync(file, JSON.stringify(flipped));
      const bad = captureStreams();
      expect(await runVerify(page, { rpc: running.gateway.chain.url, payouts: [runFile], confirmations: [file] }, bad)).to.equal(1);
      expect(bad.text().out).to.contain("3 of 4 confirmations prove").and.to.contain("1 changed or forged").and.to.contain("not the one the record commits to");
      // And the page's share is no longer backed: one signature is left for its two confirmations.
      expect(bad.text().out).to.contain("FAIL share confirmed by passkey: 4000 bps of 5 payments — the signatures under roots on chain back 2000-2000 bps");

      // A record's verdict changed: its proof no longer reaches the root on chain.
      const changed = structuredClone(exported);
      changed.batches[0].confirmations[2].value[1] = changed.batches[0].confirmations[2].value[1] === 1 ? 2 : 1;
      fs.writeFileSync(file, JSON.stringify(changed));
      const bad2 = captureStreams();
      expect(await runVerify(page, { rpc: running.gateway.chain.url, confirmations: [file] }, bad2)).to.equal(1);
      expect(bad2.text().out).to.contain("does not prove to the batch root");
    });
  });

  describe("firstmile verify", function () {
    it("passes on the page's premium figures with the run's export, and fails on a changed payment", async function () {
      const exported = (await api(coop).get(`/v1/payout-runs/${root}/export`)).body;
      const file = path.join(dir, "run.json");
      fs.writeFileSync(file, JSON.stringify(exported));
      const page = `${running.gateway.url}/l/${merged}`;
      const good = captureStreams();
      const code = await runVerify(page, { rpc: running.gateway.chain.url, payouts: [file] }, good);
      expect(code, good.text().out + good.text().err).to.equal(0);
      expect(good.text().out).to.contain(`payout run ${root}: 5 of 5 payments prove to the root on chain`);
      expect(good.text().out).to.contain("farmers paid: 5, women 6000 bps");

      exported.leaves[2].value[3] = (BigInt(exported.leaves[2].value[3]) + 1_000_000n).toString();
      fs.writeFileSync(file, JSON.stringify(exported));
      const bad = captureStreams();
      expect(await runVerify(page, { rpc: running.gateway.chain.url, payouts: [file] }, bad)).to.equal(1);
      expect(bad.text().out).to.contain("FAIL payout run").and.to.contain("1 changed or forged");
    });
  });

  describe("living income", function () {
    it("reports the gap over at least 5 households as CSV, with groups under 5 withheld", async function () {
      expect((await api(coop).post(`/v1/farmers/${farmerIds[0]}/other-income`, {})).status).to.equal(404);
      const declared = await fetch(`${running.gateway.url}/v1/farmers/${farmerIds[0]}/other-income`, {
        method: "PUT",
        headers: { authorization: `Bearer ${coop.token}`, "content-type": "application/json" },
        body: JSON.stringify({ year: new Date().getUTCFullYear(), currency: "IDR", minorUnits: 2, amount: 1_000_000_000 }),
      });
      expect(declared.status).to.equal(204);
      const csv = await api(coop).get(`/v1/reports/living-income?year=${new Date(Date.now() + 3 * 86_400_000).getUTCFullYear()}&format=csv`);
      expect(csv.status).to.equal(200);
      const lines = String(csv.body).trim().split("\n");
      expect(lines[1]).to.match(/^\d{4},sulawesi-tengah,IDR,all,5,/);
      expect(lines.find((line) => line.includes(",female-headed,"))).to.contain("fewer than 5");
      const html = await api(coop).get(`/v1/reports/living-income?year=${new Date(Date.now() + 3 * 86_400_000).getUTCFullYear()}`);
      expect(html.body).to.contain("<svg").and.to.contain("EXAMPLE FIGURE");
      expect(html.body).not.to.contain("Lamanda");
      // A benchmark of the cooperative's own replaces the examples for its region.
      const put = (body: unknown) =>
        fetch(`${running.gateway.url}/v1/living-income/benchmarks`, { method: "PUT", headers: { authorization: `Bearer ${coop.token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      const benchmark = { region: "poso", householdSize: 4, currency: "IDR", minorUnits: 2, annual: 1, source: "cooperative survey 2026", year: 2026 };
      expect((await put({ ...benchmark, minorUnits: 0 })).status).to.equal(422);
      expect((await put(benchmark)).status).to.equal(204);
      const own = await api(coop).get(`/v1/reports/living-income?year=${new Date(Date.now() + 3 * 86_400_000).getUTCFullYear()}&region=poso&format=json`);
      expect(own.body.benchmarks).to.deep.equal([{ region: "poso", householdSize: 4, currency: "IDR", annual: "1", source: "cooperative survey 2026", year: 2026, example: false }]);
      expect(own.body.groups[0]).to.deep.include({ group: "all", households: 5, shareAboveBps: 10_000 });
    });
  });
});

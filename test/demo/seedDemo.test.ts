import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { issueApiToken } from "../../src/api";
import { dataPaths } from "../../src/config";
import { seedDemo, type DemoRecord } from "../../src/demo/seedDemo";
import { COCOA_COOPERATIVES, DEMO_FORM_KEYS, DEMO_MEMBERS, RUBBER_FIGURES, cocoaDeliveries, fermentationBoxes, rubberDeliveries, share } from "../../src/demo/story";
import { formByKey } from "../../src/lots/forms";
import { ingredientNameText } from "../../src/lots/ingredients";
import { getLotDag } from "../../src/indexer/queries";
import { sendControlCommand } from "../../src/gateway/controlSocket";
import { summariseOrigins } from "../../src/origins";
import { startTestGateway, type TestGateway } from "../gateway/helpers";
import { copySeededDemo } from "../helpers/demoTemplate";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

/** A lot's measured quality (basis points) among the lots a query answered. */
const byQuality = (lots: ReadonlyArray<{ lotId: string; quality: number }>, lotId: string) => lots.find((lot) => lot.lotId === lotId)!.quality;

describe("the demo story (real gateway: seeded once, through the HTTP API and the relay, then started again)", function () {
  // A gateway start (and the seed) on a loaded machine: well above mocha's default.
  this.timeout(300_000);
  let dir: string;
  let running: TestGateway;
  let record: DemoRecord;
  let seconds: number;

  const ancestors = async (lotId: string) => {
    const dag = await getLotDag(running.gateway.db, BigInt(lotId), { direction: "ancestors", limit: 500 });
    expect(dag!.nextCursor).to.equal(null);
    return dag!.items.map((node) => node.lot);
  };
  const lotRow = async (lotId: string) =>
    (await running.gateway.db.query<{ creator: string; form: number }>("select creator_member::text as creator, form from lots where lot_id = $1", [lotId])).rows[0]!;
  const outboxCount = async () => (await running.gateway.db.query<{ n: number }>("select count(*)::int as n from outbox")).rows[0]!.n;

  before(async function () {
    dir = makeTempDir("demo-seed");
    // The run's demo, seeded by a gateway on a first start (test/helpers/demoTemplate.ts; shared
    // with the consumer page's suite); this suite's gateway starts on a copy of its data dir.
    const seeded = await copySeededDemo(dir);
    expect(seeded.seeded).to.equal(true);
    seconds = seeded.seconds;
    running = await startTestGateway(dir);
    // As `firstmile start` does on a later start: nothing is seeded, the URLs follow this gateway.
    const restarted = await seedDemo({ gateway: running.gateway, file: dataPaths(dir).demoRecord });
    expect(restarted.seeded).to.equal(false);
    expect({ ...restarted.record, chocolate_page_url: "", tyre_page_url: "", public_url: "" }).to.deep.equal({ ...seeded.record, chocolate_page_url: "", tyre_page_url: "", public_url: "" });
    record = restarted.record;
  });
  after(async function () {
    await running?.gateway.stop();
    removeTempDir(dir);
  });

  it("writes demo.json with the chocolate bar's and the tyre batch's page URLs, lots and members", function () {
    const written = JSON.parse(fs.readFileSync(dataPaths(dir).demoRecord, "utf8"));
    expect(written).to.include.keys(["chocolate_page_url", "tyre_page_url", "members", "cocoa", "rubber", "products"]);
    expect(written.chocolate_page_url).to.equal(`${running.gateway.url}/01/0${record.products.chocolate.gtin.slice(-13)}/10/${record.products.chocolate.batch}`);
    expect(written.tyre_page_url).to.match(new RegExp(`^${running.gateway.url}/01/\\d{14}/10/`));
    expect(Object.keys(written.members).sort()).to.deep.equal(DEMO_MEMBERS.map((m) => m.key).sort());
    // How long the seed took is for the reader (a benchmark's business, not a test's: it depends on the machine's load).
    console.log(`      (seeded in ${seconds.toFixed(1)} s)`);
    expect(written.seed_seconds, "the record keeps the seed's duration").to.be.a("number").and.be.above(0);
  });

  it("traces the chocolate bar to 40 wet-bean deliveries from registered plots in three districts, each bought by that district's cooperative", async function () {
    const lots = await ancestors(record.cocoa.chocolate);
    const deliveries = lots.filter((lot) => lot.genesis === "minted");
    expect(deliveries).to.have.length(40);
    expect(new Set(deliveries.map((lot) => lot.form.name))).to.deep.equal(new Set(["cocoa wet beans"]));
    const origins = await summariseOrigins(running.gateway.db, deliveries.map((lot) => lot.origin!));
    expect(origins.plots).to.equal(40);
    expect(origins.farmers).to.equal(40);
    expect(origins.unregistered).to.equal(0);
    // Registered for the farmers' records; every fourth plot a GPS point with its declared area.
    const { rows: kinds } = await running.gateway.db.query<{ kind: string; n: number; owned: number; declared: number }>(
      `select geometry->>'type' as kind, count(*)::int as n, count(farmer_id)::int as owned, count(declared_area_m2)::int as declared
         from origin_plots where commitment = any($1::text[]) group by 1 order by 1`,
      [deliveries.map((lot) => lot.origin!.toLowerCase())],
    );
    expect(kinds).to.deep.equal([
      { kind: "Point", n: 10, owned: 10, declared: 10 },
      { kind: "Polygon", n: 30, owned: 30, declared: 0 },
    ]);
    expect(origins.districts.map((d) => `${d.district}, ${d.province}, ${d.country}`).sort()).to.deep.equal([
      "Luwu Utara, Sulawesi Selatan, ID",
      "Parigi Moutong, Sulawesi Tengah, ID",
      "Poso, Sulawesi Tengah, ID",
    ]);
    // Plots of half a hectare to three hectares.
    const { rows } = await running.gateway.db.query<{ min: string; max: string }>("select min(area_m2)::text as min, max(area_m2)::text as max from origin_plots");
    expect(Number(rows[0]!.min)).to.be.at.least(5_000);
    expect(Number(rows[0]!.max)).to.be.at.most(30_000);
    // Fermented and dried, merged, ground, pressed: each form on the way.
    const formName = (key: string) => formByKey(key).name;
    expect([...new Set(lots.map((lot) => lot.form.name))]).to.include.members([formName(DEMO_FORM_KEYS.fermentedDryBeans), formName(DEMO_FORM_KEYS.nibs), formName(DEMO_FORM_KEYS.liquor)]);
    // Dried to SNI Mutu I (at most 7.5 % moisture), measured on every box's beans.
    for (const lotId of record.cocoa.dryBeans) expect(byQuality(lots, lotId), lotId).to.be.within(1, 750);
    // The bar declares its sugar and lecithin: they weigh in it, they bring no claim.
    const { rows: declared } = await running.gateway.db.query<{ output_form: number; grams: string; name: string }>(
      "select output_form, grams::text, name from lot_ingredients where lot_id = $1 order by seq",
      [record.cocoa.chocolate],
    );
    expect(declared.map((row) => ingredientNameText(row.name))).to.deep.equal(["cane sugar", "sunflower lecithin"]);
    expect(new Set(declared.map((row) => row.output_form))).to.deep.equal(new Set([formByKey(DEMO_FORM_KEYS.chocolate).id]));

    // Each delivery was minted by the cooperative of its district, and each box fermented one day's deliveries.
    const story = cocoaDeliveries();
    const byId = new Map(lots.map((lot) => [lot.lotId, lot]));
    record.cocoa.deliveries.forEach((lotId, i) => expect(byId.get(lotId)!.creator.memberId, story[i]!.farmerRef).to.equal(record.members[story[i]!.cooperative]));
    const boxes = fermentationBoxes(story);
    expect(record.cocoa.dryBeans).to.have.length(boxes.length);
    const { rows: inputs } = await running.gateway.db.query<{ child: string; parent: string }>(
      "select child_id::text as child, parent_id::text as parent from lot_edges where child_id = any($1::int8[])",
      [record.cocoa.dryBeans],
    );
    record.cocoa.dryBeans.forEach((lotId, b) => {
      const fed = inputs.filter((edge) => edge.child === lotId).map((edge) => edge.parent).sort();
      expect(fed, boxes[b]!.box).to.deep.equal(boxes[b]!.deliveries.map((i) => record.cocoa.deliveries[i]!).sort());
      expect(byId.get(lotId)!.creator.memberId).to.equal(record.members[boxes[b]!.cooperative]);
    });
    // Each cooperative's sales lot went to the exporter, which made the export lot of all three.
    expect(Object.keys(record.cocoa.salesLots).sort()).to.deep.equal(COCOA_COOPERATIVES.map((c) => c.key).sort());
    expect(byId.get(record.cocoa.exportLot)!.creator.memberId).to.equal(record.members.exporter);
    expect((await lotRow(record.cocoa.cake)).form).to.equal(formByKey(DEMO_FORM_KEYS.pressCake).id);
  });

  it("traces the tyre batch to the cup-lump deliveries in Songkhla, through the buying station and the block rubber factory", async function () {
    const lots = await ancestors(record.rubber.tsr20);
    const byId = new Map(lots.map((lot) => [lot.lotId, lot]));
    expect(byId.get(record.rubber.truckload)!.creator.memberId).to.equal(record.members.buyingStation);
    expect((await lotRow(record.rubber.tsr20)).creator).to.equal(record.members.blockMill);
    const deliveries = lots.filter((lot) => lot.genesis === "minted");
    expect(deliveries.map((lot) => lot.lotId).sort()).to.deep.equal([...record.rubber.deliveries].sort());
    expect(new Set(deliveries.map((lot) => lot.form.name))).to.deep.equal(new Set(["rubber cup lump"]));
    // Every delivery weighed in with its DRC; the factory's own test of the truckload is the lump's from then on.
    for (const lot of deliveries) expect(lot.quality, lot.lotId).to.be.within(5_000, 6_200);
    const story = rubberDeliveries();
    const dryRubber = story.reduce((sum, d) => sum + share(d.grams, d.drcBps), 0n);
    const weighedIn = share(story.reduce((sum, d) => sum + d.grams, 0n), RUBBER_FIGURES.weighInBps);
    expect(byQuality(lots, record.rubber.truckload)).to.equal(Number((dryRubber * 10_000n) / weighedIn));
    const origins = await summariseOrigins(running.gateway.db, deliveries.map((lot) => lot.origin!));
    expect(origins.districts.map((d) => d.district).sort()).to.deep.equal(["Hat Yai", "Na Thawi", "Sadao"]);
    const { rows } = await running.gateway.db.query<{ custodian_member: string }>("select custodian_member::text from lots where lot_id = $1", [record.rubber.tsr20]);
    expect(rows[0]!.custodian_member).to.equal(record.members.tyreMaker);
  });

  it("names the products for their lots, held by the brand and the tyre maker", async function () {
    const { rows } = await running.gateway.db.query<{ gtin: string; lot_id: string; member_id: string }>("select gtin, lot_id::text, member_id::text from products order by member_id");
    expect(rows).to.deep.include({ gtin: record.products.chocolate.gtin, lot_id: record.cocoa.chocolate, member_id: record.members.brand });
    expect(rows).to.deep.include({ gtin: record.products.tyre.gtin, lot_id: record.rubber.tsr20, member_id: record.members.tyreMaker });
  });

  it("has certifiers attest plots, lots and the cooperatives, and one delivery's attestation revoked, in the chocolate bar's ancestry", async function () {
    if (record.attestations === null) this.skip();
    expect(record.attestations).to.deep.include({ plots: 64, lots: 40, members: COCOA_COOPERATIVES.length });
    expect(record.attestations.revoked).to.have.length(1);
    const { rows } = await running.gateway.db.query<{ kind: number; n: number; revoked: number }>(
      "select subject_kind as kind, count(*)::int as n, count(*) filter (where revoked)::int as revoked from attestations group by subject_kind order by subject_kind",
    );
    expect(rows).to.deep.equal([{ kind: 1, n: 40, revoked: 1 }, { kind: 2, n: 64, revoked: 0 }, { kind: 3, n: COCOA_COOPERATIVES.length, revoked: 0 }]);
    const { rows: revoked } = await running.gateway.db.query<{ uid: string; lot_id: string }>("select uid, lot_id::text from attestations where revoked");
    expect(revoked[0]!.uid).to.equal(record.attestations.revoked[0]);
    expect(record.cocoa.deliveries).to.include(revoked[0]!.lot_id);
  });

  it("checks every plot for forest loss before the harvest: the chocolate bar's deliveries carry the EUDR claim from mint, its statement is complete, and the delivery from the plot with loss is held back without it", async function () {
    if (!record.eudr) this.skip();
    const { checks, heldBack } = record.eudr;
    // One check per district: three cocoa (lossyear rasters), three rubber (GeoJSON alerts).
    expect(checks.map((check) => check.district).sort()).to.deep.equal(["Hat Yai", "Luwu Utara", "Na Thawi", "Parigi Moutong", "Poso", "Sadao"]);
    expect(checks.reduce((sum, check) => sum + check.clear, 0)).to.equal(64);
    expect(checks.map((check) => [check.district, check.lossFound]).filter(([, loss]) => loss !== 0)).to.deep.equal([["Parigi Moutong", 1]]);
    // Each report is stored as evidence, and names the plot with loss.
    const parigi = checks.find((check) => check.district === "Parigi Moutong")!;
    const report = JSON.parse(Buffer.from(await running.gateway.evidence.get(parigi.reportCid)).toString("utf8"));
    expect(report.plots.filter((line: { result: string }) => line.result === "loss_found").map((line: { plotId: string }) => line.plotId)).to.deep.equal([heldBack.plotId]);
    // Every delivery in the chocolate bar carries the claim from mint (state origin); the held-back one none.
    const { rows: claims } = await running.gateway.db.query<{ lot_id: string; state: string }>("select lot_id::text, state from lot_claims where lot_id = any($1::bigint[])", [[...record.cocoa.deliveries, heldBack.lotId]]);
    expect(claims.filter((claim) => claim.state === "origin").map((claim) => claim.lot_id).sort()).to.deep.equal([...record.cocoa.deliveries].sort());
    expect(claims.some((claim) => claim.lot_id === heldBack.lotId)).to.equal(false);
    expect(await ancestors(record.cocoa.chocolate)).to.not.deep.include({ lotId: heldBack.lotId });
    // The statement `npm start` tells the brand to produce: complete, with every plot.
    const answer = await sendControlCommand(running.gateway.controlSocket!, "GET", `/dds?lot=${record.products.chocolate.lotId}&member=${record.members.brand}`);
    expect(answer?.status, JSON.stringify(answer?.body).slice(0, 400)).to.equal(200);
    const statement = (answer!.body as { statement: { partial: boolean; geolocation: { plots: number; deliveries: number } } }).statement;
    expect(statement.partial).to.equal(false);
    expect(statement.geolocation).to.deep.include({ plots: 40, deliveries: 40 });
  });

  it("pays the farmers (cocoa in rupiah, rubber by DRC in baht) in payout runs on chain, and shows the brand's premium on the chocolate bar's page", async function () {
    const { rows: runs } = await running.gateway.db.query<{ n: number }>("select count(*)::int as n from payout_runs");
    expect(runs[0]!.n).to.equal(COCOA_COOPERATIVES.length + 1);
    const { rows: paid } = await running.gateway.db.query<{ currency: string; n: number }>("select currency, count(*)::int as n from payments where payout_root is not null group by currency order by currency");
    expect(paid).to.deep.equal([{ currency: "IDR", n: record.cocoa.deliveries.length }, { currency: "THB", n: record.rubber.deliveries.length }]);
    const page = await fetch(`${running.gateway.url}/l/${record.cocoa.chocolate}?format=json`);
    const premium = (await page.json()).premium;
    expect(premium.commitments).to.have.length(1);
    expect(premium.commitments[0]).to.deep.include({ lotId: record.cocoa.chocolate, memberId: record.members.brand, scheme: "living-income", currency: "IDR" });
    // The cooperatives' differential covers about ten elevenths of what the chocolate maker committed.
    expect(premium.totals[0].sharePaidBps).to.be.within(8_500, 9_200);
    expect(premium.farmers).to.deep.equal({ count: new Set(record.farmers!.cocoa).size, fewerThan5: false });
    // Paid as the demo is seeded, minutes after the deliveries' blocks.
    expect(premium.medianDaysToPayment).to.be.within(0, 1);
    expect(premium.intermediaries.map((row: { memberId: string }) => row.memberId)).to.include.members(COCOA_COOPERATIVES.map((c) => record.members[c.key]));
    // 20 cocoa farmers confirmed with a passkey (a software authenticator through the gateway's verifier), 11 through a field agent, 5 on paper, 4 not at all.
    const { rows: kinds } = await running.gateway.db.query<{ kind: string; n: number }>("select kind, count(*)::int as n from payment_confirmations group by kind order by kind");
    expect(kinds).to.deep.equal([
      { kind: "agent-code", n: 11 },
      { kind: "paper", n: 5 },
      { kind: "passkey", n: 20 },
    ]);
    const passkeys = 20;
    // Each paper confirmation rests on a receipt photo (PNG) kept as the farmer's private evidence.
    const { rows: photos } = await running.gateway.db.query<{ media_type: string; farmer: boolean }>(
      "select e.media_type, e.farmer_id = c.farmer_id as farmer from payment_confirmations c join private_evidence e on e.cid = c.evidence_cid where c.kind = 'paper'",
    );
    expect(photos).to.have.length(5);
    expect(photos.every((p) => p.media_type === "image/png" && p.farmer)).to.equal(true);
    // Every confirmation is in a batch whose root is on chain (one per cooperative), and the share counts the passkeys from them.
    const { rows: batches } = await running.gateway.db.query<{ n: number; total: number; unbatched: number }>(
      `select count(*)::int as n, sum(b.count)::int as total, (select count(*)::int from payment_confirmations where batch_root is null) as unbatched
         from confirmation_batches b`,
    );
    expect(batches[0]).to.deep.equal({ n: COCOA_COOPERATIVES.length, total: 36, unbatched: 0 });
    expect(premium.confirmedByPasskeyBps).to.equal(Math.round((passkeys * 10_000) / record.cocoa.deliveries.length));
    // The totals also in US dollars, at the demo's example rates, marked as such.
    expect(premium.converted).to.deep.include({ currency: "USD", example: true, missing: [] });
    expect(Number(premium.converted.paid)).to.be.above(0);
    const html = await (await fetch(`${running.gateway.url}/l/${record.cocoa.chocolate}`)).text();
    expect(html).to.contain('id="premium-converted"').and.to.contain("Example rates, not market rates.");

    // A farmer's own page through a new receipt: the premium the chocolate maker's commitment owes their delivery, and their passkey word.
    const coop = record.members[COCOA_COOPERATIVES[0]!.key];
    const { token } = await issueApiToken(running.gateway.db, BigInt(coop));
    const { rows: confirmed } = await running.gateway.db.query<{ payment_id: string }>(
      "select payment_id from payment_confirmations where kind = 'passkey' and member_id = $1 order by payment_id limit 1",
      [coop],
    );
    const receipt = await (
      await fetch(`${running.gateway.url}/v1/payments/${confirmed[0]!.payment_id}/receipt`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ format: "json" }) })
    ).json();
    const opened = await fetch(`${running.gateway.url}/me/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code: receipt.code }) });
    const own = await (await fetch(`${running.gateway.url}/me/data`, { headers: { cookie: opened.headers.get("set-cookie")!.split(";")[0]! } })).json();
    expect(own.payments[0].confirmation).to.deep.include({ kind: "passkey", verdict: "confirmed" });
    expect(own.premium).to.have.length(1);
    expect(BigInt(own.premium[0].owed) > 0n, `owed ${own.premium[0].owed}`).to.equal(true);
    expect(BigInt(own.premium[0].paid) > 0n, `paid ${own.premium[0].paid}`).to.equal(true);
    console.log(`      figures: ${passkeys} of ${record.cocoa.deliveries.length} cocoa payments confirmed by passkey (${premium.confirmedByPasskeyBps} bps, from ${batches[0]!.n} batch roots on chain), 11 through a field agent, 5 on paper`);
  });

  it("registers the farmer behind every delivery through the API, with consents, some name consents withdrawn, personal fields sealed", async function () {
    const farmers = record.farmers!;
    expect(farmers.cocoa).to.have.length(record.cocoa.deliveries.length);
    expect(farmers.rubber).to.have.length(record.rubber.deliveries.length);
    // Each farmer is registered by the member that bought the delivery.
    const { rows: owners } = await running.gateway.db.query<{ id: string; member_id: string }>("select id, member_id::text from farmers");
    const ownerOf = new Map(owners.map((row) => [row.id, row.member_id]));
    const rubberBuyer = record.members.buyingStation;
    expect(new Set(farmers.rubber.map((id) => ownerOf.get(id)))).to.deep.equal(new Set([rubberBuyer]));
    const cocoaBuyers = new Set(farmers.cocoa.map((id) => ownerOf.get(id)));
    expect(cocoaBuyers.size).to.equal(3);
    expect(cocoaBuyers.has(rubberBuyer)).to.equal(false);
    const counts = await running.gateway.db.query<{ rubber: boolean; n: number; with_name: number; withdrawn: number }>(
      `select f.member_id = $1 as rubber, count(*)::int as n,
              count(*) filter (where exists (select 1 from farmer_consents c where c.farmer_id = f.id and c.scope = 'eudr-statement-with-name'))::int as with_name,
              count(*) filter (where exists (select 1 from farmer_consents c join farmer_consent_withdrawals w on w.consent_id = c.id where c.farmer_id = f.id))::int as withdrawn
         from farmers f group by 1 order by 1`,
      [rubberBuyer],
    );
    // The cocoa cooperatives also registered the farmer of the delivery held back (forest loss).
    expect(counts.rows).to.deep.equal([
      { rubber: false, n: farmers.cocoa.length + 1, with_name: 33, withdrawn: 4 },
      { rubber: true, n: farmers.rubber.length, with_name: 19, withdrawn: 3 },
    ]);
    const { rows } = await running.gateway.db.query<{ gender_enc: Buffer }>("select gender_enc from farmers where id = $1", [farmers.cocoa[0]]);
    expect(rows[0]!.gender_enc.includes(Buffer.from("male"))).to.equal(false);
  });

  it("seeds nothing the second time: the same record, no new request, no new block", async function () {
    const block = await running.gateway.governor!.provider!.getBlockNumber();
    const requests = await outboxCount();
    const again = await seedDemo({ gateway: running.gateway, file: dataPaths(dir).demoRecord });
    expect(again.seeded).to.equal(false);
    expect(again.record).to.deep.equal(record);
    expect(await outboxCount()).to.equal(requests);
    // Only anvil's own interval blocks since, each empty.
    const provider = running.gateway.governor!.provider!;
    for (let number = block + 1, head = await provider.getBlockNumber(); number <= head; number++) {
      expect((await provider.getBlock(number))!.transactions, `block ${number}`).to.deep.equal([]);
    }
    const { rows } = await running.gateway.db.query<{ n: number }>("select count(*)::int as n from lots where created_block > $1", [block]);
    expect(rows[0]!.n).to.equal(0);
  });

  it("resumes without doubling anything when demo.json is lost: every step answers from its first run", async function () {
    const requests = await outboxCount();
    const { rows: before } = await running.gateway.db.query<{ n: number }>("select count(*)::int as n from lots");
    fs.rmSync(dataPaths(dir).demoRecord);
    const again = await seedDemo({ gateway: running.gateway, file: dataPaths(dir).demoRecord });
    expect(again.seeded).to.equal(true);
    expect({ ...again.record, seeded_at: "", seed_seconds: 0 }).to.deep.equal({ ...record, seeded_at: "", seed_seconds: 0 });
    expect(await outboxCount()).to.equal(requests);
    const { rows: after } = await running.gateway.db.query<{ n: number }>("select count(*)::int as n from lots");
    expect(after[0]!.n).to.equal(before[0]!.n);
    const { rows: people } = await running.gateway.db.query<{ farmers: number; consents: number; withdrawals: number }>(
      "select (select count(*) from farmers)::int as farmers, (select count(*) from farmer_consents)::int as consents, (select count(*) from farmer_consent_withdrawals)::int as withdrawals",
    );
    expect(people[0]).to.deep.equal({ farmers: 65, consents: 65 * 2 + 33 + 19, withdrawals: 7 });
  });
});

import { payDemoFarmers } from "./demoPayments";
import fs from "node:fs";
import { applyGoverned, type GovernedCall } from "../governance/governedCall";
import { sendControlCommand } from "../gateway/controlSocket";
import type { Gateway } from "../gateway/startGateway";
import { cidToDigest, digestToCid } from "../evidence";
import { DEMO_SCHEMES, registeredSchemeId, schemeByKey } from "../attestations/schemes";
import { formByKey } from "../lots/forms";
import { plotAreaM2, type PlotGeometry } from "../origins";
import { lotPageUrl } from "../web/qr";
import { attestationRegistryAt, lotRegistryAt } from "../chain/contracts";
import { requestPace, type Pace } from "../http/fetchPastLimits";
import { DemoMemberClient, DemoSeedError, type MinedRequest } from "./demoClient";
import { demoFarmers } from "./demoFarmers";
import { demoForestLayers } from "./demoForest";
import {
  COCOA_COOPERATIVES,
  COCOA_SEASON,
  COCOA_TIMELINE,
  DEMO_FORM_KEYS,
  DEMO_MEMBERS,
  DEMO_PRODUCTS,
  DRYING_DAYS,
  EXPORT_GRADING,
  FERMENTATION_DAYS,
  RUBBER_FIGURES,
  RUBBER_TIMELINE,
  addDays,
  cocoaDeliveries,
  demoMember,
  fermentationBoxes,
  heldBackCocoaDelivery,
  rubberDeliveries,
  share,
  type CocoaDelivery,
  type DemoDelivery,
  type DemoMemberKey,
} from "./story";

/**
 * The demo story, told through the running gateway the way members would tell it: members are
 * added by the governor (their metadata documents stored as evidence, the digests on chain),
 * cooperatives and a rubber buying station register their farmers (with their consents) and the
 * farmers' plots and mint each day's
 * deliveries, lots are fermented, merged, handed over, graded, ground, pressed, milled and named
 * as products, certifiers attest plots, lots and the cooperatives, and one attestation is revoked.
 * The forest monitor runs the deforestation check over generated forest and loss layers; the
 * deliveries are minted with the EUDR claim of their checked plots, and the one delivery whose
 * plot shows forest loss since 2020 is minted without it and kept out of the export.
 * The cast, places, dates and figures are in ./story.ts. Every write goes through the gateway's HTTP API
 * and relay with an Idempotency-Key named after its step, so a seed interrupted half way runs
 * again without doing anything twice. Once done, the record file (`config.paths.demoRecord`) records the outcome and a
 * later start seeds nothing.
 */
export type SeedDemoParameters = {
  gateway: Gateway;
  /** Where the record of what was seeded is written (`config.paths.demoRecord`). */
  file: string;
  log?: ((line: string) => void) | undefined;
};

/** The record file (`<dataDir>/demo.json`). */
export type DemoRecord = {
  chocolate_page_url: string;
  tyre_page_url: string;
  public_url: string;
  seeded_at: string;
  seed_seconds: number;
  members: Record<DemoMemberKey, string>;
  cocoa: {
    deliveries: string[];
    /** One lot of fermented, dried beans per fermentation box. */
    dryBeans: string[];
    /** Each cooperative's dried beans, merged for the truck to the exporter. */
    salesLots: Record<string, string>;
    exportLot: string;
    nibs: string;
    liquor: string;
    liquorPressed: string;
    liquorForChocolate: string;
    butter: string;
    cake: string;
    chocolate: string;
  };
  rubber: { deliveries: string[]; truckload: string; tsr20: string };
  /** The farmer (id) behind each delivery, in delivery order. */
  farmers?: { cocoa: string[]; rubber: string[] };
  products: Record<"chocolate" | "tyre", { gtin: string; batch: string; lotId: string; name: string }>;
  attestations: { plots: number; lots: number; members: number; revoked: string[] } | null;
  /**
   * The forest monitor's deforestation checks (one per district), and the delivery held back
   * because its plot showed forest loss after 2020. Absent when the gateway has no attestations.
   */
  eudr?: {
    checks: Array<{ district: string; reportCid: string; clear: number; lossFound: number }>;
    heldBack: { lotId: string; plotId: string };
  } | null;
};

export type SeedDemoReturnType = { record: DemoRecord; seeded: boolean };

export async function seedDemo({ gateway, file, log = () => {} }: SeedDemoParameters): Promise<SeedDemoReturnType> {
  const previous = readRecord(file);
  if (previous) {
    // Already told: only the URLs follow the public base, which may have been reconfigured.
    const record = withUrls(previous, gateway.publicUrl);
    if (JSON.stringify(record) !== JSON.stringify(previous)) writeRecord(file, record);
    return { record, seeded: false };
  }
  const started = Date.now();
  // Each line says how far into the seeding it came, so a new user sees where the wait goes.
  const seeder = new Seeder(gateway, (line) => log(`${line} (at ${((Date.now() - started) / 1000).toFixed(1)} s)`));
  // The story's steps wait on one another's blocks: the node mines each as it arrives meanwhile.
  const record = await gateway.chain.withInstantBlocks(() => seeder.run());
  record.seed_seconds = Math.round((Date.now() - started) / 100) / 10;
  writeRecord(file, record);
  return { record, seeded: true };
}

function withUrls(record: DemoRecord, base: string): DemoRecord {
  return {
    ...record,
    public_url: base,
    chocolate_page_url: lotPageUrl(base, record.products.chocolate),
    tyre_page_url: lotPageUrl(base, record.products.tyre),
  };
}

function readRecord(file: string): DemoRecord | null {
  try {
    const record = JSON.parse(fs.readFileSync(file, "utf8")) as DemoRecord;
    return record.products?.chocolate && record.products?.tyre ? record : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new DemoSeedError(`${file} is not a demo record: remove it to seed the demo again`, { cause: error });
  }
}

function writeRecord(file: string, record: DemoRecord): void {
  const temporary = `${file}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`);
  fs.renameSync(temporary, file);
}

type Actor = DemoMemberClient & { account: string };

/** A plot as registered through `/v1/plots`: its id (the check selects by it) and commitment (the deliveries' origin). */
type RegisteredPlot = { id: string; commitment: string; areaM2: number };

/** Deliveries are minted with their plots' EUDR claim where the gateway has attestations. */
const mintRoute = (attestationsOn: boolean) => (attestationsOn ? "/v1/lots/mint-with-origin-claims" : "/v1/lots/mint-batch");

class Seeder {
  private readonly registry;
  private readonly attestationRegistry;
  private lastBlock = 0;
  private actors = {} as Record<DemoMemberKey, Actor>;
  /** Every actor calls from this process's address: together they stay under the gateway's per-address limit. */
  private readonly pace: Pace;

  constructor(
    private readonly gateway: Gateway,
    private readonly log: (line: string) => void,
  ) {
    const { deployments } = gateway.chain;
    const provider = gateway.governor?.provider;
    if (!provider || !gateway.governor) throw new DemoSeedError("the demo needs a governor that can sign (the embedded chain's first account)");
    this.registry = lotRegistryAt(deployments.contracts.LotRegistry!.address, provider);
    const attestations = deployments.contracts.AttestationRegistry?.address;
    this.attestationRegistry = attestations ? attestationRegistryAt(attestations, gateway.governor) : null;
    this.pace = requestPace(gateway.rateLimits.perIp * 0.8);
  }

  async run(): Promise<DemoRecord> {
    this.log("demo: adding members (governor), their metadata documents stored as evidence");
    await this.addMembers();
    const attestationsOn = await this.attestationsAvailable();
    if (attestationsOn) await this.accreditCertifiers();

    this.log("demo: cocoa from Sulawesi and rubber from Songkhla, side by side");
    const cocoaFarms = cocoaDeliveries();
    const heldBack = heldBackCocoaDelivery();
    const rubberFarms = rubberDeliveries();
    // Each cooperative registers its farmers (with their consents), then their plots by farmer id.
    const farmers = Promise.all([
      this.registerFarmers([...cocoaFarms, heldBack], (delivery) => this.actors[delivery.cooperative], "sulawesi"),
      this.registerFarmers(rubberFarms, () => this.actors.buyingStation, "songkhla"),
    ]);
    const [allCocoaPlots, rubberPlots] = await Promise.all([
      farmers.then(([ids]) => this.registerPlots([...cocoaFarms, heldBack], ids, (delivery) => this.actors[delivery.cooperative])),
      farmers.then(([, ids]) => this.registerPlots(rubberFarms, ids, () => this.actors.buyingStation)),
    ]);
    const cocoaPlots = allCocoaPlots.slice(0, cocoaFarms.length);
    const heldBackPlot = allCocoaPlots[cocoaFarms.length]!;
    // The forest monitor checks every plot before the harvest is bought: a delivery carries the
    // EUDR claim from its mint only if its plot was attested clear by then.
    const forest = attestationsOn
      ? await this.forestCheck([
          { lossFormat: "lossyear", plots: [...cocoaFarms.map((delivery, i) => ({ delivery, plot: cocoaPlots[i]! })), { delivery: heldBack, plot: heldBackPlot, lossYear: 2023 }] },
          { lossFormat: "alerts", plots: rubberFarms.map((delivery, i) => ({ delivery, plot: rubberPlots[i]! })) },
        ])
      : null;
    const [cocoa, rubber, heldBackLot] = await Promise.all([
      this.cocoa(cocoaFarms, cocoaPlots, attestationsOn),
      this.rubber(rubberFarms, rubberPlots, attestationsOn),
      this.mintHeldBack(heldBack, heldBackPlot, attestationsOn),
    ]);
    const plotAttestations = forest ? { plots: forest.attested } : null;

    let attestations: DemoRecord["attestations"] = null;
    if (plotAttestations) attestations = { ...plotAttestations, lots: cocoa.lotAttestations, members: cocoa.memberAttestations, revoked: cocoa.revoked };
    else this.log("demo: this gateway has no attestation endpoints: no attestations seeded");

    // The products are named against the read model: wait until it has every lot.
    await this.gateway.indexer.waitForBlock(this.lastBlock);
    const chocolate = await this.nameProduct("brand", "chocolate", cocoa.record.chocolate);
    const tyre = await this.nameProduct("tyreMaker", "tyre", rubber.record.tsr20);
    await this.gateway.indexer.waitForBlock(this.lastBlock);
    const [allCocoaFarmers, rubberFarmers] = await farmers;
    // The held-back delivery's farmer is paid outside the export's premium story.
    const cocoaFarmers = allCocoaFarmers.slice(0, cocoaFarms.length);
    if (this.gateway.chain.deployments.contracts.PayoutRegistry) {
      await payDemoFarmers({
        cooperatives: Object.fromEntries(COCOA_COOPERATIVES.map((c) => [c.key, this.actors[c.key]])),
        buyingStation: this.actors.buyingStation,
        brand: this.actors.brand,
        cocoa: { farms: cocoaFarms, deliveries: cocoa.record.deliveries, farmers: cocoaFarmers },
        rubber: { farms: rubberFarms, deliveries: rubber.record.deliveries, farmers: rubberFarmers },
        chocolate: cocoa.record.chocolate,
        relay: (member, key, route, body) => this.step(member as Actor, key, route, body),
        log: this.log,
        farmerPage: { gatewayUrl: this.gateway.url, origin: new URL(this.gateway.publicUrl).origin },
      });
      await this.gateway.indexer.waitForBlock(this.lastBlock);
    }

    const record: DemoRecord = {
      chocolate_page_url: "",
      tyre_page_url: "",
      public_url: "",
      seeded_at: new Date().toISOString(),
      seed_seconds: 0,
      members: Object.fromEntries(DEMO_MEMBERS.map((spec) => [spec.key, this.actors[spec.key].memberId])) as Record<DemoMemberKey, string>,
      cocoa: cocoa.record,
      rubber: rubber.record,
      products: { chocolate, tyre },
      attestations,
      farmers: { cocoa: cocoaFarmers, rubber: rubberFarmers },
      eudr: forest ? { checks: forest.checks, heldBack: { lotId: heldBackLot, plotId: heldBackPlot.id } } : null,
    };
    return withUrls(record, this.gateway.publicUrl);
  }

  // ------------------------------------------------------------------------------------ members

  /** Each member once: found again on chain by its metadata digest, else added through the control socket. */
  private async addMembers(): Promise<void> {
    const socket = this.gateway.controlSocket;
    if (!socket) throw new DemoSeedError("the demo adds members through the gateway's control socket, which is not running");
    const count = Number(await this.registry.memberCount());
    const byMetadata = new Map<string, string>();
    for (let id = 1; id <= count; id++) {
      const [member] = await this.registry.getMember(id);
      byMetadata.set(member.metadata.toLowerCase(), String(id));
    }
    const control = async (method: "GET" | "POST", route: string, body?: unknown) => {
      const answer = await sendControlCommand(socket, method, route, body);
      if (!answer || answer.status !== 200) throw new DemoSeedError(`control socket ${method} ${route}: ${JSON.stringify(answer?.body ?? "no answer")}`);
      return answer.body as { memberId?: string; token: string };
    };
    // Side by side: each addMember waits for its own block. Keys filed under a predicted member id
    // are refiled by memberAdmin when the chain assigns another.
    await Promise.all(
      DEMO_MEMBERS.map(async (spec) => {
        const document = new TextEncoder().encode(JSON.stringify(spec.document));
        const stored = await this.gateway.evidence.put(document, "application/json");
        const metadata = cidToDigest(stored.cid);
        let memberId = byMetadata.get(metadata);
        let token: string;
        if (memberId) {
          token = (await control("POST", `/members/${memberId}/tokens`, { label: "demo seed" })).token;
        } else {
          const added = await control("POST", "/members", { roles: spec.roles, country: spec.country, metadata, label: "demo seed" });
          memberId = String(added.memberId);
          token = added.token;
        }
        const client = new DemoMemberClient(this.gateway.url, token, memberId, this.pace);
        // The same bytes again through the API: the upload is recorded with its media type.
        await client.putJson(spec.document);
        const me = await client.expect(200, "GET", "/v1/members/me");
        this.actors[spec.key] = Object.assign(client, { account: me.custodialAccounts[0] as string });
      }),
    );
  }

  // -------------------------------------------------------------------------------------- cocoa

  private async cocoa(deliveries: readonly CocoaDelivery[], plots: ReadonlyArray<{ commitment: string }>, attestationsOn: boolean) {
    const { exporter, grinder, brand, certifier } = this.actors;
    const form = demoFormIds();
    const boxes = fermentationBoxes(deliveries);
    this.log(`demo: ${deliveries.length} deliveries of wet cocoa beans to ${COCOA_COOPERATIVES.length} cooperatives, each from a registered plot in its district`);
    const tickets = await mapLimited(deliveries, 8, (delivery) => this.actors[delivery.cooperative].putJson(delivery.ticket));
    // A cooperative records each day's deliveries in one batch; that day's beans fill one box.
    const deliveryIds: string[] = new Array(deliveries.length);
    await Promise.all(
      boxes.map(async (box) => {
        const minted = await this.step(this.actors[box.cooperative], `demo:cocoa:deliveries:${box.box}`, mintRoute(attestationsOn), {
          deliveries: box.deliveries.map((i) => ({ form: form.wetBeans, grams: deliveries[i]!.grams.toString(), metadata: tickets[i]!.digest, origin: plots[i]!.commitment })),
        });
        minted.outputs.lotIds!.forEach((lotId, k) => (deliveryIds[box.deliveries[k]!] = lotId));
      }),
    );

    // The premium claim is attested on the deliveries before they are processed, so it follows them.
    let lotAttestations = 0;
    let memberAttestations = 0;
    const revoked: string[] = [];
    if (attestationsOn) {
      const cooperatives = COCOA_COOPERATIVES.map((cooperative) => demoMember(cooperative.key).document.name);
      const [report, certificate] = await Promise.all([
        certifier.putJson({ document: "premium eligibility audit", cooperatives, season: COCOA_SEASON, deliveries: deliveryIds.length, result: "eligible" }),
        certifier.putJson({ document: "farm certification audit", cooperatives, standard: "sustainable agriculture farm standard", result: "certified", certificates: COCOA_COOPERATIVES.map((_, i) => `ASAC-FARM-2026-${String(193 + i)}`) }),
      ]);
      const [premium] = await Promise.all([
        this.step(certifier, "demo:attest:premium-lots", "/v1/attestations/batch", {
          scheme: await this.schemeId("fair-price-premium"),
          attestations: deliveryIds.map((lotId) => ({ subjectKind: "lot", subject: lotId, evidence: report.digest })),
        }),
        this.step(certifier, "demo:attest:cooperatives", "/v1/attestations/batch", {
          scheme: await this.schemeId("certified-farm"),
          attestations: COCOA_COOPERATIVES.map((cooperative) => ({ subjectKind: "member", subject: this.actors[cooperative.key].memberId, evidence: certificate.digest })),
        }),
      ]);
      lotAttestations = deliveryIds.length;
      // A follow-up audit finds one Luwu Utara delivery came from a farmer outside the certified
      // group: that delivery's premium eligibility is revoked before its box is fermented, so the
      // chocolate bar's page lists it as revoked.
      const uid = premium.outputs.uids?.[deliveries.findIndex((delivery) => delivery.district.district === "Luwu Utara")];
      if (!uid) throw new DemoSeedError("the premium attestations answered no uids");
      await this.step(certifier, "demo:attest:revoke-premium", `/v1/attestations/${uid}/revoke`, { reason: 2 });
      revoked.push(uid);
      memberAttestations = COCOA_COOPERATIVES.length;
    }

    // Each box: five days' fermentation, eight on the drying floor, to at most 7.5 % moisture.
    const dried = await Promise.all(
      boxes.map(async (box) => {
        const coop = this.actors[box.cooperative];
        const grams = share(box.wetGrams, box.yieldBps);
        const record = await coop.putJson({
          document: "fermentation and drying record",
          box: box.box,
          filled: box.filled,
          wet_kg: Number(box.wetGrams) / 1000,
          fermentation_days: FERMENTATION_DAYS,
          turned_after_days: [2, 4],
          drying: "sun, raised drying floor",
          drying_days: DRYING_DAYS,
          dried_on: box.driedOn,
          final_moisture_pct: box.finalMoisturePct,
          dry_kg: Number(grams) / 1000,
        });
        const transformed = await this.step(coop, `demo:cocoa:ferment:${box.box}`, "/v1/lots/transform", {
          inputIds: box.deliveries.map((i) => deliveryIds[i]!),
          outputs: [{ form: form.fermentedDryBeans, grams: grams.toString(), quality: Math.round(box.finalMoisturePct * 100), metadata: record.digest }],
        });
        return { box, lotId: transformed.outputs.lotIds![0]!, grams };
      }),
    );

    // Each cooperative bags its dried boxes as one lot and trucks it to the exporter in Makassar,
    // which weighs it in and measures its moisture again.
    const received = await Promise.all(
      COCOA_COOPERATIVES.map(async (cooperative, c) => {
        const coop = this.actors[cooperative.key];
        const own = dried.filter((d) => d.box.cooperative === cooperative.key);
        const arrived = COCOA_TIMELINE.atExporter[cooperative.key];
        const grams = own.reduce((sum, d) => sum + d.grams, 0n);
        const bags = await coop.putJson({ document: "sales lot", cooperative: demoMember(cooperative.key).document.name, boxes: own.map((d) => d.box.box), bags_62_5kg: Math.ceil(Number(grams) / 62_500), dispatched: addDays(arrived, -2), buyer: demoMember("exporter").document.name });
        const merged = await this.step(coop, `demo:cocoa:sales-lot:${cooperative.key}`, "/v1/lots/merge", { lotIds: own.map((d) => d.lotId), metadata: bags.digest });
        const salesLot = merged.outputs.lotIds![0]!;
        const weighed = await this.handover(coop, exporter, `demo:cocoa:to-exporter:${cooperative.key}`, salesLot, grams, 9_960 - c * 15, Math.round(EXPORT_GRADING.moisture_pct * 100));
        return { cooperative: cooperative.key, salesLot, grams: weighed };
      }),
    );

    // The exporter grades the three lots together as one export lot: SNI 2323 Mutu I, size class A.
    const gradingDoc = await exporter.putJson({ document: "export lot grading", lot: "CCE-EXP-2026-07", date: COCOA_TIMELINE.graded, ...EXPORT_GRADING, origin_cooperatives: received.map((r) => demoMember(r.cooperative).document.name) });
    const exportLot = (await this.step(exporter, "demo:cocoa:export-lot", "/v1/lots/merge", { lotIds: received.map((r) => r.salesLot), metadata: gradingDoc.digest })).outputs.lotIds![0]!;
    let grams = received.reduce((sum, r) => sum + r.grams, 0n);

    // By sea from Makassar to the grinder in Johor, which weighs what arrived.
    grams = await this.handover(exporter, grinder, "demo:cocoa:to-grinder", exportLot, grams, 9_940);

    const roast = await grinder.putJson({ document: "roasting and winnowing record", date: COCOA_TIMELINE.roasted, roast_c: 125, minutes: 28, shell_removed_pct: 12.5, moisture_lost_pct: 5 });
    const nibsGrams = share(grams, 8_200);
    const nibs = (await this.step(grinder, "demo:cocoa:nibs", "/v1/lots/transform", { inputIds: [exportLot], outputs: [{ form: form.nibs, grams: nibsGrams.toString(), metadata: roast.digest }] })).outputs.lotIds![0]!;
    const grind = await grinder.putJson({ document: "grinding record", date: COCOA_TIMELINE.ground, mill: "ball mill line 2", fineness_microns: 22 });
    const liquorGrams = share(nibsGrams, 9_850);
    const liquor = (await this.step(grinder, "demo:cocoa:liquor", "/v1/lots/transform", { inputIds: [nibs], outputs: [{ form: form.liquor, grams: liquorGrams.toString(), metadata: grind.digest }] })).outputs.lotIds![0]!;

    // Most of the liquor is pressed into butter and cake; the chocolate company buys the rest.
    const forChocolate = share(liquorGrams, 3_000);
    const split = await this.step(grinder, "demo:cocoa:split-liquor", `/v1/lots/${liquor}/split`, {
      parts: [
        { form: form.liquor, grams: (liquorGrams - forChocolate).toString(), metadata: grind.digest },
        { form: form.liquor, grams: forChocolate.toString(), metadata: grind.digest },
      ],
    });
    const [pressed, liquorForChocolate] = split.outputs.lotIds as [string, string];
    const press = await grinder.putJson({ document: "pressing record", date: COCOA_TIMELINE.pressed, press: "hydraulic pot press 4", butter_pct: 46, cake_pct: 53, cake_fat_pct: 11 });
    const pressedGrams = liquorGrams - forChocolate;
    const [pressing, receivedLiquor] = await Promise.all([
      this.step(grinder, "demo:cocoa:press", "/v1/lots/transform", {
        inputIds: [pressed],
        outputs: [
          { form: form.butter, grams: share(pressedGrams, 4_600).toString(), metadata: press.digest },
          { form: form.pressCake, grams: share(pressedGrams, 5_300).toString(), metadata: press.digest },
        ],
      }),
      this.handover(grinder, brand, "demo:cocoa:to-chocolate-maker", liquorForChocolate, forChocolate, 9_980),
    ]);
    const [butter, cake] = pressing.outputs.lotIds as [string, string];
    const conche = await brand.putJson({ document: "conching record", date: COCOA_TIMELINE.conched, batch: DEMO_PRODUCTS.chocolate.batch, recipe: "70% Sulawesi single origin", conche_hours: 36, cocoa_content_pct: 70 });
    // A 70 % bar: the liquor (less 1 % lost in conching) is 70 % of it; sugar and lecithin, declared
    // as non-traced ingredients, the rest. They weigh in the bar but carry no claim.
    const cocoaInBar = share(receivedLiquor, 9_900);
    const bar = (cocoaInBar * 10_000n) / 7_000n;
    const lecithin = share(bar, 50);
    const chocolate = (await this.step(brand, "demo:cocoa:chocolate", "/v1/lots/transform", {
      inputIds: [liquorForChocolate],
      outputs: [{ form: form.chocolate, grams: bar.toString(), metadata: conche.digest }],
      ingredients: [
        { outputForm: form.chocolate, grams: (bar - cocoaInBar - lecithin).toString(), name: "cane sugar" },
        { outputForm: form.chocolate, grams: lecithin.toString(), name: "sunflower lecithin" },
      ],
    })).outputs.lotIds![0]!;

    return {
      lotAttestations,
      memberAttestations,
      revoked,
      record: {
        deliveries: deliveryIds,
        dryBeans: dried.map((d) => d.lotId),
        salesLots: Object.fromEntries(received.map((r) => [r.cooperative, r.salesLot])),
        exportLot,
        nibs,
        liquor,
        liquorPressed: pressed,
        liquorForChocolate,
        butter,
        cake,
        chocolate,
      },
    };
  }

  // ------------------------------------------------------------------------------------- rubber

  private async rubber(deliveries: ReturnType<typeof rubberDeliveries>, plots: ReadonlyArray<{ commitment: string }>, attestationsOn: boolean) {
    const { buyingStation: station, blockMill: mill, tyreMaker } = this.actors;
    const form = demoFormIds();
    this.log(`demo: ${deliveries.length} cup-lump deliveries at the Na Thawi buying station`);
    const tickets = await mapLimited(deliveries, 8, (delivery) => station.putJson(delivery.ticket));
    // The station's clerk records each day's deliveries in one batch.
    const days = [...new Set(deliveries.map((delivery) => delivery.date))];
    const deliveryIds: string[] = new Array(deliveries.length);
    await Promise.all(
      days.map(async (date) => {
        const indexes = deliveries.flatMap((delivery, i) => (delivery.date === date ? [i] : []));
        const minted = await this.step(station, `demo:rubber:deliveries:${date}`, mintRoute(attestationsOn), {
          deliveries: indexes.map((i) => ({ form: form.cupLump, grams: deliveries[i]!.grams.toString(), quality: deliveries[i]!.drcBps, metadata: tickets[i]!.digest, origin: plots[i]!.commitment })),
        });
        minted.outputs.lotIds!.forEach((lotId, k) => (deliveryIds[indexes[k]!] = lotId));
      }),
    );

    // The week's lump goes on one truck to the block rubber factory, which weighs it in lighter
    // (lump loses water in storage) and measures its dry rubber content again.
    const sentGrams = deliveries.reduce((sum, delivery) => sum + delivery.grams, 0n);
    const dryRubber = deliveries.reduce((sum, delivery) => sum + share(delivery.grams, delivery.drcBps), 0n);
    const truck = await station.putJson({ document: "truck load", date: RUBBER_TIMELINE.atFactory, deliveries: deliveries.length, kg: Number(sentGrams / 1000n), buyer: demoMember("blockMill").document.name });
    const truckload = (await this.step(station, "demo:rubber:truckload", "/v1/lots/merge", { lotIds: deliveryIds, metadata: truck.digest })).outputs.lotIds![0]!;
    // The factory's DRC test: the same dry rubber in lump that lost water, so a higher share of it.
    const factoryDrc = Number((dryRubber * 10_000n) / share(sentGrams, RUBBER_FIGURES.weighInBps));
    const weighedIn = await this.handover(station, mill, "demo:rubber:to-factory", truckload, sentGrams, RUBBER_FIGURES.weighInBps, factoryDrc);

    // STR 20: the block weighs what the lump held as dry rubber, less what the mill loses.
    const blockGrams = share(dryRubber, RUBBER_FIGURES.millRecoveryBps);
    const milling = await mill.putJson({
      document: "block mill record",
      date: RUBBER_TIMELINE.milled,
      grade: "STR 20",
      received_kg: Number(weighedIn / 1000n),
      drc_pct: Math.round(Number((dryRubber * 10_000n) / weighedIn)) / 100,
      dry_rubber_kg: Number(dryRubber / 1000n),
      bales_35kg: Math.round(Number(blockGrams) / 35_000),
      dirt_pct: 0.12,
    });
    const tsr20 = (await this.step(mill, "demo:rubber:tsr20", "/v1/lots/transform", {
      inputIds: [truckload],
      outputs: [{ form: form.tsr20, grams: blockGrams.toString(), metadata: milling.digest }],
    })).outputs.lotIds![0]!;
    await this.handover(mill, tyreMaker, "demo:rubber:to-tyre-maker", tsr20, blockGrams, 9_985);
    return { record: { deliveries: deliveryIds, truckload, tsr20 } };
  }

  // --------------------------------------------------------------------------------- attestations

  private async attestationsAvailable(): Promise<boolean> {
    if (!this.attestationRegistry) return false;
    const answer = await fetch(`${this.gateway.url}/openapi.json`);
    const document = (await answer.json()) as { paths?: Record<string, unknown> };
    return Boolean(document.paths?.["/v1/attestations/batch"] && document.paths?.["/v1/attestations/{uid}/revoke"]);
  }

  private schemeIds = new Map<string, number>();
  private async schemeId(key: string): Promise<number> {
    const cached = this.schemeIds.get(key);
    if (cached) return cached;
    const scheme = schemeByKey(key);
    const id = await registeredSchemeId(this.attestationRegistry!, scheme);
    if (id === 0) throw new DemoSeedError(`scheme ${scheme.name} ${scheme.version} is not registered on chain`);
    this.schemeIds.set(key, id);
    return id;
  }

  /** The governor accredits the forest monitor for the plots' forest-loss check and the certifier for the farm and premium schemes. */
  private async accreditCertifiers(): Promise<void> {
    const accreditations: Array<[DemoMemberKey, string]> = [
      ["forestMonitor", "no-forest-loss-since-2020"],
      ["certifier", "certified-farm"],
      ["certifier", "fair-price-premium"],
    ];
    const registry = this.attestationRegistry!;
    const now = Math.floor(Date.now() / 1000);
    const until = now + 3 * 365 * 24 * 3600;
    const calls: GovernedCall[] = [];
    for (const [key, schemeKey] of accreditations) {
      if (!DEMO_SCHEMES.some((scheme) => scheme.key === schemeKey)) continue;
      const scheme = await this.schemeId(schemeKey);
      const member = BigInt(this.actors[key].memberId);
      if (Number(await registry.accreditedUntil(scheme, member)) > now + 24 * 3600) continue;
      calls.push({
        target: await registry.getAddress(),
        data: registry.interface.encodeFunctionData("accredit", [scheme, member, until]),
        description: `accredit(${scheme}, ${member})`,
      });
    }
    // Accreditation adds trust, so it goes through governance (on the embedded network one
    // governor's proposal runs at once: no delay, a quorum of one).
    const outcome = await applyGoverned(this.gateway.governor!, this.gateway.chain.deployments, calls);
    if (outcome.proposed.length > 0) {
      throw new DemoSeedError(`accreditations wait for the governors' approval (${outcome.proposed.map((p) => p.id).join(", ")})`);
    }
    this.lastBlock = Math.max(this.lastBlock, await this.gateway.governor!.provider!.getBlockNumber());
    if (calls.length > 0) this.log(`demo: governance accredited the certifiers (${calls.length} accreditations)`);
  }

  /**
   * The forest monitor's deforestation check, one per district, through `POST /v1/eudr/checks`
   * over the district's generated forest and loss layers: the clear plots are attested (the
   * check's attest-batch requests, waited for until mined), a plot with loss is not.
   */
  private async forestCheck(
    groups: ReadonlyArray<{ lossFormat: "lossyear" | "alerts"; plots: ReadonlyArray<{ delivery: DemoDelivery; plot: RegisteredPlot; lossYear?: number }> }>,
  ): Promise<{ attested: number; checks: NonNullable<DemoRecord["eudr"]>["checks"] }> {
    const monitor = this.actors.forestMonitor;
    const checks = groups.flatMap(({ lossFormat, plots }) =>
      demoForestLayers(plots.map(({ delivery, lossYear }) => ({ district: delivery.district, geometry: delivery.geometry, ...(lossYear ? { lossYear } : {}) })), lossFormat).map((layers) => ({
        layers,
        plotIds: plots.filter(({ delivery }) => delivery.district.district === layers.district).map(({ plot }) => plot.id),
        commitments: plots.filter(({ delivery }) => delivery.district.district === layers.district).map(({ plot }) => plot.commitment),
      })),
    );
    // One district after another: each check reads two rasters and its plots in the gateway.
    // A seed run again (its record lost) finds each district's check by its attestations.
    await this.gateway.indexer.waitForBlock(await this.gateway.governor!.provider!.getBlockNumber());
    const done = await mapLimited(checks, 1, async ({ layers, plotIds, commitments }) => {
        const earlier = await this.earlierCheck(commitments);
        if (earlier) return { district: layers.district, ...earlier };
        const form = new FormData();
        form.set("plots", plotIds.join(","));
        form.set("forest2020", new Blob([Buffer.from(layers.forest2020.bytes)], { type: "image/tiff" }), layers.forest2020.name);
        form.set("loss", new Blob([Buffer.from(layers.loss.bytes)], { type: layers.loss.name.endsWith(".tif") ? "image/tiff" : "application/geo+json" }), layers.loss.name);
        const answer = await monitor.expect(201, "POST", "/v1/eudr/checks", form);
        for (const id of answer.requests as string[]) {
          const mined = await monitor.settle(id, `demo:eudr-check:${layers.district}`);
          this.lastBlock = Math.max(this.lastBlock, mined.blockNumber);
        }
        const totals = answer.report.totals as { clear: number; loss_found: number };
        return { district: layers.district, reportCid: answer.reportCid as string, clear: totals.clear, lossFound: totals.loss_found };
    });
    const attested = done.reduce((sum, check) => sum + check.clear, 0);
    const loss = done.reduce((sum, check) => sum + check.lossFound, 0);
    this.log(`demo: deforestation check of ${attested + loss} plots in ${done.length} districts: ${attested} clear and attested, ${loss} with forest loss since 31 Dec 2020`);
    return { attested, checks: done };
  }

  /** The report of a check that already attested any of these plots (the monitor's), with its totals; null if none did. */
  private async earlierCheck(commitments: readonly string[]): Promise<{ reportCid: string; clear: number; lossFound: number } | null> {
    const { rows } = await this.gateway.db.query<{ evidence: string }>(
      "select evidence from attestations where subject_kind = 2 and subject = any($1::text[]) and attester_member = $2 and not revoked order by position limit 1",
      [commitments.map((commitment) => commitment.toLowerCase()), this.actors.forestMonitor.memberId],
    );
    if (!rows[0]) return null;
    const reportCid = digestToCid(rows[0].evidence, "raw").toString();
    const report = JSON.parse(Buffer.from(await this.gateway.evidence.get(reportCid)).toString("utf8")) as { totals: { clear: number; loss_found: number } };
    return { reportCid, clear: report.totals.clear, lossFound: report.totals.loss_found };
  }

  /** The delivery from the plot with forest loss: minted (it carries no EUDR claim) and kept at the cooperative. */
  private async mintHeldBack(delivery: CocoaDelivery, plot: RegisteredPlot, attestationsOn: boolean): Promise<string> {
    const coop = this.actors[delivery.cooperative];
    const ticket = await coop.putJson(delivery.ticket);
    const minted = await this.step(coop, "demo:cocoa:held-back", mintRoute(attestationsOn), {
      deliveries: [{ form: demoFormIds().wetBeans, grams: delivery.grams.toString(), metadata: ticket.digest, origin: plot.commitment }],
    });
    this.log("demo: 1 delivery from a plot with forest loss, minted without the EUDR claim and kept out of the export");
    return minted.outputs.lotIds![0]!;
  }

  // ---------------------------------------------------------------------------------- the steps

  /**
   * Each delivery's plot, registered for the farmer's record (`farmerIds[i]` is delivery i's
   * farmer). Every fourth plot was recorded in the field as a GPS point with the area the farmer
   * declared, as the EUDR allows for plots of up to 4 ha; the others were walked as outlines.
   */
  private async registerPlots<D extends DemoDelivery>(deliveries: readonly D[], farmerIds: readonly string[], buyerOf: (delivery: D) => Actor): Promise<RegisteredPlot[]> {
    return mapLimited(deliveries, 8, async (delivery, i) => {
      const member = buyerOf(delivery);
      const farmerId = farmerIds[i]!;
      // Registered before (an interrupted seed)? Each registration draws a new salt, so look first.
      const { rows } = await this.gateway.db.query<{ plot_id: string; commitment: string; area_m2: string | number }>(
        "select plot_id, commitment, area_m2 from origin_plots where member_id = $1 and farmer_id = $2 and superseded_at is null order by registered_at limit 1",
        [member.memberId, farmerId],
      );
      if (rows[0]) return { id: rows[0].plot_id, commitment: rows[0].commitment, areaM2: Number(rows[0].area_m2) };
      const { country, province, district } = delivery.district;
      const where = i % 4 === 3 ? asPoint(delivery.geometry) : { geometry: delivery.geometry };
      return member.expect([200, 201], "POST", "/v1/plots", { farmerId, ...where, country, province, district });
    });
  }

  /**
   * The farmers behind the deliveries, registered with their consents through `/v1/farmers`.
   * Found again by their card code when registered before (an interrupted seed). Answers each
   * delivery's farmer id.
   */
  private async registerFarmers<D extends DemoDelivery>(deliveries: readonly D[], memberOf: (delivery: D) => Actor, region: "sulawesi" | "songkhla"): Promise<string[]> {
    const farmers = demoFarmers(deliveries, region);
    const deliveryOf = new Map(deliveries.map((delivery) => [delivery.farmerRef, delivery]));
    const ids = await mapLimited(farmers, 4, async ({ farmerRef, farmer, consents, withdrawn }) => {
      const member = memberOf(deliveryOf.get(farmerRef)!);
      const created = await member.call("POST", "/v1/farmers", farmer);
      const id: string =
        created.status === 201
          ? created.body.id
          : (await member.expect(200, "GET", `/v1/farmers?status=all&code=${encodeURIComponent(farmer.code)}`)).farmers[0]?.id;
      if (!id) throw new DemoSeedError(`farmer ${farmer.code} of member ${member.memberId}: ${created.status}`, { details: JSON.stringify(created.body).slice(0, 600) });
      const recorded: Array<{ id: string; scope: string; active: boolean }> =
        created.status === 201 ? [] : (await member.expect(200, "GET", `/v1/farmers/${id}/consents`)).consents;
      for (const consent of consents) {
        if (recorded.some((existing) => existing.scope === consent.scope)) continue;
        recorded.push(await member.expect(201, "POST", `/v1/farmers/${id}/consents`, { ...consent, recordedBy: "field agent (demo)" }));
      }
      for (const scope of withdrawn) {
        const active = recorded.find((existing) => existing.scope === scope && existing.active);
        if (active) await member.expect(200, "POST", `/v1/farmers/${id}/consents/${active.id}/withdraw`, { recordedBy: "field agent (demo)", reason: "the farmer asked not to be named" });
      }
      return id;
    });
    const byRef = new Map(farmers.map((farmer, i) => [farmer.farmerRef, ids[i]!]));
    this.log(`demo: ${farmers.length} farmers registered with their consents`);
    return deliveries.map((delivery) => byRef.get(delivery.farmerRef)!);
  }

  private async step(member: Actor, key: string, route: string, body: unknown): Promise<MinedRequest> {
    const mined = await member.relay(key, route, body);
    this.lastBlock = Math.max(this.lastBlock, mined.blockNumber);
    return mined;
  }

  /**
   * Offer and accept; the receiver weighs `receivedBps` of what was sent and, if given, measures
   * the lot's quality again (moisture, DRC; basis points). Returns the grams received.
   */
  private async handover(from: Actor, to: Actor, key: string, lotId: string, grams: bigint, receivedBps: number, quality = 0): Promise<bigint> {
    await this.step(from, `${key}:offer`, `/v1/lots/${lotId}/offer`, { receiver: to.account });
    const received = share(grams, receivedBps);
    await this.step(to, `${key}:accept`, `/v1/lots/${lotId}/accept`, { gramsReceived: received.toString(), ...(quality ? { quality } : {}) });
    return received;
  }

  private async nameProduct(key: DemoMemberKey, product: keyof typeof DEMO_PRODUCTS, lotId: string) {
    const { gtin, batch, name } = DEMO_PRODUCTS[product];
    const named = await this.actors[key].expect(201, "POST", "/v1/products", { gtin, batch, lotId, name });
    return { gtin: named.gtin as string, batch: named.batch as string, lotId: named.lotId as string, name: named.name as string };
  }
}

/** `work` over `items` with at most `limit` at a time, answers in order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!, index);
      }
    }),
  );
  return results;
}

/** The catalogue ids of the forms the story records its lots as. */
function demoFormIds(): Record<keyof typeof DEMO_FORM_KEYS, number> {
  return Object.fromEntries(Object.entries(DEMO_FORM_KEYS).map(([name, key]) => [name, formByKey(key).id])) as Record<keyof typeof DEMO_FORM_KEYS, number>;
}

/** An outline as a field agent's GPS point would record it: its centre (six decimals) and its area declared in hectares (to the square metre). */
function asPoint(outline: PlotGeometry): { geometry: PlotGeometry; declaredAreaHa: number } {
  if (outline.type !== "Polygon") throw new DemoSeedError("a demo plot outline is a polygon");
  const corners = outline.coordinates[0]!.slice(0, -1);
  const mean = (axis: 0 | 1) => Math.round((corners.reduce((sum, corner) => sum + corner[axis]!, 0) / corners.length) * 1e6) / 1e6;
  return { geometry: { type: "Point", coordinates: [mean(0), mean(1)] }, declaredAreaHa: Math.round(plotAreaM2(outline)) / 10_000 };
}

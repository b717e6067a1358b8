import { sendControlCommand } from "../gateway/controlSocket";
import type { Gateway } from "../gateway/startGateway";
import { cidToDigest } from "../evidence";
import { formByKey } from "../lots/forms";
import { DemoMemberClient, DemoSeedError } from "../demo/demoClient";
import { demoFarmers } from "../demo/demoFarmers";
import { COCOA_DISTRICTS, COCOA_SEASON, demoMember, plotOutline, share, storyRandom, type DemoMemberKey } from "../demo/story";

/**
 * The cocoa story across three organisations' gateways on one chain: a cooperative served by the
 * first, an exporter by the second, a chocolate maker by the third. Each member is added by its own
 * gateway (its custodial key in that gateway's keystore, its API token valid there only) and acts
 * only through it:
 *
 *   cooperative (A): registers a farmer and the plot, stores the weigh ticket, mints the delivery
 *     of dried beans with the ticket as its metadata, attaches the ticket as evidence, offers it
 *     to the exporter's account;
 *   exporter (B): accepts it (weighed in again), grades it (a transform, its grading report in B's
 *     evidence store), offers the graded lot to the chocolate maker's account;
 *   chocolate maker (C): accepts it.
 *
 * Every gateway indexes the whole chain, so each can show the graded lot's page; the cooperative's
 * ticket is read at B and C through A's trustless IPFS endpoint (FIRSTMILE_EVIDENCE_PEERS).
 */
export type NetworkSite = Pick<Gateway, "url" | "publicUrl" | "controlSocket" | "evidence">;

export type NetworkMember = { memberId: string; account: string; token: string; client: DemoMemberClient };

export type NetworkStoryReturnType = {
  cooperative: NetworkMember;
  exporter: NetworkMember;
  brand: NetworkMember;
  /** The weigh ticket as stored at A. */
  ticket: { cid: string; digest: string };
  /** The farmer and plot as registered at A (private to A). */
  farmerId: string;
  plotId: string;
  /** The minted delivery and the exporter's graded lot (the one the chocolate maker holds). */
  deliveryLot: string;
  gradedLot: string;
  /** The graded lot's page on each gateway, in the order A, B, C. */
  pages: string[];
};

export type NetworkStoryParameters = {
  cooperativeSite: NetworkSite;
  exporterSite: NetworkSite;
  brandSite: NetworkSite;
  /** Accounts of the cooperative's own (self-custody) keys, added with it. */
  cooperativeOwnAccounts?: string[];
  log?: (line: string) => void;
};

const DELIVERY_GRAMS = 1_250_000n;
/** The exporter weighs in 99.2 % of the cooperative's weight; grading keeps 98 % of it. */
const WEIGH_IN_BPS = 9_920;
const GRADED_BPS = 9_800;

export async function runNetworkStory(parameters: NetworkStoryParameters): Promise<NetworkStoryReturnType> {
  const { cooperativeSite: a, exporterSite: b, brandSite: c } = parameters;
  const log = parameters.log ?? (() => {});
  const dryBeans = formByKey("cocoa-dry-beans").id;
  const run = `${Date.now().toString(36)}`;

  const [cooperative, exporter, brand] = await Promise.all([
    addMemberAt(a, "parigiCooperative", parameters.cooperativeOwnAccounts ?? []),
    addMemberAt(b, "exporter"),
    addMemberAt(c, "brand"),
  ]);
  log(`network: cooperative member ${cooperative.memberId} at ${a.url}, exporter ${exporter.memberId} at ${b.url}, chocolate maker ${brand.memberId} at ${c.url}`);

  // The cooperative's farmer and plot: private records, kept only at A.
  const district = COCOA_DISTRICTS[0]!;
  // Each run adds its members anew; the farmer's card code (derived from the reference) follows the member.
  const [{ farmer }] = demoFarmers([{ farmerRef: `KTL-M${cooperative.memberId}-0901`, district }], "sulawesi");
  const created = await cooperative.client.call("POST", "/v1/farmers", farmer!);
  const farmerId: string =
    created.status === 201 ? created.body.id : (await cooperative.client.expect(200, "GET", `/v1/farmers?status=all&code=${encodeURIComponent(farmer!.code)}`)).farmers[0]?.id;
  if (!farmerId) throw new DemoSeedError(`farmer ${farmer!.code}: ${created.status}`, { details: JSON.stringify(created.body).slice(0, 600) });
  // Each run's plot a few hundred metres from the last one's: plots of one gateway may not overlap.
  const step = (Number(cooperative.memberId) % 100) * 0.004;
  const geometry = plotOutline(district.lat + 0.011 - step, district.lon - 0.007, 1.4, storyRandom(2026_0901));
  const plot = await cooperative.client.expect([200, 201], "POST", "/v1/plots", { farmerId, geometry, country: district.country, province: district.province, district: district.district });

  // A: the weigh ticket, the delivery, the ticket attached as the lot's evidence, the offer.
  const ticket = await cooperative.client.putJson({
    document: "weigh ticket",
    ticket: "KTL-WT-2026-901",
    date: "2026-06-24",
    commodity: "cocoa beans, fermented and dried",
    season: COCOA_SEASON,
    kg: Number(DELIVERY_GRAMS) / 1000,
    moisture_pct: 7.2,
    collection_point: district.district,
  });
  const minted = await cooperative.client.relay(`network:${run}:mint`, "/v1/lots/mint-batch", {
    deliveries: [{ form: dryBeans, grams: DELIVERY_GRAMS.toString(), metadata: ticket.digest, origin: plot.commitment }],
  });
  const deliveryLot = minted.outputs.lotIds![0]!;
  await cooperative.client.relay(`network:${run}:evidence`, `/v1/lots/${deliveryLot}/evidence`, { evidence: ticket.digest });
  await cooperative.client.relay(`network:${run}:offer-exporter`, `/v1/lots/${deliveryLot}/offer`, { receiver: exporter.account });
  log(`network: A minted lot ${deliveryLot} (weigh ticket ${ticket.cid}) and offered it to the exporter`);

  // B: accept, grade, offer on.
  const weighedIn = share(DELIVERY_GRAMS, WEIGH_IN_BPS);
  await exporter.client.relay(`network:${run}:accept-exporter`, `/v1/lots/${deliveryLot}/accept`, { gramsReceived: weighedIn.toString() });
  const grading = await exporter.client.putJson({ document: "export lot grading", standard: "SNI 2323:2008", grade: "Mutu I", size_class: "A", input_lot: deliveryLot, moisture_pct: 7.1 });
  const graded = await exporter.client.relay(`network:${run}:grade`, "/v1/lots/transform", {
    inputIds: [deliveryLot],
    outputs: [{ form: dryBeans, grams: share(weighedIn, GRADED_BPS).toString(), metadata: grading.digest }],
  });
  const gradedLot = graded.outputs.lotIds![0]!;
  await exporter.client.relay(`network:${run}:offer-brand`, `/v1/lots/${gradedLot}/offer`, { receiver: brand.account });
  log(`network: B accepted lot ${deliveryLot}, graded it into lot ${gradedLot} and offered it to the chocolate maker`);

  // C: accept.
  await brand.client.relay(`network:${run}:accept-brand`, `/v1/lots/${gradedLot}/accept`, { gramsReceived: share(weighedIn, GRADED_BPS).toString() });
  log(`network: C accepted lot ${gradedLot}`);

  return {
    cooperative,
    exporter,
    brand,
    ticket,
    farmerId,
    plotId: plot.id,
    deliveryLot,
    gradedLot,
    pages: [a, b, c].map((site) => `${site.publicUrl}/l/${gradedLot}`),
  };
}

/** A demo member added by `site`'s governor through its control socket, with its metadata document stored at that site. */
async function addMemberAt(site: NetworkSite, key: DemoMemberKey, ownAccounts: string[] = []): Promise<NetworkMember> {
  if (!site.controlSocket) throw new DemoSeedError(`the gateway at ${site.url} has no control socket to add members through`);
  const spec = demoMember(key);
  const stored = await site.evidence.put(new TextEncoder().encode(JSON.stringify(spec.document)), "application/json");
  const answer = await sendControlCommand(site.controlSocket, "POST", "/members", {
    roles: spec.roles,
    country: spec.country,
    metadata: cidToDigest(stored.cid),
    label: "network story",
    custodialAccounts: 1,
    ...(ownAccounts.length > 0 ? { accounts: ownAccounts } : {}),
  });
  if (!answer || answer.status !== 200) throw new DemoSeedError(`members add at ${site.url}: ${JSON.stringify(answer?.body ?? "no answer")}`);
  const { memberId, token, accounts } = answer.body as { memberId: string | number; token: string; accounts: Array<{ address: string; custodial: boolean }> };
  const client = new DemoMemberClient(site.url, token, String(memberId));
  await client.putJson(spec.document);
  const account = accounts.find((entry) => entry.custodial)!.address;
  return { memberId: String(memberId), account, token, client };
}

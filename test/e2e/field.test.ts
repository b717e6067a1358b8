import { expect } from "chai";
import type { BrowserContext, Page } from "playwright-core";
import { Wallet } from "ethers";
import { forwarderInterface } from "../../src/chain/contracts";
import { sendControlCommand } from "../../src/gateway/controlSocket";
import { addMemberThroughGateway, client, startTestGateway, type TestGateway } from "../gateway/helpers";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import path from "node:path";
import { closeDay, enrolPhone, openPhone, queueStatuses, recordDelivery, registerFarmerWithPlot, syncNow, unlock, writeCameraVideo, PHONE_GPS, type DeliveryEntry } from "./fieldPhone";

/**
 * The field app's story on two emulated phones of one cooperative: enrolled from the admin's
 * link, offline all morning (a farmer, a GPS point plot, 20 deliveries with their payments), the
 * page reloaded and the browser closed and reopened with no signal, then both phones sync at
 * once: every item reaches the gateway once, the deliveries are mined in order as the phone's own
 * requests, and a request tampered with in the phone's storage is refused without blocking the
 * ones after it.
 */
describe("field app on a phone, offline then synced", function () {
  this.timeout(300_000);
  let dir: string;
  let running: TestGateway;
  let cooperative: { memberId: string; token: string };
  const phones: Array<{ context: BrowserContext; page: Page; dir: string }> = [];
  const PIN = "4821";
  const entries: DeliveryEntry[] = Array.from({ length: 20 }, (_, i) => ({ kg: `${40 + i},5`, quality: "55", price: "12500", deduction: i % 5 === 0 ? "500" : "", premium: i % 4 === 0 ? "1000" : "" }));
  const receipts: Array<{ code: string; amount: string }> = [];

  before(async function () {
    dir = makeTempDir("field");
    running = await startTestGateway(dir);
    const added = await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "ID", custodialAccounts: 1 });
    cooperative = { memberId: added.memberId, token: added.token };
  });

  after(async function () {
    for (const phone of phones) await phone.context.close().catch(() => undefined);
    await running?.gateway.stop();
    for (const phone of phones) removeTempDir(phone.dir);
    removeTempDir(dir);
  });

  const api = () => client(running.gateway.url, cooperative.token);
  const enrolmentUrl = async (label: string) => {
    const answer = await api().post("/v1/field/enrolments", { label });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
    expect(answer.body.qrSvg).to.match(/^<svg/);
    // The link as the admin's QR code carries it, pointed at this gateway.
    return `${running.gateway.url}/field/#enrol=${answer.body.token}`;
  };

  it("enrols two phones from one-time links; a used link is refused", async function () {
    for (const name of ["a", "b"]) {
      const profile = makeTempDir(`field-phone-${name}`);
      // Phone B has a camera: it films whatever card the test puts before it (nothing yet).
      const camera = name === "b" ? path.join(profile, "camera.y4m") : undefined;
      if (camera) writeCameraVideo(camera, "no card yet");
      phones.push({ ...(await openPhone(profile, { camera })), dir: profile });
    }
    const urlA = await enrolmentUrl("Agent A");
    await enrolPhone(phones[0]!.page, urlA, PIN);
    // Phone B's link as `firstmile members enrol-phone` makes it, through the gateway's control socket.
    const cli = await sendControlCommand(running.gateway.controlSocket!, "POST", `/members/${cooperative.memberId}/enrolments`, { label: "Agent B", ttlMinutes: 60 });
    expect(cli?.status).to.equal(200);
    await enrolPhone(phones[1]!.page, `${running.gateway.url}/field/#enrol=${(cli!.body as { token: string }).token}`, "7300");
    const again = await client(running.gateway.url).post("/v1/field/enrol", { token: urlA.split("#enrol=")[1], address: "0x000000000000000000000000000000000000dEaD" });
    expect(again.status).to.equal(410);
    // A record signed by a key the cooperative never enrolled, or whose signature does not match, is refused.
    const stranger = Wallet.createRandom();
    const message = JSON.stringify({ kind: "farmer", device: stranger.address, seq: 0, body: { id: "f_strangerstrangerstranger", farmer: { name: "X", language: "id" } } });
    expect((await api().post("/v1/field/records", { message, signature: await stranger.signMessage(message) })).status).to.equal(403);
    const forged = await api().post("/v1/field/records", { message, signature: await Wallet.createRandom().signMessage(message) });
    expect(forged.status).to.equal(422);
    expect(forged.body.error.code).to.equal("invalid_signature");
    // In bulk, as a phone's sync sends them: each record answered on its own, with its reason.
    const bulk = await api().post("/v1/field/records/batch", { records: [{ message, signature: await stranger.signMessage(message) }, { message, signature: await Wallet.createRandom().signMessage(message) }] });
    expect(bulk.status).to.equal(200);
    expect(bulk.body.results.map((result: { status: number; body: { error: { code: string } } }) => [result.status, result.body.error.code])).to.deep.equal([
      [403, "forbidden"],
      [422, "invalid_signature"],
    ]);
    expect((await api().post("/v1/field/records/batch", { records: [] })).status).to.equal(400);
    const csp = (await fetch(`${running.gateway.url}/field/`)).headers.get("content-security-policy");
    expect(csp).to.contain("script-src 'self'").and.not.contain("unsafe-inline");
  });

  it("registers a farmer and a GPS point plot, and records 20 deliveries and payments with no signal", async function () {
    const { page, context } = phones[0]!;
    await context.setOffline(true);
    expect(await page.evaluate(() => navigator.onLine)).to.equal(false);
    await registerFarmerWithPlot(page, { name: "Siti Rahmawati", village: "Tinombo" }, { areaHa: "1,5", province: "Sulawesi Tengah", district: "Parigi Moutong" });
    expect(await page.getByTestId("plot-list").innerText()).to.contain("±6 m");
    await page.getByTestId("deliver").click();
    await page.locator("header button").click(); // back to the farmer
    await page.locator("header button").click(); // back to the list
    await page.locator("header button").click(); // home
    // The first receipt is also printed, on both papers.
    for (const entry of entries) receipts.push(await recordDelivery(page, "tinombo", entry, receipts.length === 0 ? checkPrintedReceipt : undefined));
    expect(new Set(receipts.map((r) => r.code)).size).to.equal(20);
    // 40,5 kg at Rp 12.500, less Rp 500, plus a Rp 1.000 premium, in the Indonesian format.
    expect(receipts[0]!.amount.replace(/\s/g, " ")).to.equal("Rp 506.750,00");
    expect(await page.getByTestId("today").innerText()).to.equal("20");
    // Each payment was signed in the page's idle moments after its receipt, not while the agent waited.
    await page.waitForFunction(
      () =>
        new Promise<boolean>((resolve) => {
          const open = indexedDB.open("firstmile-field");
          open.onsuccess = () => {
            const all = open.result.transaction("deliveries").objectStore("deliveries").getAll();
            all.onsuccess = () => resolve(all.result.length === 20 && all.result.every((delivery: { payment: { signature: string | null } }) => /^0x[0-9a-f]{130}$/.test(delivery.payment.signature ?? "")));
          };
        }),
      undefined,
      { timeout: 20_000, polling: 250 },
    );
  });

  it("still works after a reload with no signal", async function () {
    const { page } = phones[0]!;
    await page.reload();
    await unlock(page, PIN);
    expect(await page.getByTestId("today").innerText()).to.equal("20");
    expect(Number(await page.getByTestId("pending").innerText())).to.equal(22); // farmer, plot, 20 deliveries
  });

  it("still works after the browser is closed and opened again with no signal", async function () {
    const phone = phones[0]!;
    await phone.context.close();
    Object.assign(phone, await openPhone(phone.dir, { offline: true }));
    await phone.page.goto(`${running.gateway.url}/field/`);
    await unlock(phone.page, PIN);
    expect(await phone.page.getByTestId("today").innerText()).to.equal("20");
    // The day is closed: one mintBatch of 20. Then one more delivery in its own batch, which is tampered with below, and one more.
    await closeDay(phone.page);
    receipts.push(await recordDelivery(phone.page, "siti", { kg: "10", quality: "50", price: "12000" }));
    await closeDay(phone.page);
    await tamperLastBatch(phone.page);
    receipts.push(await recordDelivery(phone.page, "siti", { kg: "12", quality: "50", price: "12000" }));
  });

  it("syncs both phones at once: everything once, in order; the tampered request is refused and does not block the rest", async function () {
    const [a, b] = phones;
    // Phone B works offline too: its own farmer, plot and three deliveries.
    await b!.context.setOffline(true);
    await b!.context.setGeolocation({ latitude: -0.9213456, longitude: 120.1334567, accuracy: 9 });
    await registerFarmerWithPlot(b!.page, { name: "Budi Santoso", village: "Kasimbar" }, { areaHa: "2", province: "Sulawesi Tengah", district: "Parigi Moutong" });
    // Budi's second plot, 6 ha, is too large for a point: the agent walks its boundary (the GPS moving with them).
    await walkBoundary(b!.page, b!.context);
    await b!.page.locator("header button").click(); // back to the list
    await b!.page.locator("header button").click(); // home
    for (let i = 0; i < 3; i++) {
      await recordDelivery(b!.page, "kasimbar", { kg: `${20 + i}`, quality: "52", price: "12500" });
    }
    await Promise.all([a!.context.setOffline(false), b!.context.setOffline(false)]);
    await Promise.all([syncNow(a!.page), syncNow(b!.page)]);

    const statusesA = await queueStatuses(a!.page);
    const refused = statusesA.filter((item) => item.status === "refused");
    expect(refused.map((item) => item.reason).join(" | ")).to.contain("ERC2771ForwarderInvalidSigner");
    expect(refused, JSON.stringify(statusesA.slice(0, 5))).to.have.length(2); // the tampered batch and its delivery's payment
    expect(statusesA.filter((item) => item.status === "done")).to.have.length(statusesA.length - 2);
    expect((await queueStatuses(b!.page)).every((item) => item.status === "done")).to.equal(true);

    // The chain: phone A's deliveries, minted once each, in the order recorded (the tampered one not at all).
    await running.gateway.indexer.waitForBlock(await running.gateway.governor!.provider!.getBlockNumber());
    const addresses = await Promise.all(phones.map((phone) => phone.page.evaluate(() => new Promise<string>((resolve) => {
      const open = indexedDB.open("firstmile-field");
      open.onsuccess = () => { const get = open.result.transaction("meta").objectStore("meta").get("device"); get.onsuccess = () => resolve(get.result.address); };
    }))));
    const lotsOf = async (address: string) =>
      (await running.gateway.db.query<{ grams: string; origin: string; metadata: string }>("select grams::text as grams, origin, metadata from lots where lower(creator) = lower($1) order by lot_id", [address])).rows;
    const lotsA = await lotsOf(addresses[0]!);
    const expectedGrams = [...entries.map((entry) => String(Math.round(Number(entry.kg.replace(",", ".")) * 1000))), "12000"];
    expect(lotsA.map((lot) => lot.grams)).to.deep.equal(expectedGrams);
    expect((await lotsOf(addresses[1]!)).map((lot) => lot.grams)).to.deep.equal(["20000", "21000", "22000"]);
    // Both of A's batches as its own requests: nonces 0 and 1 used (the refused one's nonce went to the next batch).
    const nonce = await running.gateway.governor!.provider!.call({ to: running.gateway.chain.deployments.contracts.Forwarder!.address, data: forwarderInterface.encodeFunctionData("nonces", [addresses[0]!]) });
    expect(BigInt(nonce)).to.equal(2n);

    // The private records: the farmer and plot under the phone's ids, the plot's commitment the lots' origin, a payment per delivery.
    const plots = (await running.gateway.db.query<{ commitment: string; geometry: any; area_m2: string }>("select commitment, geometry, area_m2::text from origin_plots where member_id = $1", [cooperative.memberId])).rows;
    expect(plots).to.have.length(3); // A's point, B's point, B's walked boundary
    const shape = (plot: { geometry: any }) => (typeof plot.geometry === "string" ? JSON.parse(plot.geometry) : plot.geometry);
    const coordinates = (plot: { geometry: any }) => shape(plot).coordinates;
    const walked = plots.filter((plot) => shape(plot).type === "Polygon");
    expect(walked).to.have.length(1);
    // The gateway's own area of the ring the phone simplified: the 6 ha walked, within the GPS noise.
    expect(Number(walked[0]!.area_m2) / 10_000).to.be.closeTo(6, 0.15);
    // The GPS fix, to the six decimals (about 0.1 m) the EUDR asks for.
    const sixDecimals = (value: number) => Math.round(value * 1e6) / 1e6;
    const plotA = plots.find((plot) => coordinates(plot)[0] === sixDecimals(PHONE_GPS.longitude) && coordinates(plot)[1] === sixDecimals(PHONE_GPS.latitude));
    expect(plotA, JSON.stringify(plots.map(coordinates))).to.not.equal(undefined);
    // The commitment the phone computed offline is the one the gateway stored.
    expect(new Set(lotsA.map((lot) => lot.origin.toLowerCase()))).to.deep.equal(new Set([plotA!.commitment.toLowerCase()]));
    const payments = await api().get("/v1/payments");
    expect(payments.status).to.equal(200);
    expect(payments.body.payments).to.have.length(24);

    // A phone sending its records again (an answer lost on a bad line): each answered as the first
    // time, nothing recorded twice.
    const sentBefore = await a!.page.evaluate(
      () =>
        new Promise<Array<{ message: string; signature: string; result: { id: string } }>>((resolve) => {
          const open = indexedDB.open("firstmile-field");
          open.onsuccess = () => {
            const all = open.result.transaction("queue").objectStore("queue").getAll();
            all.onsuccess = () => resolve((all.result as Array<{ type: string; status: string; message: string; signature: string; result: { id: string } }>).filter((item) => item.type === "record" && item.status === "done").slice(0, 5));
          };
        }),
    );
    const again = await client(running.gateway.url, await a!.page.evaluate(() => new Promise<string>((resolve) => {
      const open = indexedDB.open("firstmile-field");
      open.onsuccess = () => { const get = open.result.transaction("meta").objectStore("meta").get("device"); get.onsuccess = () => resolve(get.result.apiToken); };
    }))).post("/v1/field/records/batch", { records: sentBefore.map(({ message, signature }) => ({ message, signature })) });
    expect(again.status).to.equal(200);
    expect(again.body.results.map((result: { status: number; body: { id: string; replayed: boolean } }) => [result.status, result.body.id, result.body.replayed])).to.deep.equal(sentBefore.map((item) => [200, item.result.id, true]));
    expect((await api().get("/v1/payments")).body.payments).to.have.length(24);

    // Phone B's farmer list now holds phone A's farmer too: found by village with no signal.
    await b!.context.setOffline(true);
    await b!.page.locator("header button").click();
    await b!.page.getByTestId("farmers").click();
    await b!.page.getByTestId("search").fill("tinombo");
    await b!.page.getByTestId("farmer-list").getByText("Siti Rahmawati").waitFor();
    expect(await b!.page.getByTestId("farmer-list").innerText()).to.contain("Tinombo");

    // Siti shows her card to phone B's camera: the app reads its QR code (jsQR on the frames: this
    // Chromium has no BarcodeDetector) and opens her, offline.
    const card = await api().get("/v1/farmers?limit=50");
    const siti = (card.body.farmers as Array<{ name: string; code: string }>).find((farmer) => farmer.name === "Siti Rahmawati")!;
    expect(siti.code).to.match(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    writeCameraVideo(path.join(b!.dir, "camera.y4m"), siti.code);
    await b!.page.getByTestId("scan-card").click();
    await b!.page.locator("header h1", { hasText: "Siti Rahmawati" }).waitFor({ timeout: 30_000 });
    expect(await b!.page.locator("main p.muted").innerText()).to.contain(siti.code);
  });
});

/** Changes the grams of the last queued batch in IndexedDB, keeping its signature: what a tampered phone would send. */
async function tamperLastBatch(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open("firstmile-field");
        open.onsuccess = () => {
          const tx = open.result.transaction("queue", "readwrite");
          const store = tx.objectStore("queue");
          const all = store.getAll();
          all.onsuccess = () => {
            const batch = (all.result as Array<{ type: string; request: { data: string } }>).filter((item) => item.type === "forward").pop()!;
            // The grams word of the one delivery: 10 kg becomes 90 kg.
            const data = batch.request.data;
            const at = 2 + 8 + 64 * 3;
            const grams = BigInt(`0x${data.slice(at, at + 64)}`) * 9n;
            batch.request.data = data.slice(0, at) + grams.toString(16).padStart(64, "0") + data.slice(at + 64);
            store.put(batch);
          };
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        };
      }),
  );
}

/**
 * On the farmer's screen: walks round a 300 m × 200 m plot with the phone (the mocked GPS moved
 * every few metres of the way, with a little noise), checks the area the phone shows and saves
 * the boundary; back on the farmer's screen.
 */
async function walkBoundary(page: Page, context: BrowserContext): Promise<void> {
  const [lat0, lon0] = [-0.9301234, 120.1401234];
  // The agent stands at the plot's first corner when they start.
  await context.setGeolocation({ latitude: lat0, longitude: lon0, accuracy: 4 });
  await page.getByTestId("walk-boundary").click();
  await page.getByTestId("walk-toggle").click();
  const metre = 1 / 111_195;
  const metreLon = metre / Math.cos((lat0 * Math.PI) / 180);
  const corners = [[0, 0], [300, 0], [300, 200], [0, 200], [0, 0]];
  const walk: Array<[number, number]> = [];
  for (let side = 0; side < 4; side++) {
    const [[x0, y0], [x1, y1]] = [corners[side]!, corners[side + 1]!];
    for (let step = 0; step < 4; step++) walk.push([x0! + ((x1! - x0!) * step) / 4 + (step % 2) * 0.4, y0! + ((y1! - y0!) * step) / 4 - (step % 2) * 0.4]);
  }
  walk.push([0.3, 0.2]); // back where the walk started
  for (const [index, [x, y]] of walk.entries()) {
    await context.setGeolocation({ latitude: lat0 + y * metre, longitude: lon0 + x * metreLon, accuracy: 4 });
    await page.waitForFunction((count) => Number(document.querySelector("[data-testid=walk]")?.getAttribute("data-fixes")) >= count, index + 1);
  }
  await page.getByTestId("walk-toggle").click(); // finish
  expect(await page.getByTestId("walk").innerText()).to.match(/ 4 sudut · Luas 6,0\d ha$/);
  expect(await page.getByTestId("walk-issues").innerText()).to.equal("");
  await page.getByTestId("save-boundary").click();
  await page.getByTestId("plot-list").locator("li").nth(1).waitFor();
  expect(await page.getByTestId("plot-list").innerText()).to.match(/6,0\d ha/);
}

/**
 * The receipt on screen printed on both layouts (window.print stubbed: headless Chromium has no
 * dialog): in print media only the sheet shows, 48 mm wide on the thermal roll, and the PDF
 * Chromium prints has the layout's paper size (58 mm roll; A6, 105 × 148 mm).
 */
async function checkPrintedReceipt(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { printed: number }).printed = 0;
    window.print = () => void (window as unknown as { printed: number }).printed++;
  });
  const code = await page.getByTestId("receipt-code").innerText();
  const mm = (points: number) => Math.round((points / 72) * 25.4);
  const pageSize = async () => {
    const pdf = (await page.pdf({ preferCSSPageSize: true })).toString("latin1");
    const box = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/.exec(pdf)!;
    return [mm(Number(box[1])), mm(Number(box[2]))];
  };
  await page.getByTestId("print-58mm").click();
  expect(await page.evaluate(() => (window as unknown as { printed: number }).printed)).to.equal(1);
  await page.emulateMedia({ media: "print" });
  try {
    const sheet = page.getByTestId("print-sheet");
    expect(await sheet.isVisible()).to.equal(true);
    expect(await page.getByTestId("done").isVisible()).to.equal(false);
    expect(await page.getByTestId("receipt").isVisible()).to.equal(false);
    // 48 mm printable at 96 px an inch.
    expect((await sheet.boundingBox())!.width).to.be.closeTo((48 / 25.4) * 96, 1);
    const text = (await sheet.innerText()).replace(/\s/g, " ");
    expect(text).to.contain("Rp 506.750,00").and.contain(code).and.contain("Kuitansi");
    // The receipt names no farmer.
    expect(text).to.not.contain("Siti");
    expect(await pageSize()).to.deep.equal([58, 160]);
    await page.emulateMedia({ media: "screen" });
    await page.getByTestId("print-a6").click();
    await page.emulateMedia({ media: "print" });
    expect(await pageSize()).to.deep.equal([105, 148]);
    expect((await sheet.boundingBox())!.width).to.be.closeTo((89 / 25.4) * 96, 1);
  } finally {
    await page.emulateMedia({ media: "screen" });
  }
  expect(await page.getByTestId("print-sheet").isVisible()).to.equal(false);
}

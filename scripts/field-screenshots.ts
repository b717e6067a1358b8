/**
 * `npm run screenshots:field`: each screen of the field app in Bahasa Indonesia on a 360 px phone,
 * as small PNGs in docs/screenshots/ (docs/field-app.md shows them). Starts its own gateway on a
 * fresh data dir with a cooperative, enrols an emulated phone, and walks a morning: a farmer, a
 * GPS point plot, a delivery and its receipt, the sync.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { PNG } from "pngjs";
import UPNG from "upng-js";
import { loadConfig } from "../src/config";
import { sendControlCommand } from "../src/gateway/controlSocket";
import { startGateway } from "../src/gateway/startGateway";
import { fill, openPhone, syncNow } from "../test/e2e/fieldPhone";
import { freePort } from "../test/helpers/ports";

const OUT = path.join(__dirname, "..", "docs", "screenshots");
const COLOURS = 48;

async function shoot(page: Page, name: string): Promise<void> {
  // From the top, nothing focused: the sticky header where a reader sees it.
  await page.evaluate(() => {
    (document.activeElement as HTMLElement | null)?.blur();
    window.scrollTo(0, 0);
  });
  const png = PNG.sync.read(await page.screenshot({ type: "png", fullPage: true }));
  const rgba = new Uint8Array(png.data).buffer;
  fs.writeFileSync(path.join(OUT, `field-${name}-id.png`), Buffer.from(UPNG.encode([rgba], png.width, png.height, COLOURS)));
  console.log(`docs/screenshots/field-${name}-id.png`);
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-field-screens-"));
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-field-phone-"));
  const env = { FIRSTMILE_DATA_DIR: dataDir, FIRSTMILE_PORT: String(await freePort()), FIRSTMILE_CHAIN_PORT: String(await freePort()), FIRSTMILE_LOG_LEVEL: "warn" };
  const gateway = await startGateway({ config: loadConfig({ env, argv: [], cwd: dataDir }), log: () => {} });
  const { context, page } = await openPhone(profile, { locale: "id-ID" });
  try {
    await page.emulateMedia({ reducedMotion: "reduce" });
    const added = (await sendControlCommand(gateway.controlSocket!, "POST", "/members", { roles: ["cooperative"], country: "ID", custodialAccounts: 1 }))!.body as { token: string };
    const answer = await fetch(`${gateway.url}/v1/field/enrolments`, { method: "POST", headers: { authorization: `Bearer ${added.token}`, "content-type": "application/json" }, body: JSON.stringify({ label: "Agen lapangan" }) });
    const { token } = (await answer.json()) as { token: string };
    await page.goto(`${gateway.url}/field/#enrol=${token}`);
    await fill(page, { pin: "4821", pin2: "4821" });
    await shoot(page, "1-enrol");
    await page.getByTestId("enrol").click();
    await page.getByTestId("new-delivery").waitFor();
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await context.setOffline(true);
    await page.reload();
    await fill(page, { pin: "4821" });
    await shoot(page, "2-unlock");
    await page.getByTestId("unlock").click();
    await page.getByTestId("farmers").click();
    await page.getByTestId("register-farmer").click();
    await fill(page, { name: "Siti Rahmawati", village: "Tinombo", phone: "0812 3456 7890", gender: "female" });
    await shoot(page, "3-farmer");
    await page.getByTestId("save-farmer").click();
    await page.getByTestId("add-plot").click();
    await page.getByTestId("get-gps").click();
    await page.locator("[data-testid=save-plot]:not([disabled])").waitFor();
    await fill(page, { area: "1,5", country: "ID", province: "Sulawesi Tengah", district: "Parigi Moutong" });
    await shoot(page, "4-plot");
    await page.getByTestId("save-plot").click();
    await page.getByTestId("deliver").waitFor();
    // A second plot walked round (the GPS moved along a 300 m × 200 m boundary).
    const [lat0, lon0, metre] = [-0.9301234, 120.1401234, 1 / 111_195];
    await context.setGeolocation({ latitude: lat0, longitude: lon0, accuracy: 4 });
    await page.getByTestId("walk-boundary").click();
    await page.getByTestId("walk-toggle").click();
    const corners = [[0, 0], [150, 0], [300, 0], [300, 100], [300, 200], [150, 200], [0, 200], [0, 100], [0.4, 0.3]];
    for (const [index, [x, y]] of corners.entries()) {
      await context.setGeolocation({ latitude: lat0 + y! * metre, longitude: lon0 + (x! * metre) / Math.cos((lat0 * Math.PI) / 180), accuracy: 4 });
      await page.waitForFunction((count) => Number(document.querySelector("[data-testid=walk]")?.getAttribute("data-fixes")) >= count, index + 1);
    }
    await page.getByTestId("walk-toggle").click();
    await shoot(page, "11-walk");
    await page.getByTestId("save-boundary").click();
    await page.getByTestId("plot-list").locator("li").nth(1).waitFor();
    await shoot(page, "5-farmer-plots");
    await page.getByTestId("deliver").click();
    await fill(page, { form: "1", kg: "42,5", quality: "55", price: "12500", basis: "wet", deduction: "500", premium: "1000" });
    await shoot(page, "6-delivery");
    await page.getByTestId("record").click();
    await page.getByTestId("receipt-code").waitFor();
    await shoot(page, "7-receipt");
    // The receipt as printed on a 58 mm roll (the print dialog left out).
    await page.evaluate(() => (window.print = () => undefined));
    await page.getByTestId("print-58mm").click();
    await page.emulateMedia({ media: "print", reducedMotion: "reduce" });
    await shoot(page, "12-print-58mm");
    await page.emulateMedia({ media: "screen", reducedMotion: "reduce" });
    await page.getByTestId("done").click();
    await page.getByTestId("new-delivery").waitFor();
    await shoot(page, "8-home-offline");
    await page.getByTestId("farmers").click();
    await page.getByTestId("search").fill("tino");
    await shoot(page, "9-search");
    await page.locator("header button").click();
    await context.setOffline(false);
    await syncNow(page);
    await shoot(page, "10-sync");
  } finally {
    await context.close();
    await gateway.stop();
    fs.rmSync(profile, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

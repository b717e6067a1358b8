import fs from "node:fs";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import QRCode from "qrcode";
import { findChromium, PHONE_VIEWPORT } from "./browser";

/**
 * A field agent's phone for the field app's tests and benchmark: Chromium with a persistent
 * profile (IndexedDB and the service worker survive closing it), a 360 px touch screen, the
 * agent's language and a mocked GPS fix.
 */
export const PHONE_GPS = { latitude: -0.9123456, longitude: 120.1234567, accuracy: 6 };

export async function openPhone(profileDir: string, options: { offline?: boolean; locale?: string; bypassCSP?: boolean; camera?: string } = {}): Promise<{ context: BrowserContext; page: Page }> {
  // A camera that films `camera` (a .y4m video, see writeCameraVideo), written before the app opens it.
  const camera = options.camera ? ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", `--use-file-for-fake-video-capture=${options.camera}`] : [];
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: findChromium(),
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", ...camera],
    viewport: PHONE_VIEWPORT,
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 2,
    locale: options.locale ?? "id-ID",
    geolocation: PHONE_GPS,
    permissions: options.camera ? ["geolocation", "camera"] : ["geolocation"],
    offline: options.offline ?? false,
    bypassCSP: options.bypassCSP ?? false,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}

/**
 * Fills the named inputs of the form on screen (by `name`) at once, as the browser does when the
 * agent types or picks: the value set, then `input` and `change` events (these tests are not about typing).
 */
export async function fill(page: Page, values: Record<string, string>): Promise<void> {
  await page.locator(`[name="${Object.keys(values)[0]}"]`).waitFor();
  await page.evaluate((entries) => {
    for (const [name, value] of entries) {
      const input = document.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`);
      if (!input) throw new Error(`no input named ${name}`);
      if (input instanceof HTMLSelectElement && ![...input.options].some((option) => option.value === value)) throw new Error(`no option ${value} in ${name}`);
      input.value = value;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }, Object.entries(values));
}

export async function enrolPhone(page: Page, url: string, pin: string): Promise<void> {
  await page.goto(url);
  await fill(page, { pin, pin2: pin });
  await page.getByTestId("enrol").click();
  await page.getByTestId("new-delivery").waitFor();
  // The app shell is cached once the service worker is active.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
}

export async function unlock(page: Page, pin: string): Promise<void> {
  await fill(page, { pin });
  await page.getByTestId("unlock").click();
  await page.getByTestId("new-delivery").waitFor();
}

export async function registerFarmerWithPlot(page: Page, farmer: { name: string; village: string }, plot: { areaHa: string; province: string; district: string }): Promise<void> {
  await page.getByTestId("farmers").click();
  await page.getByTestId("register-farmer").click();
  await fill(page, { name: farmer.name, village: farmer.village });
  await page.getByTestId("save-farmer").click();
  await page.getByTestId("add-plot").click();
  await page.getByTestId("get-gps").click();
  await page.locator("[data-testid=save-plot]:not([disabled])").waitFor();
  await fill(page, { area: plot.areaHa, country: "ID", province: plot.province, district: plot.district });
  await page.getByTestId("save-plot").click();
  await page.getByTestId("deliver").waitFor();
}

export type DeliveryEntry = { kg: string; quality: string; price: string; basis?: "wet" | "dry"; deduction?: string; premium?: string; form?: string };

/** From the home screen: finds the farmer by search, records a delivery, answers the receipt's code and amount, back home. */
export async function recordDelivery(page: Page, search: string, entry: DeliveryEntry, onReceipt?: (page: Page) => Promise<void>): Promise<{ code: string; amount: string }> {
  await page.getByTestId("new-delivery").click();
  await page.getByTestId("search").fill(search);
  await page.getByTestId("farmer-list").locator("button").first().click();
  await page.getByTestId("deliver").click();
  await fill(page, { form: entry.form ?? "1", kg: entry.kg, quality: entry.quality, price: entry.price, basis: entry.basis ?? "wet", deduction: entry.deduction ?? "", premium: entry.premium ?? "" });
  await page.getByTestId("record").click();
  // The receipt is drawn hidden while the delivery is stored, and shown once it is: read before
  // that, its text is empty (innerText is what is shown).
  await page.getByTestId("receipt-code").waitFor({ state: "visible" });
  const code = await page.getByTestId("receipt-code").innerText();
  const amount = await page.getByTestId("receipt-amount").innerText();
  await onReceipt?.(page);
  await page.getByTestId("done").click();
  await page.getByTestId("new-delivery").waitFor();
  return { code, amount };
}

/** Opens the sync screen, syncs, and waits until nothing is waiting or sent. */
export async function syncNow(page: Page, timeoutMs = 120_000): Promise<void> {
  await page.getByTestId("sync").click();
  await page.getByTestId("sync-now").click();
  await page.waitForFunction(
    () => document.querySelector("[data-testid=queue]") !== null && document.querySelectorAll("[data-status=pending], [data-status=sent]").length === 0 && !document.querySelector("[data-testid=sync-now]")?.textContent?.includes("…"),
    undefined,
    { timeout: timeoutMs, polling: 200 },
  );
}

export async function queueStatuses(page: Page): Promise<Array<{ label: string; status: string; reason: string }>> {
  return page.locator("[data-testid=queue] li").evaluateAll((items) =>
    items.map((item) => ({ label: item.querySelector("span")?.textContent ?? "", status: item.getAttribute("data-status") ?? "", reason: item.querySelector("small")?.textContent ?? "" })),
  );
}

/** Closes the open deliveries into a batch (the home screen's button) and waits for the home screen to show it. */
export async function closeDay(page: Page): Promise<void> {
  const before = await page.getByTestId("pending").innerText();
  await page.getByTestId("close-day").click();
  await page.waitForFunction((text) => document.querySelector("[data-testid=pending]")?.textContent !== text, before);
}

/**
 * A camera's view of a card: a .y4m video (I420, 320 × 240, a few identical frames) of the QR code
 * of `text` on white, what Chromium's fake camera plays in a loop.
 */
export function writeCameraVideo(file: string, text: string): void {
  const [width, height, scale] = [320, 240, 5];
  const modules = QRCode.create(text, { errorCorrectionLevel: "M" }).modules;
  const size = modules.size * scale;
  const [left, top] = [Math.floor((width - size) / 2), Math.floor((height - size) / 2)];
  const luma = Buffer.alloc(width * height, 235);
  for (let row = 0; row < modules.size; row++)
    for (let col = 0; col < modules.size; col++)
      if (modules.get(row, col))
        for (let dy = 0; dy < scale; dy++) luma.fill(16, (top + row * scale + dy) * width + left + col * scale, (top + row * scale + dy) * width + left + (col + 1) * scale);
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), luma, chroma]);
  fs.writeFileSync(file, Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`), frame, frame, frame, frame, frame]));
}

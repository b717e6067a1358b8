import { chromium, type BrowserContext, type Page } from "playwright-core";
import { findChromium, PHONE_VIEWPORT } from "./browser";

/**
 * A field agent's phone for the field app's tests and benchmark: Chromium with a persistent
 * profile (IndexedDB and the service worker survive closing it), a 360 px touch screen, the
 * agent's language and a mocked GPS fix.
 */
export const PHONE_GPS = { latitude: -0.9123456, longitude: 120.1234567, accuracy: 6 };

export async function openPhone(profileDir: string, options: { offline?: boolean; locale?: string; bypassCSP?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: findChromium(),
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: PHONE_VIEWPORT,
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 2,
    locale: options.locale ?? "id-ID",
    geolocation: PHONE_GPS,
    permissions: ["geolocation"],
    offline: options.offline ?? false,
    bypassCSP: options.bypassCSP ?? false,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}

/** Fills the named inputs of the form on screen (by `name`). */
export async function fill(page: Page, values: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(values)) {
    const input = page.locator(`[name="${name}"]`);
    if ((await input.evaluate((element) => element.tagName)) === "SELECT") await input.selectOption(value);
    else await input.fill(value);
  }
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
export async function recordDelivery(page: Page, search: string, entry: DeliveryEntry): Promise<{ code: string; amount: string }> {
  await page.getByTestId("new-delivery").click();
  await page.getByTestId("search").fill(search);
  await page.getByTestId("farmer-list").locator("button").first().click();
  await page.getByTestId("deliver").click();
  await fill(page, { form: entry.form ?? "1", kg: entry.kg, quality: entry.quality, price: entry.price, basis: entry.basis ?? "wet", deduction: entry.deduction ?? "", premium: entry.premium ?? "" });
  await page.getByTestId("record").click();
  const code = await page.getByTestId("receipt-code").innerText();
  const amount = await page.getByTestId("receipt-amount").innerText();
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

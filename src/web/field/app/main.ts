import { closeDay, enrol, recordDelivery, registerBoundaryPlot, registerFarmer, registerPointPlot } from "./actions";
import { boundaryOf, type Fix } from "./boundary";
import { printReceipt, printSheet, type PrintLayout } from "./print";
import { qrSvg } from "./qr";
import type * as Scanner from "./scan";
import { amountToPay, ORIGIN_FORMS, type Delivery, type PriceBasis } from "./deliveries";
import { formatMoney, formatNumber, formatTime, LANGUAGES, pickLanguage, WORDS, type Language, type Words } from "./i18n";
import { openKey } from "./pinVault";
import { markPhase, phasesMarked } from "./phases";
import { signMessage } from "./signing";
import { counts, getDevice, openStore, type Device, type FieldStore, type QueueItem } from "./store";
import { OfflineError, sync, type SyncProgress } from "./sync";
import { field, h, mount, valueOf } from "./view";

/**
 * The field app: enrol → unlock with the PIN → home (new delivery, farmers, sync). Every screen is
 * a function that returns a node; `show` renders one. The unlocked key lives only in this page's
 * memory; IndexedDB holds it sealed under the PIN.
 */
type State = { db: FieldStore; device: Device | null; key: Uint8Array | null; language: Language; w: Words; farmerId: string | null; syncing: boolean; progress: SyncProgress | null; message: string | null };

const root = document.getElementById("app")!;
let state: State;

function setLanguage(language: Language) {
  state.language = language;
  state.w = WORDS[language];
  localStorage.setItem("language", language);
  document.documentElement.lang = language;
}

function show(screen: () => Node | Promise<Node>) {
  Promise.resolve(screen()).then((node) => mount(root, node));
}

function bar(title: string, back?: () => void): HTMLElement {
  return h(
    "header",
    { class: "bar" },
    back ? h("button", { class: "back", type: "button", onclick: back, "aria-label": state.w.back }, "←") : null,
    h("h1", null, title),
    h("span", { class: navigator.onLine ? "net on" : "net off", "data-testid": "net" }, navigator.onLine ? "●" : "○"),
  );
}

function button(label: string, onclick: () => void, kind = "primary", testid?: string) {
  return h("button", { type: "button", class: `big ${kind}`, onclick, "data-testid": testid }, label);
}

const minor = (value: string, units: number) => Math.round(Number(value.replace(",", ".") || "0") * 10 ** units);

// --- enrol and unlock -----------------------------------------------------------------------

function enrolScreen(): Node {
  const w = state.w;
  const token = new URLSearchParams(location.hash.slice(1)).get("enrol") ?? "";
  const form = h(
    "form",
    { class: "stack", onsubmit: (event: Event) => void submit(event) },
    h("p", null, w.enrolHelp),
    field(w.enrolToken, h("input", { name: "token", value: token, required: true, autocomplete: "off" })),
    field(w.pin, h("input", { name: "pin", type: "password", inputmode: "numeric", minlength: 4, required: true, autocomplete: "new-password", autofocus: !!token })),
    field(w.pinAgain, h("input", { name: "pin2", type: "password", inputmode: "numeric", minlength: 4, required: true, autocomplete: "new-password" })),
    h("p", { class: "error", role: "alert" }, state.message ?? ""),
    h("button", { type: "submit", class: "big primary", "data-testid": "enrol" }, w.enrol),
    languagePicker(),
  );
  async function submit(event: Event) {
    event.preventDefault();
    if (valueOf(form, "pin") !== valueOf(form, "pin2")) return fail(w.pinMismatch);
    form.querySelector("button[type=submit]")!.textContent = w.enrolling;
    try {
      const { device, secretKey } = await enrol(state.db, valueOf(form, "token"), valueOf(form, "pin"));
      state.device = device;
      state.key = secretKey;
      state.message = null;
      history.replaceState(null, "", location.pathname);
      show(homeScreen);
    } catch (error) {
      fail((error as Error).message);
    }
  }
  function fail(message: string) {
    state.message = message;
    show(enrolScreen);
  }
  return h("main", null, bar(w.enrolTitle), form);
}

function unlockScreen(): Node {
  const w = state.w;
  const form = h(
    "form",
    { class: "stack", onsubmit: (event: Event) => void submit(event) },
    h("p", { class: "muted" }, state.device!.address),
    field(w.pin, h("input", { name: "pin", type: "password", inputmode: "numeric", required: true, autofocus: true, autocomplete: "current-password" })),
    h("p", { class: "error", role: "alert" }, state.message ?? ""),
    h("button", { type: "submit", class: "big primary", "data-testid": "unlock" }, w.unlock),
    languagePicker(),
  );
  async function submit(event: Event) {
    event.preventDefault();
    const key = await openKey(state.device!.sealedKey, valueOf(form, "pin"));
    state.message = key ? null : w.wrongPin;
    state.key = key;
    // The first signature builds the curve's precomputed tables: here, not at the first delivery.
    if (key) signMessage("warm-up", key);
    show(key ? homeScreen : unlockScreen);
  }
  return h("main", null, bar(w.unlockTitle), form);
}

function languagePicker(): Node {
  const select = h(
    "select",
    { name: "language", "aria-label": state.w.language, onchange: (event: Event) => { setLanguage((event.target as HTMLSelectElement).value as Language); show(state.key ? homeScreen : state.device ? unlockScreen : enrolScreen); } },
    ...Object.entries(LANGUAGES).map(([code, name]) => h("option", { value: code, selected: code === state.language }, name)),
  );
  return field(state.w.language, select);
}

// --- home ---------------------------------------------------------------------------------------

async function homeScreen(): Promise<Node> {
  const w = state.w;
  const counted = await counts(state.db, new Date().toISOString().slice(0, 10));
  const pending = counted.pending + counted.open;
  const todays = counted.today;
  return h(
    "main",
    null,
    bar(w.title),
    h("p", { class: navigator.onLine ? "status on" : "status off" }, navigator.onLine ? w.online : w.offline),
    h(
      "dl",
      { class: "counts" },
      h("div", null, h("dt", null, w.today), h("dd", { "data-testid": "today" }, formatNumber(state.language, todays))),
      h("div", null, h("dt", null, w.pending), h("dd", { "data-testid": "pending" }, formatNumber(state.language, pending))),
    ),
    h(
      "nav",
      { class: "stack" },
      button(w.newDelivery, () => show(farmersScreen), "primary", "new-delivery"),
      button(w.farmers, () => show(farmersScreen), "secondary", "farmers"),
      button(w.closeDay, () => void closeDay(state.db, state.key!).then(() => show(homeScreen)), "secondary", "close-day"),
      button(`${w.sync} (${formatNumber(state.language, pending)})`, () => show(syncScreen), "secondary", "sync"),
    ),
    languagePicker(),
  );
}

// --- farmers and plots ----------------------------------------------------------------------------

async function farmersScreen(query = ""): Promise<Node> {
  const w = state.w;
  const all = await state.db.getAll("farmers");
  const needle = query.toLowerCase();
  const found = all.filter((f) => !needle || f.name.toLowerCase().includes(needle) || f.village.toLowerCase().includes(needle) || (f.code ?? "").toLowerCase().replace(/-/g, "").includes(needle.replace(/-/g, ""))).sort((a, b) => a.name.localeCompare(b.name)).slice(0, 50);
  const list = h(
    "ul",
    { class: "list", "data-testid": "farmer-list" },
    ...found.map((farmer) => h("li", null, h("button", { type: "button", class: "row", onclick: () => { state.farmerId = farmer.id; show(farmerScreen); } }, h("strong", null, farmer.name), h("span", null, farmer.village)))),
  );
  const search = h("input", { type: "search", name: "q", value: query, placeholder: w.search, "aria-label": w.search, autofocus: true, "data-testid": "search" });
  search.addEventListener("input", () => {
    const value = (search as HTMLInputElement).value;
    void farmersScreen(value).then((node) => {
      const fresh = (node as HTMLElement).querySelector("[data-testid=farmer-list]")!;
      list.replaceWith(fresh);
    });
  });
  return h(
    "main",
    null,
    bar(w.farmers, () => show(homeScreen)),
    h("div", { class: "stack" }, search, button(w.scanCard, () => show(scanScreen), "secondary", "scan-card"), button(w.registerFarmer, () => show(newFarmerScreen), "secondary", "register-farmer"), list),
  );
}

let scanner: Promise<typeof Scanner> | null = null;
/** The card scanner's script (scan.js, kept by the service worker like the app's), added once. */
function loadScanner(): Promise<typeof Scanner> {
  scanner ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "./scan.js";
    script.onload = () => resolve((globalThis as unknown as { firstmileScan: typeof Scanner }).firstmileScan);
    script.onerror = () => {
      scanner = null;
      reject(new Error("scanner not loaded"));
    };
    document.head.appendChild(script);
  });
  return scanner;
}

/** The farmer's card QR code through the camera: the farmer it names (by card code), found offline. */
function scanScreen(): Node {
  const w = state.w;
  const stop = new AbortController();
  const video = h("video", { class: "camera", "aria-label": w.scanHelp, "data-testid": "camera" }) as HTMLVideoElement;
  const status = h("p", { role: "status", "data-testid": "scan-status" }, w.scanHelp);
  void loadScanner()
    .then((scanner) => scanner.scanCard(video, stop.signal))
    .then(
    async (code) => {
      if (!code) return;
      const match = (await state.db.getAll("farmers")).filter((farmer) => (farmer.code ?? "").replace(/-/g, "").toUpperCase() === code);
      if (match.length === 1) {
        state.farmerId = match[0]!.id;
        show(farmerScreen);
      } else {
        status.textContent = `${w.unknownCard}: ${code.slice(0, 4)}-${code.slice(4)}`;
      }
    },
    () => (status.textContent = w.cameraFailed),
  );
  return h("main", null, bar(w.scanCard, () => { stop.abort(); show(farmersScreen); }), h("div", { class: "stack" }, video, status));
}

function newFarmerScreen(): Node {
  const w = state.w;
  const form = h(
    "form",
    { class: "stack", onsubmit: (event: Event) => void submit(event) },
    field(w.name, h("input", { name: "name", required: true, autofocus: true, maxlength: 120 })),
    field(w.village, h("input", { name: "village", maxlength: 120 })),
    field(w.phone, h("input", { name: "phone", type: "tel", maxlength: 30 })),
    field(w.gender, h("select", { name: "gender" }, h("option", { value: "" }, "—"), h("option", { value: "female" }, w.female), h("option", { value: "male" }, w.male), h("option", { value: "other" }, w.other))),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "consent", checked: true }), h("span", null, w.consent)),
    h("button", { type: "submit", class: "big primary", "data-testid": "save-farmer" }, w.save),
  );
  async function submit(event: Event) {
    event.preventDefault();
    state.farmerId = await registerFarmer(state.db, state.key!, { name: valueOf(form, "name"), village: valueOf(form, "village"), phone: valueOf(form, "phone"), gender: valueOf(form, "gender"), language: state.language, consent: form.querySelector<HTMLInputElement>("[name=consent]")!.checked });
    show(farmerScreen);
  }
  return h("main", null, bar(w.registerFarmer, () => show(farmersScreen)), form);
}

async function farmerScreen(): Promise<Node> {
  const w = state.w;
  const farmer = (await state.db.get("farmers", state.farmerId!))!;
  const plots = await state.db.getAllFromIndex("plots", "farmer", farmer.id);
  return h(
    "main",
    null,
    bar(farmer.name, () => show(farmersScreen)),
    h("p", { class: "muted" }, farmer.village, farmer.code ? ` · ${farmer.code}` : ""),
    h("h2", null, w.plots),
    h(
      "ul",
      { class: "list", "data-testid": "plot-list" },
      ...plots.map((plot) => h("li", null, plot.latitude !== null ? `${formatNumber(state.language, plot.latitude, 6)}, ${formatNumber(state.language, plot.longitude!, 6)}` : plot.id, plot.areaHa ? ` · ${formatNumber(state.language, plot.areaHa, 2)} ha` : "", plot.accuracyM !== null ? ` · ±${formatNumber(state.language, plot.accuracyM)} m` : "")),
    ),
    h(
      "nav",
      { class: "stack" },
      plots.length > 0 ? button(w.newDelivery, () => show(deliveryScreen), "primary", "deliver") : h("p", null, w.noPlot),
      button(w.addPlot, () => show(plotScreen), "secondary", "add-plot"),
      button(w.walkBoundary, () => show(walkScreen), "secondary", "walk-boundary"),
    ),
  );
}

function plotScreen(): Node {
  const w = state.w;
  const device = state.device!;
  let position: GeolocationPosition | null = null;
  const readout = h("p", { class: "gps", "data-testid": "gps", "aria-live": "polite" }, "—");
  const save = h("button", { type: "submit", class: "big primary", disabled: true, "data-testid": "save-plot" }, w.save);
  const error = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "stack", onsubmit: (event: Event) => void submit(event) },
    button(w.getGps, locate, "secondary", "get-gps"),
    readout,
    field(w.areaHa, h("input", { name: "area", inputmode: "decimal", required: true, value: "1" })),
    field(w.country, h("input", { name: "country", required: true, maxlength: 2, value: device.country })),
    field(w.province, h("input", { name: "province", required: true, value: device.province })),
    field(w.district, h("input", { name: "district", required: true, value: device.district })),
    error,
    save,
  );
  function locate() {
    readout.textContent = w.gpsWaiting;
    navigator.geolocation.getCurrentPosition(
      (found) => {
        position = found;
        readout.textContent = `${formatNumber(state.language, found.coords.latitude, 6)}, ${formatNumber(state.language, found.coords.longitude, 6)} · ${w.accuracy} ±${formatNumber(state.language, found.coords.accuracy)} m`;
        save.removeAttribute("disabled");
      },
      () => (readout.textContent = w.gpsFailed),
      { enableHighAccuracy: true, timeout: 30_000, maximumAge: 0 },
    );
  }
  async function submit(event: Event) {
    event.preventDefault();
    const areaHa = Number(valueOf(form, "area").replace(",", "."));
    if (!(areaHa > 0 && areaHa <= 4)) return void (error.textContent = w.pointTooLarge);
    await registerPointPlot(state.db, state.key!, {
      farmerId: state.farmerId!,
      latitude: position!.coords.latitude,
      longitude: position!.coords.longitude,
      accuracyM: Math.round(position!.coords.accuracy * 10) / 10,
      areaHa,
      country: valueOf(form, "country").toUpperCase(),
      province: valueOf(form, "province"),
      district: valueOf(form, "district"),
    });
    state.device = await getDevice(state.db);
    show(farmerScreen);
  }
  return h("main", null, bar(w.addPlot, () => show(farmerScreen)), form);
}

/**
 * A plot as the boundary the agent walks: GPS fixes while walking (watchPosition, and a fix every
 * few seconds besides, since a phone standing still may report nothing), simplified, the area and
 * the EUDR rules' verdict shown as they walk (boundary.ts); saved as a signed Polygon record.
 */
function walkScreen(): Node {
  const w = state.w;
  const device = state.device!;
  const fixes: Fix[] = [];
  let watch: number | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  const readout = h("p", { class: "gps", "data-testid": "walk", "aria-live": "polite" }, "—");
  const issues = h("p", { class: "error", role: "alert", "data-testid": "walk-issues" });
  const save = h("button", { type: "submit", class: "big primary", disabled: true, "data-testid": "save-boundary" }, w.save);
  const toggle = button(w.walkStart, () => (watch === null ? startWalking() : stopWalking()), "secondary", "walk-toggle");
  const redraw = () => {
    const boundary = boundaryOf(fixes);
    readout.dataset.fixes = String(fixes.length);
    readout.textContent = `${formatNumber(state.language, fixes.length)} ${w.fixes} · ${formatNumber(state.language, boundary.corners)} ${w.corners} · ${w.area} ${formatNumber(state.language, boundary.areaM2 / 10_000, 2)} ha`;
    issues.textContent = boundary.issues.join(" ");
    if (watch === null && boundary.issues.length === 0) save.removeAttribute("disabled");
    else save.setAttribute("disabled", "");
    return boundary;
  };
  const take = (found: GeolocationPosition) => {
    const fix = { longitude: found.coords.longitude, latitude: found.coords.latitude, accuracyM: Math.round(found.coords.accuracy * 10) / 10 };
    const last = fixes[fixes.length - 1];
    if (last && last.longitude === fix.longitude && last.latitude === fix.latitude) return;
    fixes.push(fix);
    redraw();
  };
  const options = { enableHighAccuracy: true, timeout: 30_000, maximumAge: 0 };
  function startWalking() {
    fixes.length = 0;
    watch = navigator.geolocation.watchPosition(take, () => (issues.textContent = w.gpsFailed), options);
    timer = setInterval(() => navigator.geolocation.getCurrentPosition(take, () => undefined, options), 3000);
    toggle.textContent = w.walkFinish;
    redraw();
  }
  function stopWalking() {
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    if (timer !== null) clearInterval(timer);
    watch = timer = null;
    toggle.textContent = w.walkStart;
    redraw();
  }
  const form = h(
    "form",
    { class: "stack", onsubmit: (event: Event) => void submit(event) },
    h("p", null, w.walkHelp),
    toggle,
    readout,
    field(w.country, h("input", { name: "country", required: true, maxlength: 2, value: device.country })),
    field(w.province, h("input", { name: "province", required: true, value: device.province })),
    field(w.district, h("input", { name: "district", required: true, value: device.district })),
    issues,
    save,
  );
  async function submit(event: Event) {
    event.preventDefault();
    stopWalking();
    const boundary = redraw();
    if (!boundary.geometry || boundary.issues.length > 0) return;
    await registerBoundaryPlot(state.db, state.key!, {
      farmerId: state.farmerId!,
      geometry: boundary.geometry,
      areaM2: boundary.areaM2,
      accuracyM: boundary.accuracyM,
      country: valueOf(form, "country").toUpperCase(),
      province: valueOf(form, "province"),
      district: valueOf(form, "district"),
    });
    state.device = await getDevice(state.db);
    show(farmerScreen);
  }
  return h("main", null, bar(w.walkBoundary, () => { stopWalking(); show(farmerScreen); }), form);
}

// --- deliveries ------------------------------------------------------------------------------------

async function deliveryScreen(): Promise<Node> {
  const w = state.w;
  const device = state.device!;
  const farmer = (await state.db.get("farmers", state.farmerId!))!;
  const plots = await state.db.getAllFromIndex("plots", "farmer", farmer.id);
  const total = h("output", { class: "total", "data-testid": "to-pay" }, "—");
  const units = device.minorUnits;
  const read = () => {
    const form = Number(valueOf(formEl, "form"));
    return {
      farmerId: farmer.id,
      plotId: valueOf(formEl, "plot"),
      form,
      grams: Math.round(Number(valueOf(formEl, "kg").replace(",", ".")) * 1000),
      qualityBps: Math.round(Number(valueOf(formEl, "quality").replace(",", ".") || "0") * 100),
      perKgMinor: minor(valueOf(formEl, "price"), units),
      basis: valueOf(formEl, "basis") as PriceBasis,
      deductionMinor: minor(valueOf(formEl, "deduction"), units),
      premiumMinor: minor(valueOf(formEl, "premium"), units),
    };
  };
  const update = () => {
    const input = read();
    total.textContent = input.grams > 0 ? formatMoney(state.language, amountToPay(input), device.currency, units) : "—";
  };
  const formEl = h(
    "form",
    { class: "stack", oninput: update, onsubmit: (event: Event) => void submit(event) },
    h("p", null, h("strong", null, farmer.name), " · ", farmer.village),
    field(w.plot, h("select", { name: "plot" }, ...plots.map((plot) => h("option", { value: plot.id }, plot.latitude !== null ? `${formatNumber(state.language, plot.latitude, 5)}, ${formatNumber(state.language, plot.longitude!, 5)}` : plot.id)))),
    field(w.form, h("select", { name: "form" }, ...ORIGIN_FORMS.map((form) => h("option", { value: form.id }, w[form.key])))),
    field(w.weightKg, h("input", { name: "kg", inputmode: "decimal", required: true, autofocus: true })),
    field(`${w.moisture} / ${w.drc}`, h("input", { name: "quality", inputmode: "decimal" })),
    field(`${w.pricePerKg} (${device.currency})`, h("input", { name: "price", inputmode: "decimal", required: true })),
    field(w.basis, h("select", { name: "basis" }, h("option", { value: "wet" }, w.basisWet), h("option", { value: "dry" }, w.basisDry))),
    field(w.deductions, h("input", { name: "deduction", inputmode: "decimal" })),
    field(w.premium, h("input", { name: "premium", inputmode: "decimal" })),
    h("p", { class: "pay" }, `${w.toPay}: `, total),
    h("button", { type: "submit", class: "big primary", "data-testid": "record" }, w.record),
  );
  async function submit(event: Event) {
    event.preventDefault();
    const started = performance.now();
    markPhase("field:record:tap", { startTime: event.timeStamp, detail: started });
    const input = read();
    const { delivery, stored } = recordDelivery(state.db, state.key!, input, { plot: plots.find((plot) => plot.id === input.plotId)!, device });
    // While IndexedDB commits, the receipt is made, off the page; it takes the form's place once the
    // delivery is stored, so the page is laid out and painted once. (Laid out hidden beside the form,
    // it cost a second layout and paint, and the commit's answer waited behind the first.)
    const receipt = receiptScreen(delivery, farmer.name);
    markPhase("field:record:built");
    await stored;
    markPhase("field:record:stored");
    if (page.isConnected) page.replaceWith(receipt);
    else mount(root, receipt); // the agent went elsewhere meanwhile: the receipt replaces that screen
    // Once the receipt is on screen: how long recording took, for the benchmark (bench/field.bench.ts).
    setTimeout(() => performance.measure("field:record", { start: started, end: performance.now() }), 0);
    if (phasesMarked()) requestAnimationFrame(() => setTimeout(() => markPhase("field:record:painted"), 0));
  }
  const page = h("main", null, bar(w.newDelivery, () => show(farmerScreen)), formEl);
  warmReceipt({ id: "d_", ...read(), origin: plots[0]!.commitment, currency: device.currency, minorUnits: units, recordedAt: new Date().toISOString(), metadata: `0x${"0".repeat(64)}`, shortCode: "0000-0000", amountMinor: 0, batchId: null }, farmer.name);
  return page;
}

/** A screen added hidden after the one on screen (`.preparing`, inert): laid out and drawn, never seen. */
function prepare(screen: HTMLElement): HTMLElement {
  screen.classList.add("preparing");
  screen.setAttribute("inert", "");
  return root.appendChild(screen);
}

let receiptWarm = false;
/**
 * Draws and lays out a sample receipt once, hidden, in the idle moment after the first delivery
 * form opens, then takes it away: the first receipt would otherwise cost several later ones while
 * the agent waits (the QR code's and the screen's code compiled on its first run, the date
 * formatter made, the receipt's fonts loaded and shaped).
 */
function warmReceipt(sample: Delivery, farmerName: string): void {
  if (receiptWarm) return;
  receiptWarm = true;
  const draw = () => {
    const sampleScreen = prepare(receiptScreen(sample, farmerName));
    for (const named of sampleScreen.querySelectorAll("[data-testid]")) named.removeAttribute("data-testid");
    requestAnimationFrame(() => setTimeout(() => sampleScreen.remove(), 0));
  };
  if (typeof requestIdleCallback === "function") requestIdleCallback(draw, { timeout: 2000 });
  else setTimeout(draw, 100);
}

function receiptScreen(delivery: Delivery, farmerName: string): HTMLElement {
  const w = state.w;
  const qr = h("div", { class: "qr", "aria-hidden": "true" });
  const qrMarkup = qrSvg(`firstmile:receipt:${delivery.shortCode}:${delivery.metadata}`);
  qr.innerHTML = qrMarkup;
  const form = ORIGIN_FORMS.find((f) => f.id === delivery.form)!;
  // The printed receipt is made when asked for: not on the record path.
  let sheet: HTMLElement | null = null;
  const print = (layout: PrintLayout) => {
    sheet ??= host.appendChild(printSheet(delivery, qrMarkup, state.language, w, w[form.key]));
    printReceipt(sheet, layout);
  };
  const host = h("div", { class: "print-sheet-host" });
  return h(
    "main",
    null,
    host,
    bar(w.receipt),
    h(
      "section",
      { class: "receipt", "data-testid": "receipt" },
      qr,
      h("p", { class: "code" }, w.receiptCode, ": ", h("strong", { "data-testid": "receipt-code" }, delivery.shortCode)),
      h(
        "dl",
        null,
        h("dt", null, w.farmer), h("dd", null, farmerName),
        h("dt", null, w.form), h("dd", null, w[form.key]),
        h("dt", null, w.weightKg), h("dd", null, formatNumber(state.language, delivery.grams / 1000, 1)),
        h("dt", null, delivery.form >= 20 ? w.drc : w.moisture), h("dd", null, formatNumber(state.language, delivery.qualityBps / 100, 1)),
        h("dt", null, w.toPay), h("dd", { "data-testid": "receipt-amount" }, formatMoney(state.language, delivery.amountMinor, delivery.currency, delivery.minorUnits)),
      ),
      h("p", { class: "muted" }, w.paid, " · ", formatTime(state.language, delivery.recordedAt)),
    ),
    h(
      "nav",
      { class: "stack" },
      button(w.done, () => show(homeScreen), "primary", "done"),
      h("div", { class: "pair" }, button(`${w.print} 58 mm`, () => print("thermal-58mm"), "secondary", "print-58mm"), button(`${w.print} A6`, () => print("a6"), "secondary", "print-a6")),
      button(w.newDelivery, () => show(farmersScreen), "secondary"),
    ),
  );
}

// --- sync ------------------------------------------------------------------------------------------

const SHOWN_ITEMS = 40;

async function syncScreen(): Promise<Node> {
  const w = state.w;
  const all = await state.db.getAll("queue");
  // What the agent needs on a small screen: every refusal, and the latest items (not hundreds of rows).
  const latest = new Set(all.slice(-SHOWN_ITEMS));
  const items = all.filter((item) => item.status === "refused" || latest.has(item));
  const count = (status: QueueItem["status"]) => all.filter((item) => item.status === status).length;
  const progress = state.progress;
  const statusWord = (item: QueueItem) => (item.status === "done" ? (item.type === "forward" ? w.mined : w.accepted) : item.status === "refused" ? w.refused : item.status === "sent" ? w.sent : w.waiting);
  return h(
    "main",
    null,
    bar(w.syncTitle, () => show(homeScreen)),
    h("p", { class: navigator.onLine ? "status on" : "status off" }, navigator.onLine ? w.online : w.needOnline),
    progress ? h("progress", { max: Math.max(progress.total, 1), value: progress.done, "data-testid": "progress" }) : null,
    state.message ? h("p", { class: "error", role: "alert" }, state.message) : null,
    button(state.syncing ? w.syncing : w.syncNow, () => void runSync(), "primary", "sync-now"),
    items.length === 0 ? h("p", null, w.nothingToSync) : null,
    all.length > 0
      ? h("p", { class: "summary", "data-testid": "summary" }, `${formatNumber(state.language, count("done"))} ${w.accepted} · ${formatNumber(state.language, count("refused"))} ${w.refused} · ${formatNumber(state.language, count("pending") + count("sent"))} ${w.waiting}`)
      : null,
    h(
      "ol",
      { class: "queue", "data-testid": "queue" },
      ...items.map((item) =>
        h(
          "li",
          { class: item.status, "data-status": item.status },
          h("span", null, item.type === "forward" ? `${item.label} ${w.batchOf}` : item.label),
          h("b", null, statusWord(item)),
          item.reason ? h("small", null, item.reason) : null,
        ),
      ),
    ),
  );
}

async function runSync() {
  if (state.syncing) return;
  state.syncing = true;
  state.message = null;
  show(syncScreen);
  try {
    // The list is redrawn at most once a second (a queue of hundreds, on a slow phone); the bar at once.
    let drawn = 0;
    await sync(state.db, state.key!, (progress) => {
      state.progress = progress;
      const bar = root.querySelector<HTMLProgressElement>("[data-testid=progress]");
      if (bar) {
        bar.max = Math.max(progress.total, 1);
        bar.value = progress.done;
      }
      if (performance.now() - drawn > 1000) {
        drawn = performance.now();
        show(syncScreen);
      }
    });
  } catch (error) {
    state.message = error instanceof OfflineError ? state.w.needOnline : (error as Error).message;
  } finally {
    state.syncing = false;
    show(syncScreen);
  }
}

// --- start ------------------------------------------------------------------------------------------

async function start() {
  const db = await openStore();
  const language = pickLanguage(localStorage.getItem("language"), navigator.languages);
  state = { db, device: await getDevice(db), key: null, language, w: WORDS[language], farmerId: null, syncing: false, progress: null, message: null };
  setLanguage(language);
  window.addEventListener("online", () => show(() => (state.key ? homeScreen() : state.device ? unlockScreen() : enrolScreen())));
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("./sw.js", { scope: "./" }).catch(() => undefined);
  show(state.device ? unlockScreen : enrolScreen);
  document.body.dataset.ready = "true";
}

void start();

import { expect } from "chai";
import jsQR from "jsqr";
import { RECEIPT_LAYOUTS, receiptSvg } from "../../src/payments/receipt";
import { normaliseReceiptCode } from "../../src/payments/receiptCodes";
import { call, COOP, OTHER_COOP, openFarmerPageFixture, type FarmerPageFixture } from "./farmerPageFixture";

/** Draws the receipt's QR path (squares `M x y h m v m h -m z`) into an RGBA bitmap and decodes it. */
function decodeReceiptQr(svg: string): string | null {
  const viewBox = /viewBox="0 0 (\d+) (\d+)"/.exec(svg)!;
  const [width, height] = [Number(viewBox[1]), Number(viewBox[2])];
  const pixels = new Uint8ClampedArray(width * height * 4).fill(255);
  const qrPath = [...svg.matchAll(/<path d="([^"]+)" fill="#000"\/>/g)].map((m) => m[1]!).find((d) => d.includes("h"))!;
  for (const square of qrPath.matchAll(/M(\d+) (\d+)h(\d+)/g)) {
    const [x, y, size] = [Number(square[1]), Number(square[2]), Number(square[3])];
    for (let row = y; row < y + size; row++) for (let col = x; col < x + size; col++) pixels.fill(0, (row * width + col) * 4, (row * width + col) * 4 + 3);
  }
  return jsQR(pixels, width, height)?.data ?? null;
}

describe("payment receipts and the farmer's own page (HTTP)", function () {
  this.timeout(60_000);
  let f: FarmerPageFixture;

  before(async () => {
    f = await openFarmerPageFixture({ codeAttemptsPerMinute: 6 });
  });
  after(async () => f?.close());

  it("prints a 58 mm and an A6 receipt in the farmer's language whose QR decodes to the page with the code, naming no farmer and escaping text", async function () {
    for (const layout of RECEIPT_LAYOUTS) {
      const answer = await call(f, COOP, "POST", `/v1/payments/${f.payments.siti.id}/receipt`, { layout, format: "json" });
      expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
      expect(answer.headers.get("cache-control")).to.equal("private, no-store");
      const { svg, code, url } = answer.body;
      expect(url).to.equal(`${f.base}/me#${normaliseReceiptCode(code)}`);
      expect(decodeReceiptQr(svg)).to.equal(url);
      expect(svg).to.contain("Dibayar pada").and.to.contain("4 Mei 2026").and.to.contain(code);
      // 35,000.00 IDR a kg x 600 kg - 500.00 + 900,000.00, written the Indonesian way.
      expect(svg).to.contain("21.899.500,00 IDR");
      expect(svg).not.to.contain("Siti").and.not.to.contain("<b>");
      expect(svg).to.contain("&lt;b&gt;foreign matter&lt;/b&gt;");
      expect(svg).to.match(layout === "a6" ? /width="105mm" height="148\.0mm" viewBox="0 0 1050 1480"/ : /width="48mm" height="[\d.]+mm" viewBox="0 0 384 \d+"/);
    }
    const thai = await call(f, COOP, "POST", `/v1/payments/${f.payments.somchai.id}/receipt`, {});
    expect(thai.headers.get("content-type")).to.equal("image/svg+xml; charset=utf-8");
    expect(thai.text).to.contain("ใบรับเงิน");
    expect(receiptSvg({ payment: f.payments.siti, language: "vi", url: "http://x/me#0123456789AB", code: "0123456789AB" }, "a6")).to.contain("Biên nhận thanh toán");
  });

  it("never prints another cooperative's payment", async function () {
    const answer = await call(f, OTHER_COOP, "POST", `/v1/payments/${f.payments.siti.id}/receipt`, {});
    expect(answer.status).to.equal(404);
    expect((await f.db.query("select 1 from receipt_codes")).rows.length).to.equal(3);
  });

  it("opens the farmer's page only with a live code: private, no-store, under a strict CSP; wrong codes are refused and rate-limited", async function () {
    const { body } = await call(f, COOP, "POST", `/v1/payments/${f.payments.siti.id}/receipt`, { format: "json" });
    const entry = await call(f, null, "GET", "/me");
    expect(entry.status).to.equal(200);
    expect(entry.text).to.contain('id="code-form"');
    expect(entry.headers.get("content-security-policy")).to.contain("script-src 'self'").and.to.contain("frame-ancestors 'none'");
    expect((await call(f, null, "GET", "/me/data")).body.error.code).to.equal("no_session");

    const wrong = await call(f, null, "POST", "/me/session", { code: "0000-0000-0000" });
    expect(wrong.status).to.equal(401);
    expect(wrong.body.error.code).to.equal("wrong_code");
    const opened = await call(f, null, "POST", "/me/session", { code: body.code.toLowerCase() });
    expect(opened.status).to.equal(204);
    const cookie = opened.headers.get("set-cookie")!;
    expect(cookie).to.match(/^fm_farmer=[A-Za-z0-9_-]{43}; Path=\/me; HttpOnly; SameSite=Strict; Max-Age=1800$/);
    const session = { cookie: cookie.split(";")[0]! };

    const page = await call(f, null, "GET", "/me", undefined, session);
    expect(page.headers.get("cache-control")).to.equal("private, no-store");
    expect(page.text).to.contain('lang="id"').and.to.contain("Pembayaran saya").and.to.contain("21.899.500,00 IDR");
    expect(page.text).not.to.contain(f.payments.somchai.id).and.not.to.contain("Siti");
    const data = await call(f, null, "GET", "/me/data", undefined, session);
    expect(data.body.payments.map((p: { id: string }) => p.id)).to.deep.equal([f.payments.siti.id]);
    expect(data.body.deliveries).to.deep.equal([{ lotId: "9000000001", grams: "600000", weighedAt: "2026-05-01T02:00:00.000Z" }]);
    expect(data.body.premium).to.deep.equal([{ currency: "IDR", owed: "0", paid: "90000000" }]);
    expect(data.body.consents).to.deep.equal([{ scope: "payments", recordedAt: data.body.consents[0].recordedAt, withdrawn: false }]);
    // Another farmer's payment through this session: refused.
    const other = await call(f, null, "POST", `/me/payments/${f.payments.somchai.id}/challenge`, { verdict: "confirmed" }, session);
    expect(other.status).to.equal(404);
    expect(other.body.error.code).to.equal("not_your_payment");

    // Six wrong codes a minute from one address (this suite's limit; right codes do not count): the rest are refused unread.
    const verdicts: number[] = [];
    for (let i = 0; i < 6; i++) verdicts.push((await call(f, null, "POST", "/me/session", { code: "ZZZZ-ZZZZ-ZZZZ" })).status);
    expect(verdicts).to.include(429);
    expect(verdicts.slice(verdicts.indexOf(429))).to.deep.equal(verdicts.slice(verdicts.indexOf(429)).map(() => 429));
    // Out of attempts, even the right code waits: guessing cannot go on between right answers.
    expect((await call(f, null, "POST", "/me/session", { code: body.code })).status).to.equal(429);
  });

  it("records the weaker kinds for the cooperative, never as a passkey confirmation, and refuses a wrong code or missing paper with nothing written", async function () {
    const { body } = await call(f, COOP, "POST", `/v1/payments/${f.payments.somchai.id}/receipt`, { format: "json" });
    const before = (await f.db.query("select 1 from payment_confirmations")).rows.length;
    const sitiCode = (await call(f, COOP, "POST", `/v1/payments/${f.payments.siti.id}/receipt`, { format: "json" })).body.code;
    const wrong = await call(f, COOP, "POST", `/v1/payments/${f.payments.somchai.id}/confirmations`, { kind: "agent-code", verdict: "confirmed", receiptCode: sitiCode, recordedBy: "Agent Yusuf" });
    expect(wrong.status).to.equal(422);
    expect(wrong.body.error.code).to.equal("wrong_receipt_code");
    const paper = await call(f, COOP, "POST", `/v1/payments/${f.payments.somchai.id}/confirmations`, { kind: "paper", verdict: "confirmed", evidenceCid: "bafynotuploaded0000", recordedBy: "Agent Yusuf" });
    expect(paper.body.error.code).to.equal("unknown_evidence");
    expect((await f.db.query("select 1 from payment_confirmations")).rows.length).to.equal(before);

    const ok = await call(f, COOP, "POST", `/v1/payments/${f.payments.somchai.id}/confirmations`, { kind: "agent-code", verdict: "disputed", receiptCode: body.code, recordedBy: "Agent Yusuf", reason: "paid 10 kg short" });
    expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    expect(ok.body).to.include({ kind: "agent-code", countsAsFarmersOwn: false, verdict: "disputed", proof: null, reason: "paid 10 kg short" });
    const listed = await call(f, COOP, "GET", `/v1/payments/${f.payments.somchai.id}/confirmations`);
    expect(listed.body.confirmations.map((c: any) => [c.kind, c.signatureValid])).to.deep.equal([["agent-code", null]]);
    expect(listed.body.paymentDigest).to.equal(ok.body.paymentDigest);
    expect((await f.db.query<{ reason_enc: Buffer }>("select reason_enc from payment_confirmations")).rows[0]!.reason_enc.toString("latin1")).not.to.contain("short");
  });
});

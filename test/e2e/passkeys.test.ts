import { expect } from "chai";
import type { BrowserContext, CDPSession, Page } from "playwright-core";
import { checkConfirmationProof } from "../../src/payments/confirmationProof";
import { passkeyConfirmedShare } from "../../src/payments/publicFigures";
import { call, COOP, openFarmerPageFixture, type FarmerPageFixture } from "../payments/farmerPageFixture";
import { launchBrowser, PHONE_VIEWPORT, type TestBrowser } from "./browser";

/**
 * The farmer's phone, for real: Debian's Chromium with its virtual authenticator (the DevTools
 * WebAuthn domain) opens the page from a receipt's link, creates a passkey, confirms and disputes
 * a payment; forged, replayed and another farmer's answers are refused and write nothing.
 */
type Answer = { status: number; body: any };

describe("passkey confirmations of payments in Chromium (virtual authenticator)", function () {
  this.timeout(120_000);
  let f: FarmerPageFixture;
  let browser: TestBrowser;
  const contexts: BrowserContext[] = [];
  /** Siti's phone, with the passkey the first test creates on it. */
  let sitiPhone: { page: Page; cdp: CDPSession; authenticatorId: string };

  before(async () => {
    [f, browser] = await Promise.all([openFarmerPageFixture(), launchBrowser()]);
  });
  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await f?.close();
  });

  /** A phone with a platform authenticator (user verification passes), on the farmer's page opened by a receipt's link. */
  async function phoneOpening(paymentId: string): Promise<{ page: Page; cdp: CDPSession; authenticatorId: string }> {
    const receipt = await call(f, COOP, "POST", `/v1/payments/${paymentId}/receipt`, { format: "json" });
    const context = await browser.browser.newContext({ viewport: PHONE_VIEWPORT });
    contexts.push(context);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
    await page.goto(receipt.body.url);
    await page.waitForSelector("#farmer-page");
    expect(page.url()).to.equal(`${f.base}/me`);
    return { page, cdp, authenticatorId };
  }

  /** The passkey's answer to a new challenge for a payment, signed on the phone but not sent. */
  const signOnly = (page: Page, paymentId: string, verdict: string) =>
    page.evaluate(
      async ({ paymentId, verdict }) => {
        const options = await fetch(`/me/payments/${paymentId}/challenge`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ verdict }) }).then((r) => r.json());
        return (window as any).SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: options });
      },
      { paymentId, verdict },
    );
  const send = (page: Page, paymentId: string, response: unknown): Promise<Answer> =>
    page.evaluate(
      async ({ paymentId, response }) => {
        const r = await fetch(`/me/payments/${paymentId}/confirmation`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ response }) });
        return { status: r.status, body: await r.json() };
      },
      { paymentId, response },
    );
  const confirmationRows = async () => Number((await f.db.query<{ n: string }>("select count(*)::text as n from payment_confirmations")).rows[0]!.n);

  it("registers a passkey on the phone, then confirms and disputes a payment with it: each a signature anyone can re-verify", async function () {
    sitiPhone = await phoneOpening(f.payments.siti.id);
    const { page, cdp, authenticatorId } = sitiPhone;
    await page.click("#register");
    await page.waitForSelector("#passkey-state.ok");
    expect((await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials).to.have.length(1);

    await page.click(`#${f.payments.siti.id} button[data-verdict="confirmed"]`);
    await page.waitForSelector(`#${f.payments.siti.id} p.ok[data-verdict="confirmed"]`);
    await page.click(`#${f.payments.siti.id} button[data-verdict="disputed"]`);
    await page.waitForSelector(`#${f.payments.siti.id} p.bad[data-verdict="disputed"]`);

    const listed = await call(f, COOP, "GET", `/v1/payments/${f.payments.siti.id}/confirmations`);
    expect(listed.body.confirmations.map((c: any) => [c.kind, c.verdict, c.countsAsFarmersOwn, c.signatureValid])).to.deep.equal([
      ["passkey", "confirmed", true, true],
      ["passkey", "disputed", true, true],
    ]);
    // Re-verified from the exported record alone; the same signature fails for another payment's digest.
    const proof = listed.body.confirmations[0].proof;
    expect(await checkConfirmationProof(proof, { origin: f.base, expectedDigest: listed.body.paymentDigest })).to.deep.equal({ ok: true, digest: listed.body.paymentDigest, verdict: "confirmed" });
    const changed = await checkConfirmationProof(proof, { origin: f.base, expectedDigest: `0x${"00".repeat(32)}` });
    expect(changed.ok).to.equal(false);
    const flipped = { ...proof, statement: proof.statement.replace('"confirmed"', '"disputed"') };
    expect((await checkConfirmationProof(flipped, { origin: f.base })).ok).to.equal(false);
  });

  it("refuses a forged, a replayed and another farmer's confirmation with clear errors, writing nothing", async function () {
    const siti = sitiPhone;
    const before = await confirmationRows();
    const answer = await signOnly(siti.page, f.payments.siti.id, "confirmed");

    const signature = Buffer.from(answer.response.signature, "base64url");
    signature[signature.length - 3] ^= 0x01;
    const forged = await send(siti.page, f.payments.siti.id, { ...answer, response: { ...answer.response, signature: signature.toString("base64url") } });
    expect([forged.status, forged.body.error.code]).to.deep.equal([422, "bad_signature"]);
    expect(await confirmationRows()).to.equal(before);

    // Somchai's session (his own phone, no passkey) sends Siti's answer for his own payment.
    const somchai = await phoneOpening(f.payments.somchai.id);
    const stolen = await send(somchai.page, f.payments.somchai.id, answer);
    expect([stolen.status, stolen.body.error.code]).to.deep.equal([403, "other_farmer"]);
    const notHis = await send(somchai.page, f.payments.siti.id, answer);
    expect([notHis.status, notHis.body.error.code]).to.deep.equal([404, "not_your_payment"]);
    expect(await confirmationRows()).to.equal(before);

    const genuine = await send(siti.page, f.payments.siti.id, answer);
    expect(genuine.status, JSON.stringify(genuine.body)).to.equal(201);
    const replayed = await send(siti.page, f.payments.siti.id, answer);
    expect([replayed.status, replayed.body.error.code]).to.deep.equal([409, "replayed"]);
    expect(await confirmationRows()).to.equal(before + 1);
  });

  it("lets a returning farmer sign in with the passkey alone, without a receipt at hand", async function () {
    const { page } = sitiPhone;
    await page.context().clearCookies();
    await page.goto(`${f.base}/me`);
    await page.waitForSelector("#code-entry");
    await page.click("#passkey-login");
    await page.waitForSelector("#farmer-page");
    expect(await page.locator("section.payment").evaluateAll((sections) => sections.map((s) => s.id))).to.deep.equal([f.payments.siti.id]);
    const { rows } = await f.db.query<{ opened_with: string }>("select opened_with from farmer_sessions order by created_at desc limit 1");
    expect(rows[0]!.opened_with).to.equal("passkey");
  });

  it("counts in the public share only payments whose farmer's latest passkey word is a confirmation in a batch on chain, never the weaker kinds", async function () {
    const root = `0x${"ab".repeat(32)}`;
    await f.db.query("update payments set payout_root = $1", [root]);
    const code = (await call(f, COOP, "POST", `/v1/payments/${f.payments.somchai.id}/receipt`, { format: "json" })).body.code;
    const agent = await call(f, COOP, "POST", `/v1/payments/${f.payments.somchai.id}/confirmations`, { kind: "agent-code", verdict: "confirmed", receiptCode: code, recordedBy: "Agent Yusuf" });
    expect(agent.status).to.equal(201);
    // Recorded and verified, but in no batch on chain yet: the public share does not take the gateway's word.
    expect(await passkeyConfirmedShare(f.db, [root], ["9000000001", "9000000002"])).to.equal(0);
    // In a batch the cooperative built, not yet indexed (mined): still not counted.
    const batchRoot = `0x${"ef".repeat(32)}`;
    await f.db.query("insert into payout_run_records (root, member_id, idempotency_key, count, totals, leaves_enc) values ($1, $2, 'run', 2, '[]', '\\x00')", [root, COOP.toString()]);
    await f.db.query("insert into confirmation_batch_records (batch_root, run_root, member_id, idempotency_key, count, leaves) values ($1, $2, $3, 'batch', 4, '[]')", [batchRoot, root, COOP.toString()]);
    await f.db.query("update payment_confirmations set batch_root = $1", [batchRoot]);
    expect(await passkeyConfirmedShare(f.db, [root], ["9000000001", "9000000002"])).to.equal(0);
    // Its root indexed from the chain (as the indexer writes ConfirmationRootPublished): counted.
    await f.db.query("insert into confirmation_batches (batch_root, run_root, member_id, count, position, tx_hash) values ($1, $2, $3, 4, $4, $5)", [batchRoot, root, COOP.toString(), "0".repeat(24), `0x${"01".repeat(32)}`]);
    // Siti's latest passkey word is the confirmation of the test before; Somchai's is the agent's only.
    expect(await passkeyConfirmedShare(f.db, [root], ["9000000001", "9000000002"])).to.equal(5_000);
    expect(await passkeyConfirmedShare(f.db, [root], ["9000000002"])).to.equal(0);
    expect(await passkeyConfirmedShare(f.db, [`0x${"cd".repeat(32)}`], ["9000000001"])).to.equal(null);
  });
});

import { expect } from "chai";
import { checkConfirmationProof } from "../../src/payments/confirmationProof";
import { confirmationOptions, listConfirmations, loginOptions, recordPasskeyConfirmation, registerPasskey, registrationOptions, verifyLogin, ConfirmationRefusedError } from "../../src/payments/confirmationStore";
import { createSoftCredential, softAssertion, softRegistration } from "../../src/payments/softAuthenticator";
import { openFarmerPageFixture, type FarmerPageFixture } from "./farmerPageFixture";

/** The server-side verifier against the software authenticator the demo seeds with (no browser). */
describe("passkey confirmations through the verifier (software authenticator)", function () {
  this.timeout(60_000);
  let f: FarmerPageFixture;
  before(async () => {
    f = await openFarmerPageFixture();
  });
  after(async () => f?.close());

  const refusal = async (run: Promise<unknown>) => {
    try {
      await run;
    } catch (error) {
      if (error instanceof ConfirmationRefusedError) return error.code;
      throw error;
    }
    return "accepted";
  };

  it("registers a software passkey and records a confirmation whose proof re-verifies; a replay, another key and another origin are refused", async function () {
    const rp = { origin: f.base, name: "firstmile" };
    const records = f.fixture.keystore.records;
    const siti = f.farmers.siti.id;
    const credential = createSoftCredential();
    await registerPasskey(f.db, siti, softRegistration(credential, await registrationOptions(f.db, siti, rp), f.base) as never, rp);
    const options = await confirmationOptions(f.db, records, { farmerId: siti, paymentId: f.payments.siti.id, verdict: "confirmed", rp });
    const answer = softAssertion(credential, options, f.base);
    const confirmation = await recordPasskeyConfirmation(f.db, records, { farmerId: siti, paymentId: f.payments.siti.id, response: answer as never, rp });
    expect(await checkConfirmationProof(confirmation.proof!, { origin: f.base, expectedDigest: confirmation.paymentDigest })).to.deep.include({ ok: true, verdict: "confirmed" });
    // The same answer again: a replay.
    expect(await refusal(recordPasskeyConfirmation(f.db, records, { farmerId: siti, paymentId: f.payments.siti.id, response: answer as never, rp }))).to.equal("replayed");
    // Another key signing a genuine challenge: not one of Siti's passkeys.
    const next = await confirmationOptions(f.db, records, { farmerId: siti, paymentId: f.payments.siti.id, verdict: "disputed", rp });
    expect(await refusal(recordPasskeyConfirmation(f.db, records, { farmerId: siti, paymentId: f.payments.siti.id, response: softAssertion(createSoftCredential(), next, f.base) as never, rp }))).to.equal("unknown_credential");
    // Signed on another origin (a phishing page): refused.
    expect(await refusal(recordPasskeyConfirmation(f.db, records, { farmerId: siti, paymentId: f.payments.siti.id, response: softAssertion(credential, next, "http://localhost:1") as never, rp }))).to.equal("bad_signature");
    expect((await listConfirmations(f.db, records, f.payments.siti.id)).map((c) => c.verdict)).to.deep.equal(["confirmed"]);
  });

  it("signs a returning farmer in with the passkey alone, once per challenge, and never with an unknown key", async function () {
    const rp = { origin: f.base, name: "firstmile" };
    const somchai = f.farmers.somchai.id;
    const credential = createSoftCredential();
    await registerPasskey(f.db, somchai, softRegistration(credential, await registrationOptions(f.db, somchai, rp), f.base) as never, rp);
    const answer = softAssertion(credential, await loginOptions(f.db, rp), f.base);
    expect(await verifyLogin(f.db, answer as never, rp)).to.equal(somchai);
    expect(await refusal(verifyLogin(f.db, answer as never, rp))).to.equal("replayed");
    expect(await refusal(verifyLogin(f.db, softAssertion(createSoftCredential(), await loginOptions(f.db, rp), f.base) as never, rp))).to.equal("unknown_credential");
  });
});

import { createHash } from "node:crypto";
import { webauthn } from "./webauthn";

/**
 * What a farmer's passkey signs when confirming or disputing a payment, and how anyone re-verifies
 * it later, from the stored record alone (no gateway, no database).
 *
 * - The payment's digest: SHA-256 of a canonical text of the payment as its payout leaf states it
 *   (payment id, farmer pseudonym, delivery lot ids, currency, net and premium in minor units, time
 *   paid in Unix seconds). A payment changed by one minor unit has another digest.
 * - The statement: `{"v":"firstmile.confirmation.v1","payment":<digest>,"verdict":"confirmed"|"disputed","nonce":<random>}`.
 * - The WebAuthn challenge is base64url(SHA-256(statement)): the browser puts it in
 *   clientDataJSON, and the passkey signs authenticatorData || SHA-256(clientDataJSON). So the
 *   signature binds the verdict and the payment's digest, and the nonce makes every challenge new.
 */
export type PaymentFacts = {
  paymentId: string;
  pseudonym: string;
  deliveryLotIds: readonly (bigint | string)[];
  currency: string;
  net: bigint;
  premium: bigint;
  paidAt: Date;
};

export type Verdict = "confirmed" | "disputed";
export const CONFIRMATION_VERSION = "firstmile.confirmation.v1";

/** The payment's digest, `0x` and 64 hex digits. */
export function paymentDigest(facts: PaymentFacts): string {
  const text = [
    "firstmile.payment.v1",
    facts.paymentId,
    facts.pseudonym,
    facts.deliveryLotIds.map(String).join(","),
    facts.currency,
    facts.net.toString(),
    facts.premium.toString(),
    Math.floor(facts.paidAt.getTime() / 1000).toString(),
  ].join("\n");
  return `0x${createHash("sha256").update(text).digest("hex")}`;
}

export function confirmationStatement(digest: string, verdict: Verdict, nonce: string): string {
  return JSON.stringify({ v: CONFIRMATION_VERSION, payment: digest, verdict, nonce });
}

export function challengeOf(statement: string): string {
  return createHash("sha256").update(statement).digest("base64url");
}

/** A passkey confirmation as stored and exported: everything needed to check its signature. */
export type ConfirmationProof = {
  statement: string;
  credentialId: string;
  /** The credential's public key, COSE, base64url. */
  publicKey: string;
  authenticatorData: string;
  clientDataJSON: string;
  signature: string;
};

export type ProofCheck = { ok: true; digest: string; verdict: Verdict } | { ok: false; reason: string };

/**
 * Re-verifies a passkey confirmation: the statement's challenge is the one the browser signed for,
 * on `origin` (the relying party id its host), and the signature verifies under the public key.
 * `expectedDigest`, when given, must be the statement's payment digest.
 */
export async function checkConfirmationProof(proof: ConfirmationProof, parameters: { origin: string; expectedDigest?: string }): Promise<ProofCheck> {
  let statement: { v?: unknown; payment?: unknown; verdict?: unknown };
  try {
    statement = JSON.parse(proof.statement) as typeof statement;
  } catch {
    return { ok: false, reason: "the statement is not JSON" };
  }
  if (statement.v !== CONFIRMATION_VERSION || typeof statement.payment !== "string" || (statement.verdict !== "confirmed" && statement.verdict !== "disputed")) {
    return { ok: false, reason: `the statement is not a ${CONFIRMATION_VERSION}` };
  }
  if (parameters.expectedDigest !== undefined && statement.payment !== parameters.expectedDigest) {
    return { ok: false, reason: `the statement confirms payment digest ${statement.payment}, not ${parameters.expectedDigest}` };
  }
  try {
    const result = await webauthn().verifyAuthenticationResponse({
      response: {
        id: proof.credentialId,
        rawId: proof.credentialId,
        type: "public-key",
        clientExtensionResults: {},
        response: { authenticatorData: proof.authenticatorData, clientDataJSON: proof.clientDataJSON, signature: proof.signature },
      },
      expectedChallenge: challengeOf(proof.statement),
      expectedOrigin: parameters.origin,
      expectedRPID: new URL(parameters.origin).hostname,
      expectedType: "webauthn.get",
      credential: { id: proof.credentialId, publicKey: new Uint8Array(Buffer.from(proof.publicKey, "base64url")), counter: 0 },
      requireUserVerification: true,
    });
    if (!result.verified) return { ok: false, reason: "the signature does not verify" };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  return { ok: true, digest: statement.payment, verdict: statement.verdict };
}

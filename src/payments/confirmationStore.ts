import { randomBytes } from "node:crypto";
import type { verifyAuthenticationResponse } from "@simplewebauthn/server";
import type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import type { RecordSealer } from "../chain/keystore";
import type { Database, Queryable } from "../db";
import { openField, sealField } from "../farmers/fieldCipher";
import { newRecordId } from "../farmers/ids";
import { BaseError } from "../errors/base";
import { challengeOf, confirmationStatement, paymentDigest, type ConfirmationProof, type Verdict } from "./confirmationProof";
import { readPayment, type Payment } from "./paymentStore";
import { webauthn } from "./webauthn";
import { PaymentNotFoundError } from "./errors";
import { openReceiptCode } from "./receiptCodes";

/**
 * A farmer's passkeys and their word on payments. A passkey confirmation is recorded only after
 * its assertion verifies against the farmer's own credential, over a one-use challenge that binds
 * the payment's digest and the verdict; anything else is refused with a reason and writes nothing.
 * The weaker kinds (a receipt code a field agent entered, a signed paper receipt) are recorded by
 * the cooperative, marked as such, and never counted as the farmer's own confirmation.
 */
export class ConfirmationRefusedError extends BaseError {
  override name = "ConfirmationRefusedError";
  constructor(
    readonly status: 403 | 404 | 409 | 422,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Where the farmer's page is served: its origin, whose host is the WebAuthn relying party id. */
export type RelyingParty = { origin: string; name: string };
const CHALLENGE_MS = 5 * 60_000;
export const CONFIRMATION_KINDS = ["passkey", "agent-code", "paper"] as const;
export type ConfirmationKind = (typeof CONFIRMATION_KINDS)[number];

export type PaymentConfirmation = {
  id: string;
  paymentId: string;
  kind: ConfirmationKind;
  verdict: Verdict;
  paymentDigest: string;
  proof: ConfirmationProof | null;
  evidenceCid: string | null;
  recordedBy: string | null;
  reason: string | null;
  createdAt: Date;
};

const rpIdOf = (rp: RelyingParty) => new URL(rp.origin).hostname;

/** The digest of a payment as its farmer confirms it (see confirmationProof.ts). */
export async function digestOfPayment(db: Queryable, payment: Payment): Promise<string> {
  const { rows } = await db.query<{ pseudonym: string }>("select pseudonym from farmers where id = $1", [payment.farmerId]);
  return paymentDigest({
    paymentId: payment.id,
    pseudonym: rows[0]!.pseudonym,
    deliveryLotIds: payment.deliveryLotIds,
    currency: payment.currency,
    net: payment.details.net,
    premium: payment.details.premiumTotal,
    paidAt: payment.paidAt,
  });
}

/** A payment of this farmer. @throws {ConfirmationRefusedError} `not_your_payment` (another farmer's, or none). */
export async function farmersPayment(db: Queryable, sealer: RecordSealer, farmerId: string, paymentId: string): Promise<Payment> {
  const { rows } = await db.query<{ member_id: string; farmer_id: string }>("select member_id::text, farmer_id from payments where id = $1", [paymentId]);
  if (rows.length === 0 || rows[0]!.farmer_id !== farmerId) throw new ConfirmationRefusedError(404, "not_your_payment", `payment ${paymentId} is not one of yours`);
  return readPayment(db, sealer, paymentId, BigInt(rows[0]!.member_id));
}

async function passkeysOf(db: Queryable, farmerId: string) {
  const { rows } = await db.query<{ credential_id: string; public_key: Buffer; counter: string; transports: string }>(
    "select credential_id, public_key, counter::text, transports from farmer_passkeys where farmer_id = $1 order by created_at",
    [farmerId],
  );
  return rows;
}

export async function passkeyCount(db: Queryable, farmerId: string): Promise<number> {
  return (await passkeysOf(db, farmerId)).length;
}

/** Options for `navigator.credentials.create` on the farmer's phone (no name: the pseudonym's start). */
export async function registrationOptions(db: Queryable, farmerId: string, rp: RelyingParty): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { rows } = await db.query<{ pseudonym: string }>("select pseudonym from farmers where id = $1", [farmerId]);
  const existing = await passkeysOf(db, farmerId);
  const options = await webauthn().generateRegistrationOptions({
    rpName: rp.name,
    rpID: rpIdOf(rp),
    userName: `farmer-${rows[0]!.pseudonym.slice(0, 8)}`,
    userID: new Uint8Array(Buffer.from(rows[0]!.pseudonym.slice(0, 32), "hex")),
    attestationType: "none",
    authenticatorSelection: { residentKey: "preferred", userVerification: "required" },
    excludeCredentials: existing.map((row) => ({ id: row.credential_id })),
    timeout: CHALLENGE_MS,
  });
  await db.query("insert into webauthn_challenges (challenge, farmer_id, purpose, expires_at) values ($1, $2, 'register', $3)", [options.challenge, farmerId, new Date(Date.now() + CHALLENGE_MS)]);
  return options;
}

/** The challenge a browser answered, from its clientDataJSON (base64url JSON). */
function answeredChallenge(clientDataJSON: unknown): string {
  try {
    const parsed = JSON.parse(Buffer.from(String(clientDataJSON), "base64url").toString("utf8")) as { challenge?: unknown };
    if (typeof parsed.challenge === "string") return parsed.challenge;
  } catch {
    // refused below
  }
  throw new ConfirmationRefusedError(422, "bad_client_data", "clientDataJSON is not a WebAuthn client data document");
}

type ChallengeRow = { challenge: string; farmer_id: string | null; purpose: string; statement: string | null; expired: boolean; used_at: Date | null };

async function liveChallenge(db: Queryable, challenge: string, farmerId: string | null, purpose: "register" | "confirm" | "login"): Promise<ChallengeRow> {
  const { rows } = await db.query<ChallengeRow>(
    "select challenge, farmer_id, purpose, statement, expires_at < now() as expired, used_at from webauthn_challenges where challenge = $1",
    [challenge],
  );
  const row = rows[0];
  if (!row || row.purpose !== purpose) throw new ConfirmationRefusedError(422, "unknown_challenge", "this answer is not for a challenge the gateway handed out: ask for a new one");
  if (purpose !== "login" && row.farmer_id !== farmerId) throw new ConfirmationRefusedError(403, "other_farmer", "this challenge was handed to another farmer");
  if (row.used_at !== null) throw new ConfirmationRefusedError(409, "replayed", "this challenge was answered before: an answer counts once (a replayed confirmation is refused)");
  if (row.expired) throw new ConfirmationRefusedError(409, "challenge_expired", "the challenge expired (5 minutes): ask for a new one");
  return row;
}

/** Spends a challenge in `tx`; a concurrent answer that spent it first makes this one a replay. */
async function spend(tx: Queryable, challenge: string): Promise<void> {
  const { rowCount } = await tx.query("update webauthn_challenges set used_at = now() where challenge = $1 and used_at is null", [challenge]);
  if (rowCount !== 1) throw new ConfirmationRefusedError(409, "replayed", "this challenge was answered before: an answer counts once");
}

/** Verifies a new passkey's attestation and keeps its public key. */
export async function registerPasskey(db: Database, farmerId: string, response: RegistrationResponseJSON, rp: RelyingParty): Promise<{ credentialId: string }> {
  const challenge = answeredChallenge(response?.response?.clientDataJSON);
  await liveChallenge(db, challenge, farmerId, "register");
  let verified;
  try {
    verified = await webauthn().verifyRegistrationResponse({ response, expectedChallenge: challenge, expectedOrigin: rp.origin, expectedRPID: rpIdOf(rp), requireUserVerification: true });
  } catch (error) {
    throw new ConfirmationRefusedError(422, "bad_registration", `the passkey's registration does not verify: ${(error as Error).message}`);
  }
  if (!verified.verified || !verified.registrationInfo) throw new ConfirmationRefusedError(422, "bad_registration", "the passkey's registration does not verify");
  const { credential } = verified.registrationInfo;
  await db.transaction(async (tx) => {
    await spend(tx, challenge);
    const { rows } = await tx.query("select 1 from farmer_passkeys where credential_id = $1", [credential.id]);
    if (rows.length > 0) throw new ConfirmationRefusedError(409, "passkey_known", "this passkey is registered already");
    await tx.query("insert into farmer_passkeys (credential_id, farmer_id, public_key, counter, transports) values ($1, $2, $3, $4, $5)", [
      credential.id,
      farmerId,
      Buffer.from(credential.publicKey),
      credential.counter,
      (credential.transports ?? []).join(","),
    ]);
  });
  return { credentialId: credential.id };
}

/** Options for signing in with a passkey alone (a returning farmer, no receipt at hand): any of the phone's passkeys for this site. */
export async function loginOptions(db: Queryable, rp: RelyingParty): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const challenge = randomBytes(32).toString("base64url");
  await db.query("insert into webauthn_challenges (challenge, farmer_id, purpose, expires_at) values ($1, null, 'login', $2)", [challenge, new Date(Date.now() + CHALLENGE_MS)]);
  return { challenge, rpId: rpIdOf(rp), timeout: CHALLENGE_MS, userVerification: "required", allowCredentials: [] };
}

/**
 * The farmer whose passkey answered a sign-in challenge (verified, counted once).
 * @throws {ConfirmationRefusedError} `unknown_challenge`, `replayed`, `challenge_expired`, `unknown_credential`, `bad_signature`.
 */
export async function verifyLogin(db: Database, response: AuthenticationResponseJSON, rp: RelyingParty): Promise<string> {
  const challenge = answeredChallenge(response?.response?.clientDataJSON);
  await liveChallenge(db, challenge, null, "login");
  const { rows } = await db.query<{ credential_id: string; farmer_id: string; public_key: Buffer; counter: string }>(
    "select credential_id, farmer_id, public_key, counter::text from farmer_passkeys where credential_id = $1",
    [String(response.id)],
  );
  const key = rows[0];
  if (!key) throw new ConfirmationRefusedError(403, "unknown_credential", "this passkey is not registered here: open your page with the code on a receipt first");
  const newCounter = await verifiedCounter(rp, key, response, challenge);
  await db.transaction(async (tx) => {
    await spend(tx, challenge);
    await tx.query("update farmer_passkeys set counter = greatest(counter, $2) where credential_id = $1", [key.credential_id, newCounter]);
  });
  return key.farmer_id;
}

/** A one-use challenge binding the payment's digest and the verdict, as `navigator.credentials.get` options. */
export async function confirmationOptions(
  db: Database,
  sealer: RecordSealer,
  parameters: { farmerId: string; paymentId: string; verdict: Verdict; rp: RelyingParty },
): Promise<PublicKeyCredentialRequestOptionsJSON & { statement: string }> {
  const payment = await farmersPayment(db, sealer, parameters.farmerId, parameters.paymentId);
  const passkeys = await passkeysOf(db, parameters.farmerId);
  if (passkeys.length === 0) throw new ConfirmationRefusedError(409, "no_passkey", "register a passkey on your phone first");
  const statement = confirmationStatement(await digestOfPayment(db, payment), parameters.verdict, randomBytes(16).toString("base64url"));
  const challenge = challengeOf(statement);
  await db.query("insert into webauthn_challenges (challenge, farmer_id, purpose, statement, expires_at) values ($1, $2, 'confirm', $3, $4)", [
    challenge,
    parameters.farmerId,
    statement,
    new Date(Date.now() + CHALLENGE_MS),
  ]);
  return {
    challenge,
    rpId: rpIdOf(parameters.rp),
    timeout: CHALLENGE_MS,
    userVerification: "required",
    allowCredentials: passkeys.map((row) => ({ id: row.credential_id, type: "public-key" as const })),
    statement,
  };
}

/**
 * Records the farmer's passkey confirmation (or dispute) of a payment once its assertion verifies.
 * @throws {ConfirmationRefusedError} `not_your_payment`, `unknown_challenge`, `other_farmer`,
 *   `replayed`, `challenge_expired`, `wrong_payment` (the challenge binds another payment or the
 *   payment changed since), `unknown_credential` (not one of this farmer's passkeys), `bad_signature`.
 */
export async function recordPasskeyConfirmation(
  db: Database,
  sealer: RecordSealer,
  parameters: { farmerId: string; paymentId: string; response: AuthenticationResponseJSON; reason?: string | undefined; rp: RelyingParty },
): Promise<PaymentConfirmation> {
  const { farmerId, paymentId, response, rp } = parameters;
  const payment = await farmersPayment(db, sealer, farmerId, paymentId);
  const challenge = answeredChallenge(response?.response?.clientDataJSON);
  const row = await liveChallenge(db, challenge, farmerId, "confirm");
  const statement = JSON.parse(row.statement!) as { payment: string; verdict: Verdict };
  const digest = await digestOfPayment(db, payment);
  if (statement.payment !== digest) throw new ConfirmationRefusedError(409, "wrong_payment", `the challenge binds payment digest ${statement.payment}, not payment ${paymentId} as it stands (${digest})`);
  const keys = await passkeysOf(db, farmerId);
  const key = keys.find((k) => k.credential_id === response.id);
  if (!key) throw new ConfirmationRefusedError(403, "unknown_credential", "this passkey is not one of yours");
  const newCounter = await verifiedCounter(rp, key, response, challenge);
  const id = newRecordId("pc");
  const proof: ConfirmationProof = {
    statement: row.statement!,
    credentialId: key.credential_id,
    publicKey: key.public_key.toString("base64url"),
    authenticatorData: response.response.authenticatorData,
    clientDataJSON: response.response.clientDataJSON,
    signature: response.response.signature,
  };
  await db.transaction(async (tx) => {
    await spend(tx, challenge);
    await tx.query("update farmer_passkeys set counter = greatest(counter, $2) where credential_id = $1", [key.credential_id, newCounter]);
    await tx.query(
      `insert into payment_confirmations (id, payment_id, farmer_id, member_id, kind, verdict, payment_digest, statement, credential_id, public_key,
                                          authenticator_data, client_data_json, signature, reason_enc)
       values ($1, $2, $3, $4, 'passkey', $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        id,
        paymentId,
        farmerId,
        payment.memberId.toString(),
        statement.verdict,
        digest,
        proof.statement,
        key.credential_id,
        key.public_key,
        Buffer.from(proof.authenticatorData, "base64url"),
        Buffer.from(proof.clientDataJSON, "base64url"),
        Buffer.from(proof.signature, "base64url"),
        sealField(sealer, id, "reason", parameters.reason || null),
      ],
    );
  });
  return (await listConfirmations(db, sealer, paymentId)).find((c) => c.id === id)!;
}

/**
 * Records a weaker confirmation the cooperative took: `agent-code` (a field agent entered the
 * receipt code the farmer read out: it must be a live code of this payment's farmer) or `paper`
 * (a signed paper receipt, uploaded as private evidence of this farmer first).
 */
export async function recordFallbackConfirmation(
  db: Database,
  sealer: RecordSealer,
  parameters: {
    memberId: bigint;
    paymentId: string;
    kind: "agent-code" | "paper";
    verdict: Verdict;
    receiptCode?: string | undefined;
    evidenceCid?: string | undefined;
    recordedBy: string;
    reason?: string | undefined;
  },
): Promise<PaymentConfirmation> {
  const payment = await readPayment(db, sealer, parameters.paymentId, parameters.memberId);
  if (parameters.kind === "agent-code") {
    const opened = parameters.receiptCode ? await openReceiptCode(db, parameters.receiptCode) : null;
    if (!opened || opened.farmerId !== payment.farmerId) {
      throw new ConfirmationRefusedError(422, "wrong_receipt_code", "the receipt code is not a live code of this payment's farmer: read it again from the farmer's receipt");
    }
  } else {
    const { rows } = await db.query<{ farmer_id: string | null }>("select farmer_id from private_evidence where cid = $1 and member_id = $2", [
      parameters.evidenceCid ?? "",
      parameters.memberId.toString(),
    ]);
    if (!parameters.evidenceCid || rows.length === 0 || (rows[0]!.farmer_id !== null && rows[0]!.farmer_id !== payment.farmerId)) {
      throw new ConfirmationRefusedError(422, "unknown_evidence", "a paper confirmation needs the signed receipt uploaded first as private evidence of this farmer (POST /v1/private-evidence)");
    }
  }
  const id = newRecordId("pc");
  await db.query(
    `insert into payment_confirmations (id, payment_id, farmer_id, member_id, kind, verdict, payment_digest, evidence_cid, recorded_by, reason_enc)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      id,
      payment.id,
      payment.farmerId,
      parameters.memberId.toString(),
      parameters.kind,
      parameters.verdict,
      await digestOfPayment(db, payment),
      parameters.kind === "paper" ? parameters.evidenceCid : null,
      parameters.recordedBy,
      sealField(sealer, id, "reason", parameters.reason || null),
    ],
  );
  return (await listConfirmations(db, sealer, payment.id)).find((c) => c.id === id)!;
}

type ConfirmationRow = {
  id: string;
  payment_id: string;
  kind: ConfirmationKind;
  verdict: Verdict;
  payment_digest: string;
  statement: string | null;
  credential_id: string | null;
  public_key: Buffer | null;
  authenticator_data: Buffer | null;
  client_data_json: Buffer | null;
  signature: Buffer | null;
  evidence_cid: string | null;
  recorded_by: string | null;
  reason_enc: Buffer | null;
  created_at: Date;
};

/** The stored columns of a passkey confirmation's proof. */
export type PasskeyProofColumns = Pick<ConfirmationRow, "kind" | "statement" | "credential_id" | "public_key" | "authenticator_data" | "client_data_json" | "signature">;

/** A passkey confirmation's proof as exported and re-checked; null for the weaker kinds. */
export function passkeyProofOf(row: PasskeyProofColumns): ConfirmationProof | null {
  if (row.kind !== "passkey") return null;
  return {
    statement: row.statement!,
    credentialId: row.credential_id!,
    publicKey: row.public_key!.toString("base64url"),
    authenticatorData: row.authenticator_data!.toString("base64url"),
    clientDataJSON: row.client_data_json!.toString("base64url"),
    signature: row.signature!.toString("base64url"),
  };
}

/** The confirmations of payments (oldest first), with their proofs. */
export async function listConfirmations(db: Queryable, sealer: RecordSealer, paymentIds: string | readonly string[]): Promise<PaymentConfirmation[]> {
  const ids = typeof paymentIds === "string" ? [paymentIds] : [...paymentIds];
  const { rows } = await db.query<ConfirmationRow>("select * from payment_confirmations where payment_id = any($1::text[]) order by created_at, id", [ids]);
  return rows.map((row) => ({
    id: row.id,
    paymentId: row.payment_id,
    kind: row.kind,
    verdict: row.verdict,
    paymentDigest: row.payment_digest,
    proof: passkeyProofOf(row),
    evidenceCid: row.evidence_cid,
    recordedBy: row.recorded_by,
    reason: row.reason_enc ? (openField(sealer, row.id, "reason", row.reason_enc) as string) : null,
    createdAt: row.created_at,
  }));
}

export { PaymentNotFoundError };

/**
 * Verifies a passkey assertion (`webauthn.get`, user verified) over `challenge` with the stored
 * key, and answers the authenticator's new signature counter.
 *
 * @throws {ConfirmationRefusedError} 422 `bad_signature` when it does not verify.
 */
async function verifiedCounter(
  rp: Parameters<typeof rpIdOf>[0],
  key: { credential_id: string; public_key: Buffer; counter: string | number },
  response: Parameters<typeof verifyAuthenticationResponse>[0]["response"],
  challenge: string,
): Promise<number> {
  try {
    const verified = await webauthn().verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rpIdOf(rp),
      expectedType: "webauthn.get",
      credential: { id: key.credential_id, publicKey: new Uint8Array(key.public_key), counter: Number(key.counter) },
      requireUserVerification: true,
    });
    if (!verified.verified) throw new Error("not verified");
    return verified.authenticationInfo.newCounter;
  } catch (error) {
    throw new ConfirmationRefusedError(422, "bad_signature", `the passkey's signature does not verify: ${(error as Error).message}`);
  }
}

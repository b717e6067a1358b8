import { createHash, randomBytes } from "node:crypto";
import type { Queryable } from "../db";

/**
 * One-time enrolment tokens: a cooperative's admin asks for one (API or CLI) and shows it to a
 * field agent's phone as a QR code or link; the phone redeems it once, with the address of the key
 * it made, and the gateway attaches that address to the cooperative on chain. Only the token's
 * sha-256 is stored.
 */
const TOKEN_PATTERN = /^fe_[A-Za-z0-9_-]{43}$/;

export type Enrolment = { token: string; expiresAt: Date };

function hashToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/** A new enrolment token for a cooperative, valid for `ttlMinutes`. */
export async function createEnrolment(db: Queryable, memberId: bigint, label: string, ttlMinutes: number): Promise<Enrolment> {
  const token = `fe_${randomBytes(32).toString("base64url")}`;
  const { rows } = await db.query<{ expires_at: Date }>(
    "insert into field_enrolments (member_id, token_hash, label, expires_at) values ($1, $2, $3, now() + make_interval(mins => $4)) returning expires_at",
    [memberId.toString(), hashToken(token), label, ttlMinutes],
  );
  return { token, expiresAt: rows[0]!.expires_at };
}

/** Spends a token for `device`: the cooperative and the enrolment's label, or null (unknown, used or expired). */
export async function redeemEnrolment(db: Queryable, token: string, device: string): Promise<{ id: bigint; memberId: bigint; label: string } | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const { rows } = await db.query<{ id: bigint; member_id: bigint; label: string }>(
    `update field_enrolments set used_at = now(), device = $2
      where token_hash = $1 and used_at is null and expires_at > now()
      returning id, member_id, label`,
    [hashToken(token), device.toLowerCase()],
  );
  const row = rows[0];
  return row ? { id: BigInt(row.id), memberId: BigInt(row.member_id), label: row.label } : null;
}

/** Remembers what the enrolment led to: the device's API token id and the on-chain request attaching it. */
export async function recordEnrolmentResult(db: Queryable, id: bigint, apiTokenId: number, requestId: bigint): Promise<void> {
  await db.query("update field_enrolments set api_token_id = $2, request_id = $3 where id = $1", [id.toString(), apiTokenId, requestId.toString()]);
}

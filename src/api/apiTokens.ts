import { createHash, randomBytes } from "node:crypto";
import type { Queryable } from "../db";

/** Tokens look like `fm_<43 base64url chars>`: 256 random bits, recognisable in a leaked log. */
const TOKEN_PREFIX = "fm_";
const TOKEN_PATTERN = /^fm_[A-Za-z0-9_-]{43}$/;

export type IssuedToken = { id: number; memberId: bigint; token: string };

function hashToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/** Creates a token for a member. The token is returned once; only its sha-256 is stored. */
export async function issueApiToken(db: Queryable, memberId: bigint, label = ""): Promise<IssuedToken> {
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const { rows } = await db.query<{ id: bigint }>(
    "insert into members_auth (member_id, token_hash, label) values ($1, $2, $3) returning id",
    [memberId.toString(), hashToken(token), label],
  );
  return { id: Number(rows[0].id), memberId, token };
}

/** The member a presented token acts as, or null (unknown, malformed or revoked). */
export async function memberForToken(db: Queryable, token: string): Promise<bigint | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const { rows } = await db.query<{ member_id: bigint }>(
    "select member_id from members_auth where token_hash = $1 and revoked_at is null",
    [hashToken(token)],
  );
  return rows.length === 1 ? rows[0].member_id : null;
}

/** The token of an `Authorization` header (the auth scheme is case-insensitive, RFC 9110 11.1: "bearer" is "Bearer"), or null. */
export function bearerToken(header: string | undefined): string | null {
  return /^Bearer +(\S+)$/i.exec(header ?? "")?.[1] ?? null;
}

/** The id of a presented token (as `members auth` lists it), or null: what a record keeps of who wrote it, never the token. */
export async function tokenIdFor(db: Queryable, token: string): Promise<number | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const { rows } = await db.query<{ id: bigint }>("select id from members_auth where token_hash = $1", [hashToken(token)]);
  return rows.length === 1 ? Number(rows[0].id) : null;
}

/** Revokes every token of a member (suspension) or one token by id. Returns how many were revoked. */
export async function revokeApiTokens(db: Queryable, memberId: bigint, tokenId?: number): Promise<number> {
  const { rows } = await db.query(
    `update members_auth set revoked_at = now()
      where member_id = $1 and revoked_at is null and ($2::bigint is null or id = $2)
      returning id`,
    [memberId.toString(), tokenId ?? null],
  );
  return rows.length;
}

/**
 * Remembers which member a token belongs to for `ttlMs`, so a busy gateway does not look every
 * request's token up in SQL. A revoked token keeps working until its entry expires (or `clear()`,
 * which the gateway calls when it revokes tokens itself); unknown tokens are never cached.
 */
export type TokenCache = {
  get(token: string): bigint | undefined;
  set(token: string, memberId: bigint): void;
  clear(): void;
};

export function createTokenCache(ttlMs: number, maxEntries = 10_000): TokenCache {
  const entries = new Map<string, { memberId: bigint; until: number }>();
  return {
    get(token) {
      const entry = entries.get(token);
      if (!entry) return undefined;
      if (entry.until < Date.now()) {
        entries.delete(token);
        return undefined;
      }
      return entry.memberId;
    },
    set(token, memberId) {
      if (entries.size >= maxEntries) entries.clear();
      entries.set(token, { memberId, until: Date.now() + ttlMs });
    },
    clear() {
      entries.clear();
    },
  };
}

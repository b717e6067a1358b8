import type { Queryable } from "../../db";
import { Commodity, type CommodityName } from "../../lots/forms";
import { bitsToRoles, type RoleName } from "../../membership/roles";
import { DAY, decodeCursor, encodeCursor, INT } from "./cursor";
import { QUERY_LIMITS, pageSize } from "./limits";
import { commodityName, type Page } from "./lots";

export type MemberView = {
  memberId: string;
  roles: RoleName[];
  active: boolean;
  country: string;
  metadata: string;
  addedAt: string | null;
  accounts: Array<{ address: string; number: number; active: boolean }>;
};

/** A member and its accounts (at most 64), or null if unknown. */
export async function getMember(q: Queryable, memberId: bigint): Promise<MemberView | null> {
  const { rows } = await q.query(
    `select m.*, coalesce((select json_agg(json_build_object('address', a.address, 'number', a.number, 'active', a.active) order by a.number)
                             from accounts a where a.member_id = m.member_id), '[]') as account_list
       from members m where m.member_id = $1`,
    [memberId.toString()],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    memberId: String(row.member_id),
    roles: bitsToRoles(Number(row.roles)),
    active: Boolean(row.active),
    country: String(row.country),
    metadata: String(row.metadata),
    addedAt: row.added_at ? (row.added_at as Date).toISOString() : null,
    accounts: (row.account_list as Array<{ address: string; number: number; active: boolean }>).map((account) => ({
      address: account.address,
      number: Number(account.number),
      active: account.active,
    })),
  };
}

/** Which member each account belongs to (accounts the read model does not know are left out). */
export async function membersOfAccounts(q: Queryable, addresses: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await q.query<{ address: string; member_id: string }>(
    "select address, member_id::text as member_id from accounts where address = any($1::text[])",
    [addresses.map((address) => address.toLowerCase())],
  );
  return new Map(rows.map((row) => [row.address.toLowerCase(), row.member_id]));
}

/** A member as a public page names it: roles, country and the digest of its metadata document. */
export type MemberSummary = Pick<MemberView, "memberId" | "roles" | "country" | "metadata">;

/** Several members by id, in no particular order (unknown ids left out). */
export async function getMemberSummaries(q: Queryable, memberIds: readonly string[]): Promise<MemberSummary[]> {
  const { rows } = await q.query<{ member_id: string; roles: number; country: string; metadata: string }>(
    "select member_id::text as member_id, roles, country, metadata from members where member_id = any($1::int8[])",
    [memberIds],
  );
  return rows.map((row) => ({ memberId: row.member_id, roles: bitsToRoles(Number(row.roles)), country: row.country, metadata: row.metadata }));
}

export async function memberExists(q: Queryable, memberId: bigint): Promise<boolean> {
  const { rows } = await q.query("select 1 from members where member_id = $1", [memberId.toString()]);
  return rows.length === 1;
}

export type DeliveryDayView = { day: string; commodity: CommodityName | null; form: number; lots: number; grams: string };

export type DeliveriesByDayParameters = {
  /** First day (UTC, inclusive); default 30 days before `to`. */
  from?: string | undefined;
  /** Last day (UTC, inclusive); default today. */
  to?: string | undefined;
  commodity?: CommodityName | undefined;
  form?: number | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
  /** For the default range. */
  now?: Date | undefined;
};

/** The date range is reversed or longer than `QUERY_LIMITS.maxDays`. */
export class DateRangeError extends RangeError {
  override name = "DateRangeError";
}

/**
 * A cooperative's deliveries (the lots it minted) per UTC day and form: count and grams,
 * paged by (day, form). The range is at most `QUERY_LIMITS.maxDays` days.
 *
 * @throws {DateRangeError} for a reversed or too long range.
 */
export async function memberDeliveriesByDay(q: Queryable, memberId: bigint, parameters: DeliveriesByDayParameters = {}): Promise<Page<DeliveryDayView>> {
  const limit = pageSize(parameters.limit);
  const today = (parameters.now ?? new Date()).toISOString().slice(0, 10);
  const to = parameters.to ?? today;
  const from = parameters.from ?? addDays(to, -29);
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
  if (!(days >= 1)) throw new DateRangeError(`the date range ${from}..${to} is empty or reversed`);
  if (days > QUERY_LIMITS.maxDays) throw new DateRangeError(`the date range ${from}..${to} is ${days} days; at most ${QUERY_LIMITS.maxDays}`);
  const list = `deliveries:${memberId}:${from}:${to}:${parameters.commodity ?? ""}:${parameters.form ?? ""}`;
  const [afterDay, afterForm] = parameters.cursor ? decodeCursor(list, parameters.cursor, [DAY, INT]) : ["0000-01-01", "-1"];
  const { rows } = await q.query(
    `select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day, commodity, form, count(*)::int as lots, sum(grams)::text as grams
       from lots
      where creator_member = $1 and genesis = 'minted'
        and created_at >= $2::date at time zone 'UTC' and created_at < ($3::date + 1) at time zone 'UTC'
        and ($4::int is null or commodity = $4) and ($5::int is null or form = $5)
      group by 1, 2, 3
     having (to_char(created_at at time zone 'UTC', 'YYYY-MM-DD'), form) > ($6::text, $7::int)
      order by 1, 3
      limit $8`,
    [
      memberId.toString(),
      from,
      to,
      parameters.commodity === undefined ? null : Commodity[parameters.commodity],
      parameters.form ?? null,
      afterDay,
      Number(afterForm),
      limit + 1,
    ],
  );
  const items = rows.map((row) => ({
    day: String(row.day),
    commodity: commodityName(Number(row.commodity)),
    form: Number(row.form),
    lots: Number(row.lots),
    grams: String(row.grams),
  }));
  const more = items.length > limit;
  const page = items.slice(0, limit);
  const last = page.at(-1);
  return { items: page, nextCursor: more && last ? encodeCursor(list, [last.day, last.form]) : null };
}

export type StockView = {
  form: { id: number; name: string | null };
  commodity: CommodityName | null;
  active: { lots: number; grams: string };
  inTransit: { lots: number; grams: string };
};

/**
 * What a custodian holds now, per form: lots and grams held (active) and offered to someone but
 * not yet accepted (in transit). One row per form (at most 255).
 */
export async function memberStockByForm(
  q: Queryable,
  memberId: bigint,
  filters: { commodity?: CommodityName | undefined; form?: number | undefined } = {},
): Promise<StockView[]> {
  const { rows } = await q.query(
    `select l.form, f.name as form_name, l.commodity,
            count(*) filter (where l.status = 'active')::int as active_lots,
            coalesce(sum(l.grams) filter (where l.status = 'active'), 0)::text as active_grams,
            count(*) filter (where l.status = 'in_transit')::int as transit_lots,
            coalesce(sum(l.grams) filter (where l.status = 'in_transit'), 0)::text as transit_grams
       from lots l left join forms f on f.form = l.form
      where l.custodian_member = $1 and l.status <> 'consumed'
        and ($2::int is null or l.commodity = $2) and ($3::int is null or l.form = $3)
      group by l.form, f.name, l.commodity
      order by l.form`,
    [memberId.toString(), filters.commodity === undefined ? null : Commodity[filters.commodity], filters.form ?? null],
  );
  return rows.map((row) => ({
    form: { id: Number(row.form), name: (row.form_name as string | null) ?? null },
    commodity: commodityName(Number(row.commodity)),
    active: { lots: Number(row.active_lots), grams: String(row.active_grams) },
    inTransit: { lots: Number(row.transit_lots), grams: String(row.transit_grams) },
  }));
}

function addDays(day: string, delta: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + delta * 86_400_000).toISOString().slice(0, 10);
}

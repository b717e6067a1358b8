import { isMemberKind, type MemberKind } from "../../membership/kinds";

/** What a member's metadata document says: its name, what it is (a kind the page can name in every language) and where it works. */
export type MemberProfile = { name: string | null; kind: MemberKind | null; region: string | null };

/** The profile a member's metadata document gives (also what `firstmile verify` compares the twin with). */
export function memberProfileOf(document: unknown): MemberProfile {
  const d = (document ?? {}) as { name?: unknown; kind?: unknown; region?: unknown };
  const text = (value: unknown) => (typeof value === "string" && value.trim() ? value.trim().slice(0, 120) : null);
  return { name: text(d.name), kind: isMemberKind(d.kind) ? d.kind : null, region: text(d.region) };
}


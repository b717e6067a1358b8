/**
 * What a member is, as its metadata document says (`"kind": "buying-station"`): the words a public
 * page shows next to its name, in the reader's language. On-chain roles say what a member may do
 * (a rubber dealer holds the cooperative role because only that role mints farmers' deliveries);
 * the kind says what a reader would call it. A document without a known kind is shown by its role.
 */
export const MEMBER_KINDS = [
  "cooperative",
  "buying-station",
  "trader",
  "exporter",
  "cocoa-grinder",
  "block-rubber-factory",
  "chocolate-maker",
  "tyre-maker",
  "certification-body",
  "forest-monitor",
] as const;
export type MemberKind = (typeof MEMBER_KINDS)[number];

export function isMemberKind(value: unknown): value is MemberKind {
  return typeof value === "string" && (MEMBER_KINDS as readonly string[]).includes(value);
}

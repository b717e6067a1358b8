/**
 * The fewest households an aggregate may describe before it leaves the cooperative's tokens (a
 * public page, the JSON twin, a brand's report): below it a count or a share could point at a
 * family in a village. Every public figure about farmers goes through `publicHouseholdCount`.
 */
export const MIN_PUBLIC_HOUSEHOLDS = 5;

/** `households` when it may be said in public, else null ("fewer than 5"). */
export function publicHouseholdCount(households: number): number | null {
  return households >= MIN_PUBLIC_HOUSEHOLDS ? households : null;
}

import type { CustodyStep } from "./custodySteps";
import type { PassportMember } from "./types";

/**
 * The custody path in a few stages a shopper follows (farms, cooperatives, exporter, grinder,
 * brand): the members that received the farmers' deliveries, then each member the goods were
 * handed over to, in the order they first received them, with when. Built from the full step
 * list (`custodyPath`), which the page keeps one tap away.
 */
export type CustodyStage = {
  members: Array<PassportMember | string>;
  /** Earliest and latest time the stage's members received goods (ISO 8601, block time). */
  first: string | null;
  last: string | null;
};

export function custodyStages(steps: readonly CustodyStep[]): CustodyStage[] {
  const stages: CustodyStage[] = [];
  const seen = new Set<string>();
  const keyOf = (member: PassportMember | string) => (typeof member === "string" ? member : member.memberId);
  const deliveries = steps.filter((step): step is Extract<CustodyStep, { kind: "deliveries" }> => step.kind === "deliveries");
  if (deliveries.length > 0) {
    const times = deliveries.flatMap((step) => [step.first, step.last]).filter((t): t is string => t !== null).sort();
    const members = [...new Map(deliveries.map((step) => [keyOf(step.member), step.member])).values()];
    for (const member of members) seen.add(keyOf(member));
    stages.push({ members, first: times[0] ?? null, last: times.at(-1) ?? null });
  }
  for (const step of steps) {
    if (step.kind !== "handover") continue;
    const key = keyOf(step.receiver);
    if (seen.has(key)) {
      // A later delivery to a member already on the path widens its dates.
      const stage = stages.find((s) => s.members.some((m) => keyOf(m) === key));
      if (stage && step.at && (!stage.last || step.at > stage.last)) stage.last = step.at;
      continue;
    }
    seen.add(key);
    stages.push({ members: [step.receiver], first: step.at, last: step.at });
  }
  return stages;
}

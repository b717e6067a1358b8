import { eventFromJson, lotStateFromEvents, type LotStateFromEvents } from "./events";
import type { LotPassport, PassportMember } from "./types";

/**
 * The custody path as steps a reader follows, built from the twin's events only: deliveries
 * grouped by the member they were made to (a summary, never one row per delivery), then every
 * operation (merge, split, transform) and handover on the lots that lead to the page's lot, in
 * chain order. Edges join a step to the steps that produced its inputs.
 */
export type CustodyStep =
  | { kind: "deliveries"; member: PassportMember | string; count: number; grams: bigint; first: string | null; last: string | null; from: number[] }
  | { kind: "merged" | "split" | "transformed"; member: PassportMember | string; at: string | null; inputGrams: bigint; outputGrams: bigint; lotId: string; from: number[] }
  | { kind: "handover"; sender: PassportMember | string; receiver: PassportMember | string; at: string | null; sent: bigint; received: bigint; lotId: string; from: number[] };

export type CustodyPath = { steps: CustodyStep[]; omitted: number };

const MAX_DELIVERY_GROUPS = 6;

export function custodyPath(passport: LotPassport, maxSteps = 24): CustodyPath {
  const memberOf = (account: string): PassportMember | string => {
    const id = passport.accounts[account.toLowerCase()];
    return passport.members.find((m) => m.memberId === id) ?? (id ? `#${id}` : account);
  };
  const states = new Map<string, LotStateFromEvents>();
  for (const lot of passport.lots) {
    try {
      states.set(lot.lotId, lotStateFromEvents(lot.events.map((e) => eventFromJson(e.event))));
    } catch {
      // an unreadable history is reported by the verification; leave the lot out of the path
    }
  }
  const steps: CustodyStep[] = [];
  const lastStep = new Map<string, number>();

  // Deliveries, grouped by the member that recorded them.
  const groups = new Map<string, { member: PassportMember | string; count: number; grams: bigint; times: string[]; lots: string[] }>();
  for (const lot of passport.lots) {
    const genesis = lot.events[0];
    if (genesis?.event.kind !== "minted") continue;
    const key = passport.accounts[genesis.event.custodian.toLowerCase()] ?? genesis.event.custodian.toLowerCase();
    const group = groups.get(key) ?? { member: memberOf(genesis.event.custodian), count: 0, grams: 0n, times: [], lots: [] };
    group.count += 1;
    group.grams += BigInt(genesis.event.grams);
    if (genesis.blockTime) group.times.push(genesis.blockTime);
    group.lots.push(lot.lotId);
    groups.set(key, group);
  }
  const ordered = [...groups.values()].sort((a, b) => b.count - a.count);
  const kept = ordered.slice(0, MAX_DELIVERY_GROUPS);
  for (const extra of ordered.slice(MAX_DELIVERY_GROUPS)) {
    const last = kept.at(-1)!;
    last.count += extra.count;
    last.grams += extra.grams;
    last.times.push(...extra.times);
    last.lots.push(...extra.lots);
  }
  for (const group of kept) {
    group.times.sort();
    const index = steps.push({ kind: "deliveries", member: group.member, count: group.count, grams: group.grams, first: group.times[0] ?? null, last: group.times.at(-1) ?? null, from: [] }) - 1;
    for (const lotId of group.lots) lastStep.set(lotId, index);
  }

  // Operations and handovers, in chain order.
  type Item = { block: number; log: number; run: () => void };
  const items: Item[] = [];
  for (const lot of passport.lots) {
    const state = states.get(lot.lotId);
    if (!state) continue;
    const [genesis, ...rest] = lot.events;
    if (genesis?.event.kind === "derived") {
      const derived = genesis.event;
      items.push({
        block: genesis.blockNumber,
        log: genesis.logIndex,
        run: () => {
          const inputs = derived.inputIds.map((id) => states.get(id));
          const kind = inputs.find((input) => input?.consumedBy)?.consumedBy?.kind ?? "transformed";
          const inputGrams = inputs.reduce((sum, input) => sum + (input?.grams ?? 0n), 0n);
          const from = [...new Set(derived.inputIds.map((id) => lastStep.get(id)).filter((i): i is number => i !== undefined))];
          const index = steps.push({ kind, member: memberOf(derived.custodian), at: genesis.blockTime, inputGrams, outputGrams: BigInt(derived.grams), lotId: lot.lotId, from }) - 1;
          lastStep.set(lot.lotId, index);
        },
      });
    }
    if (genesis?.event.kind === "minted") continue; // a delivery's own handovers are part of its group
    for (const item of rest) {
      const event = item.event;
      if (event.kind !== "accepted") continue;
      items.push({
        block: item.blockNumber,
        log: item.logIndex,
        run: () => {
          const previous = lastStep.get(lot.lotId);
          const index =
            steps.push({
              kind: "handover",
              sender: memberOf(event.previousCustodian),
              receiver: memberOf(event.custodian),
              at: item.blockTime,
              sent: BigInt(event.gramsSent),
              received: BigInt(event.gramsReceived),
              lotId: lot.lotId,
              from: previous === undefined ? [] : [previous],
            }) - 1;
          lastStep.set(lot.lotId, index);
        },
      });
    }
  }
  items.sort((a, b) => a.block - b.block || a.log - b.log);
  for (const item of items) item.run();

  if (steps.length <= maxSteps) return { steps, omitted: 0 };
  // Keep the delivery groups and the steps closest to the lot; renumber the edges.
  const groupsCount = kept.length;
  const tail = maxSteps - groupsCount;
  const keepIndex = [...Array(groupsCount).keys(), ...Array.from({ length: tail }, (_, i) => steps.length - tail + i)];
  const renumber = new Map(keepIndex.map((old, i) => [old, i]));
  const trimmed = keepIndex.map((old) => {
    const step = steps[old]!;
    return { ...step, from: step.from.map((f) => renumber.get(f)).filter((f): f is number => f !== undefined) } as CustodyStep;
  });
  return { steps: trimmed, omitted: steps.length - keepIndex.length };
}

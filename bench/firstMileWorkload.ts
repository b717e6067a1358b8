import { Role } from "../src/membership/roles";
import { SyntheticChain, SyntheticForm as Form } from "../test/indexer/syntheticChain";

/**
 * The indexer benchmark's synthetic first-mile traffic (bench/indexer.bench.ts), in a module of its
 * own so a profiling run can build the same chain.
 */

export function countLotEvents(events: SyntheticChain["events"]): number {
  let count = 0;
  for (const event of events) {
    if (event.type === "LotsMinted") count += event.deliveries.length;
    else if (event.type === "LotsDerived") count += event.inputIds.length + event.outputs.length;
    else if (event.type.startsWith("Handover") || event.type === "EvidenceAttached") count += 1;
  }
  return count;
}

/** Deliveries in groups of 10: mint each, attach its weigh ticket, merge, hand over, dry; every 10 groups merged, exported, ground. */
export function firstMileWorkload(target: number) {
  const { chain, accounts } = chainWithMembers({ coop: Role.cooperative, processor: Role.processor, exporter: Role.processor });
  const { coop, processor, exporter } = accounts;
  chain.secondsPerBlock = 2;
  let lots = 0;
  let dried: bigint[] = [];
  while (chain.events.length < target) {
    const deliveries: bigint[] = [];
    for (let i = 0; i < 10; i++) {
      const [lot] = chain.mint(coop, [{ form: Form.wetBeans, grams: 40_000n + BigInt(i * 1_000) }]);
      chain.attachEvidence(lot!, `ticket ${lot}`);
      deliveries.push(lot!);
    }
    const merged = chain.merge(deliveries);
    chain.handOver([merged], processor);
    const grams = chain.lots.get(merged)!.grams;
    dried.push(chain.transform([merged], [{ form: Form.dryBeans, grams: (grams * 4n) / 10n }])[0]!);
    lots += 13;
    if (dried.length === 10) {
      const bulk = chain.merge(dried);
      chain.handOver([bulk], exporter);
      chain.transform([bulk], [{ form: Form.nibs, grams: (chain.lots.get(bulk)!.grams * 8n) / 10n }]);
      dried = [];
      lots += 2;
    }
  }
  chain.events.length = Math.min(chain.events.length, target);
  // Cut inside a log would leave half a LotsMinted: the generator emits one log per event here.
  return { events: chain.events, lots };
}

/** A synthetic chain whose first members each hold one account, named as given, with the given role. */
export function chainWithMembers<Name extends string>(roles: Record<Name, number>): { chain: SyntheticChain; accounts: Record<Name, string> } {
  const chain = new SyntheticChain();
  const accounts = {} as Record<Name, string>;
  for (const name of Object.keys(roles) as Name[]) {
    accounts[name] = chain.account(name);
    chain.addMember(roles[name], [accounts[name]]);
  }
  return { chain, accounts };
}

import type { JsonRpcProvider } from "ethers";
import { registeredSchemeId, schemeByKey } from "../attestations/schemes";
import { attestationRegistryAt, lotRegistryAt } from "../chain/contracts";
import type { Keystore } from "../chain/keystore/keystore";
import { Role } from "../membership/roles";
import { EudrInputError } from "./errors";

/** The scheme a clear plot is attested under: no forest loss since the cut-off. */
export const DEFORESTATION_FREE_SCHEME = "no-forest-loss-since-2020";

/**
 * `EudrCheckContext.prepareMonitor` from the chain (not the read model: a certifier accredited a
 * block ago may act at once): the monitor is an active certifier, accredited for the
 * deforestation-free scheme until later than now, and has a custodial account in this gateway.
 * The chain checks all of it again when the attestations are mined; asking first means a check
 * that could not be attested is refused before anything is written.
 */
export function monitorPreparer(parameters: { provider: JsonRpcProvider; registry: string; attestationRegistry: string; keystore: Keystore }) {
  const members = lotRegistryAt(parameters.registry, parameters.provider);
  const attestations = attestationRegistryAt(parameters.attestationRegistry, parameters.provider);
  return async (memberId: bigint): Promise<{ schemeId: number }> => {
    const fail = (code: string, message: string) => new EudrInputError(code, "monitor", message);
    const [member] = await members.getMember(memberId);
    if (!member.active || (Number(member.roles) & Role.certifier) === 0) throw fail("not_a_certifier", `member ${memberId} is not an active certifier: a forest monitor is a certifier accredited for the deforestation-free scheme`);
    const schemeId = await registeredSchemeId(attestations, schemeByKey(DEFORESTATION_FREE_SCHEME));
    if (schemeId === 0) throw fail("no_scheme", "the deforestation-free scheme is not registered on this chain");
    const until = Number(await attestations.accreditedUntil(schemeId, memberId));
    const block = await parameters.provider.getBlock("latest");
    if (until <= (block?.timestamp ?? Math.floor(Date.now() / 1000))) throw fail("not_accredited", `member ${memberId} is not accredited for scheme ${schemeId} (${schemeByKey(DEFORESTATION_FREE_SCHEME).name})`);
    if ((await parameters.keystore.listAccounts(memberId)).length === 0) throw fail("no_custodial_account", `member ${memberId} has no custodial account in this gateway to attest with`);
    return { schemeId };
  };
}

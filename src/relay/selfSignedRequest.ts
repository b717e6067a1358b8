import { getAddress, type JsonRpcProvider } from "ethers";
import { describeRevert } from "./contractErrors";
import { ContractRevertError, RelayForbiddenError, RelayUnacceptableError } from "./errors";
import { recoverForwardRequestSigner } from "./forwardRequest";
import type { ForwardRequest } from "./outbox";
import { forwarderInterface, lotRegistryInterface } from "../chain/contracts";
import { jsonRpcOf } from "../chain/jsonRpc";
import { simulateCall } from "./simulateCall";

/**
 * Checks a ForwardRequest a member signed with its own key before the gateway accepts it for
 * relaying, with the forwarder's own rules and vocabulary: the signature must recover `from`
 * under this chain's forwarder domain (else `ERC2771ForwarderInvalidSigner`), the deadline must
 * be ahead (`ERC2771ForwarderExpiredRequest`), the nonce unused (`InvalidAccountNonce`), and the
 * call itself must pass a simulation (the target's decoded error otherwise). A request whose
 * nonce is ahead of the chain's is accepted: it waits for the ones before it.
 */
export type CheckSelfSignedRequestParameters = {
  provider: JsonRpcProvider;
  forwarder: string;
  /** The forwarder's EIP-712 domain separator on this chain. */
  separator: string;
  /** Contracts the relay forwards to (the lot registry, the attestation registry). */
  targets: readonly string[];
  memberId: bigint;
  forwardRequest: ForwardRequest;
  signature: string;
  /** Most gas a request may ask for. */
  maxGas?: bigint | undefined;
};

export async function checkSelfSignedRequest(parameters: CheckSelfSignedRequestParameters): Promise<void> {
  const { provider, forwarder, separator, memberId, forwardRequest: request, signature } = parameters;
  if (!parameters.targets.some((target) => target.toLowerCase() === request.to.toLowerCase())) {
    throw new RelayUnacceptableError(`The gateway relays only to its contracts (${parameters.targets.join(", ")}), not to ${request.to}`);
  }
  if (request.value !== 0n) throw new RelayUnacceptableError("The gateway relays no value: `value` must be 0");
  const maxGas = parameters.maxGas ?? 30_000_000n;
  if (request.gas < 21_000n || request.gas > maxGas) throw new RelayUnacceptableError(`\`gas\` must be between 21000 and ${maxGas}`);

  const recovered = recoverForwardRequestSigner(separator, request, signature);
  if (recovered?.toLowerCase() !== request.from.toLowerCase()) {
    throw new ContractRevertError(describeRevert("ERC2771ForwarderInvalidSigner", { signer: recovered ?? "0x0000000000000000000000000000000000000000", from: getAddress(request.from) }), {
      metaMessages: ["Sign the ForwardRequest with the key of `from`, under this chain's forwarder domain (GET /v1/relay/forwarder)."],
    });
  }
  const now = BigInt(Math.floor(Date.now() / 1000));
  if (request.deadline < now) throw new ContractRevertError(describeRevert("ERC2771ForwarderExpiredRequest", { deadline: request.deadline.toString() }));

  const [membership, nonceHex] = await Promise.all([
    provider.send("eth_call", [{ to: parameters.targets[0], data: lotRegistryInterface.encodeFunctionData("accountOf", [request.from]) }, "latest"]) as Promise<string>,
    provider.send("eth_call", [{ to: forwarder, data: forwarderInterface.encodeFunctionData("nonces", [request.from]) }, "latest"]) as Promise<string>,
  ]);
  const [owner] = lotRegistryInterface.decodeFunctionResult("accountOf", membership);
  if (BigInt(owner) !== memberId) throw new RelayForbiddenError(`Account ${getAddress(request.from)} is not an account of member ${memberId}`);
  const chainNonce = BigInt(nonceHex);
  if (request.nonce < chainNonce) {
    throw new ContractRevertError(describeRevert("InvalidAccountNonce", { account: getAddress(request.from), currentNonce: chainNonce.toString() }), {
      metaMessages: ["This nonce was used already: the request was relayed before, or another request took its place."],
    });
  }
  if (request.nonce === chainNonce) {
    // With earlier requests still queued the state may not be what this one expects yet: only the next one is simulated.
    const result = await simulateCall({ rpc: jsonRpcOf(provider), forwarder, from: request.from, to: request.to, data: request.data });
    if (!result.ok) {
      throw new ContractRevertError(result.revert ?? describeRevert("ContractRevert", { data: result.data ?? "0x" }));
    }
  }
}

import { FetchRequest, JsonRpcProvider } from "ethers";
import { rpcEndpoint } from "./rpcEndpoint";

/**
 * A JSON-RPC provider tuned for a chain with one-second blocks (or faster): receipts are polled
 * every 250 ms (ethers' default 4 s would add seconds to every confirmation), and no answer is
 * reused: ethers shares an answer with the same request made within 250 ms, so a signer's pending
 * nonce asked again right after its transaction was mined came back stale ("nonce too low" when a
 * deploy sent its next transaction on a chain with quarter-second blocks). Credentials in the URL
 * go as a header (`rpcEndpoint`), so no error of the provider's repeats them.
 */
export function connectProvider(url: string, chainId?: number): JsonRpcProvider {
  const endpoint = rpcEndpoint(url);
  const request = new FetchRequest(endpoint.url);
  for (const [name, value] of Object.entries(endpoint.headers)) request.setHeader(name, value);
  const provider = new JsonRpcProvider(request, chainId, { cacheTimeout: -1, ...(chainId === undefined ? {} : { staticNetwork: true }) });
  provider.pollingInterval = 250;
  return provider;
}

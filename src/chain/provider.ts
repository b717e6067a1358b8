import { FetchRequest, JsonRpcProvider } from "ethers";
import { rpcEndpoint } from "./rpcEndpoint";

/**
 * A JSON-RPC provider tuned for a chain with one-second blocks: receipts are polled every
 * 250 ms (ethers' default 4 s would add seconds to every confirmation). Credentials in the URL go
 * as a header (`rpcEndpoint`), so no error of the provider's repeats them.
 */
export function connectProvider(url: string, chainId?: number): JsonRpcProvider {
  const endpoint = rpcEndpoint(url);
  const request = new FetchRequest(endpoint.url);
  for (const [name, value] of Object.entries(endpoint.headers)) request.setHeader(name, value);
  const provider = new JsonRpcProvider(request, chainId, chainId === undefined ? {} : { staticNetwork: true });
  provider.pollingInterval = 250;
  return provider;
}

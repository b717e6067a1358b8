import { expect } from "chai";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { connectProvider } from "../../src/chain/provider";
import { rpcEndpoint } from "../../src/chain/rpcEndpoint";
import { createJsonRpcChainReader } from "../../src/indexer/sync/chainReader";
import { jsonRpcClient } from "../../src/chain/jsonRpc";
import { rejection } from "../helpers/rejection";

describe("rpcEndpoint", () => {
  it("moves a URL's credentials into a Basic Authorization header and shows the URL without them", () => {
    const endpoint = rpcEndpoint("https://ops:s%40cret:x@besu.example.org:8545/rpc?x=1");
    expect(endpoint.url).to.equal("https://besu.example.org:8545/rpc?x=1");
    expect(endpoint.shown).to.equal(endpoint.url);
    expect(Buffer.from(endpoint.headers.authorization!.replace(/^Basic /, ""), "base64").toString("utf8")).to.equal("ops:s@cret:x");
  });

  it("leaves a URL without credentials as it is, and shows no password or token of one it cannot parse or must send as is", () => {
    expect(rpcEndpoint("http://127.0.0.1:8545")).to.deep.equal({ url: "http://127.0.0.1:8545", headers: {}, shown: "http://127.0.0.1:8545" });
    expect(rpcEndpoint("http://ops:pw@").shown).to.equal("http://ops:[redacted]@");
    expect(rpcEndpoint("https://node.example.org/rpc?apikey=k-1").shown).to.equal("https://node.example.org/rpc?apikey=[redacted]");
  });

  describe("against a node that wants Basic authentication", () => {
    let server: http.Server;
    let port: number;
    const seen: Array<string | undefined> = [];
    before(async () => {
      // Stands for an authenticating proxy in front of a node: answers eth_chainId to the right credentials only.
      server = http.createServer((req, res) => {
        seen.push(req.headers.authorization);
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
          if (req.headers.authorization !== `Basic ${Buffer.from("ops:rpc-s3cret").toString("base64")}`) {
            res.writeHead(401).end();
            return;
          }
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          const answer = (call: { id: number }) => ({ jsonrpc: "2.0", id: call.id, result: "0x7a69" });
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(Array.isArray(body) ? body.map(answer) : answer(body)));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      port = (server.address() as AddressInfo).port;
    });
    after(() => new Promise((resolve) => server.close(resolve)));

    it("reaches it through the relay's client, the indexer's reader and the provider, the password never in a message", async () => {
      const url = `http://ops:rpc-s3cret@127.0.0.1:${port}`;
      expect(await jsonRpcClient(url).call("eth_chainId", [])).to.equal("0x7a69");
      expect(await createJsonRpcChainReader({ url }).chainId()).to.equal(31337);
      const provider = connectProvider(url);
      expect(await provider.send("eth_chainId", [])).to.equal("0x7a69");
      provider.destroy();
      expect(seen.every((header) => header !== undefined)).to.equal(true);

      const wrong = `http://ops:not-it@127.0.0.1:${port}`;
      const relayError = await rejection(jsonRpcClient(wrong).call("eth_chainId", []));
      expect(relayError.message).to.equal(`eth_chainId: the chain node at http://127.0.0.1:${port}/ answered HTTP 401 without a JSON-RPC answer`);
      const indexerError = await rejection(createJsonRpcChainReader({ url: wrong }).chainId());
      expect(indexerError.message).to.contain("answered HTTP 401");
      const unreachable = await rejection(jsonRpcClient("http://ops:rpc-s3cret@127.0.0.1:1").call("eth_chainId", []));
      expect(unreachable.name).to.equal("JsonRpcUnreachableError");
      for (const error of [relayError, indexerError, unreachable]) {
        expect(`${error.message} ${JSON.stringify(error)}`).not.to.contain("s3cret").and.not.to.contain("not-it");
      }
    });
  });
});

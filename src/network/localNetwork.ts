import path from "node:path";
import { dataPaths } from "../config";

/**
 * Three organisations' gateways on one machine and one chain, as settings: the cooperative's (A)
 * starts the embedded anvil and deploys; the exporter's (B) and the chocolate maker's (C) point
 * FIRSTMILE_RPC_URL at that node and read A's deployments file. Each has its own data dir (its
 * PGlite, keystore, evidence store, relayer account) and lists the other two as evidence peers.
 * `ports` are the three HTTP ports (the demo takes consecutive ones).
 */
export const NETWORK_SITES = ["cooperative", "exporter", "brand"] as const;
export type NetworkSiteName = (typeof NETWORK_SITES)[number];

export type LocalNetworkPlan = Array<{ name: NetworkSiteName; dataDir: string; url: string; env: Record<string, string> }>;

export function planLocalNetwork({ rootDir, ports, chainPort, host = "127.0.0.1" }: { rootDir: string; ports: readonly number[]; chainPort: number; host?: string }): LocalNetworkPlan {
  if (ports.length !== NETWORK_SITES.length) throw new Error(`expected ${NETWORK_SITES.length} ports, got ${ports.length}`);
  const sites = NETWORK_SITES.map((name, i) => ({ name, dataDir: path.resolve(rootDir, name), port: ports[i]!, url: `http://${host}:${ports[i]!}` }));
  const first = sites[0]!;
  return sites.map((site) => {
    const peers = sites.filter((other) => other !== site).map((other) => other.url);
    const chain: Record<string, string> =
      site === first
        ? { FIRSTMILE_CHAIN_PORT: String(chainPort) }
        : { FIRSTMILE_RPC_URL: `http://${host}:${chainPort}`, FIRSTMILE_DEPLOYMENTS_FILE: dataPaths(first.dataDir).deploymentsFile };
    return {
      name: site.name,
      dataDir: site.dataDir,
      url: site.url,
      env: {
        FIRSTMILE_DATA_DIR: site.dataDir,
        FIRSTMILE_HOST: host,
        FIRSTMILE_PORT: String(site.port),
        FIRSTMILE_EVIDENCE_PEERS: peers.join(","),
        FIRSTMILE_DEMO: "0",
        ...chain,
      },
    };
  });
}

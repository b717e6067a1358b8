import path from "node:path";
import type { Profile } from "./settings";

/**
 * Where each embedded store lives under the data directory: the one place that knows the layout.
 * `loadConfig` computes it once (as `config.paths`, with `FIRSTMILE_DEPLOYMENTS_FILE` applied);
 * everything else reads the path it needs from there.
 */
export type DataPaths = {
  dataDir: string;
  /** anvil's state file, log and pid, and the chain id the state was made with. */
  chainState: string;
  /** The contracts' deployment record (addresses by name); the embedded chain writes it. */
  deploymentsFile: string;
  /** The running gateway's local control socket (members and labels commands). */
  controlSocket: string;
  /** PGlite's database directory. */
  pgdata: string;
  /** The embedded IPFS blockstore (blocks, pins, staging). */
  evidence: string;
  /** The keystore's key file on the embedded default. */
  keystoreKey: string;
  /** What the demo seed did (`firstmile start` on the embedded profile). */
  demoRecord: string;
};

/** The layout under `dataDir` (absolute), with the deployments file named after the profile. */
export function dataPaths(dataDir: string, profile: Profile = "embedded"): DataPaths {
  const under = (...parts: string[]) => path.join(dataDir, ...parts);
  return {
    dataDir,
    chainState: under("chain"),
    deploymentsFile: under("deployments", `${profile}.json`),
    controlSocket: under("gateway.sock"),
    pgdata: under("pgdata"),
    evidence: under("evidence"),
    keystoreKey: under("keystore.key"),
    demoRecord: under("demo.json"),
  };
}

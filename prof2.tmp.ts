import fs from "node:fs";
import { openKeystore } from "./src/chain/keystore";
import { useNativeKeccak } from "./src/chain/nativeKeccak";
import { loadConfig } from "./src/config";
import { openDatabase } from "./src/db";
import { evidenceLimitsFrom, evidenceStoreConfig, openEvidenceStore } from "./src/evidence";
import { runImport } from "./src/imports";
import { DeliveryCapacity, PlotRegistry } from "./src/origins";
import { generateOnboarding } from "./bench/importData";
(async () => {
  useNativeKeccak();
  const dataDir = fs.mkdtempSync("/tmp/prof-");
  const config = loadConfig({ env: { FIRSTMILE_DATA_DIR: dataDir, FIRSTMILE_DATABASE_THREAD: "main" }, cwd: dataDir });
  const files = generateOnboarding(4000);
  const { db } = await openDatabase({ config: config.database });
  const { keystore } = await openKeystore({ db, config: config.keystore });
  const evidence = await openEvidenceStore(evidenceStoreConfig(config), evidenceLimitsFrom(config));
  const plots = await PlotRegistry.load(db, config.plots);
  const ctx = { db, plots, capacity: new DeliveryCapacity(db, plots), sealer: keystore.records, evidence, maxAttempts: 10, maxBytes: 1e8 };
  const inspector = await import("node:inspector/promises");
  const session = new inspector.Session(); session.connect();
  await session.post("Profiler.enable"); await session.post("Profiler.start");
  for (const kind of ["farmers", "plots"] as const) {
    const cpu = process.cpuUsage(); const t = performance.now();
    const r = await runImport(ctx, { memberId: 3n, kind, file: Buffer.from(kind === "farmers" ? files.farmers : files.plots), dryRun: false });
    const c = process.cpuUsage(cpu);
    console.log(kind, "wall", Math.round(performance.now() - t), "cpu", Math.round((c.user + c.system) / 1000), r.created, r.refused);
  }
  const { profile } = await session.post("Profiler.stop") as any;
  fs.writeFileSync("/tmp/prof/main.cpuprofile", JSON.stringify(profile));
  await db.close();
})();

import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import express, { type NextFunction, type Request, type Response } from "express";
import type { JsonRpcProvider, Signer } from "ethers";
import type { Logger } from "pino";
import { z } from "zod";
import type { Keystore } from "../chain/keystore/keystore";
import type { Database } from "../db/database";
import { Role, type RoleName } from "../membership/roles";
import { readLabelLots } from "../web/labelLots";
import { exportLotEpcis } from "../epcis";
import { IMPORT_KINDS, runImport, type ImportContext, type ImportKind } from "../imports";
import { EudrInputError, runEudrCheck, type EudrCheckContext } from "../eudr";
import { readEudrCheckJob } from "../eudr/checkJob";
import { buildDds, ddsRefusalText } from "../eudr/dds";
import { addMember, issueMemberToken, listMembers, suspendMember } from "./memberAdmin";
import { createEnrolment } from "../field";
import { reachableSocketPath } from "./socketPath";

export { sendControlCommand } from "./controlClient";

/**
 * While the gateway runs it holds the embedded database, so `firstmile members ...` cannot open
 * it. The gateway therefore listens on a Unix socket in the data dir (`gateway.sock`, mode 0600:
 * only the operator's user can connect) and does the members commands itself, and reads the lots
 * `firstmile labels` prints. Not on any network.
 */
export type ControlAdmin = {
  db: Database;
  keystore: Keystore;
  registry: string;
  governor: Signer | null;
  provider: JsonRpcProvider;
  chainId: bigint;
};

export type ControlSocket = { file: string; close(): Promise<void> };

const roleNames = Object.keys(Role) as [RoleName, ...RoleName[]];
export const addMemberRequest = z.object({
  roles: z.array(z.enum(roleNames)).min(1),
  country: z.string(),
  metadata: z.string().regex(/^0x[0-9a-fA-F]{64}$/).optional(),
  accounts: z.array(z.string()).optional(),
  custodialAccounts: z.number().int().min(0).max(64).optional(),
  token: z.boolean().optional(),
  label: z.string().max(200).optional(),
});

const ddsRequest = z.object({
  lot: z.string().regex(/^[1-9]\d{0,30}$/),
  member: z.string().regex(/^[1-9]\d{0,18}$/),
  activity: z.enum(["import", "export", "domestic"]).optional(),
  allowPartial: z.enum(["true", "false"]).optional(),
});

export async function startControlSocket(parameters: {
  file: string;
  admin: ControlAdmin;
  onTokensRevoked?: () => void;
  /** The public base URL of lot pages, for `firstmile labels`. */
  publicUrl?: string;
  /** What `firstmile import` writes through while this gateway holds the database. */
  imports?: ImportContext;
  /** What `firstmile eudr check` runs in while this gateway holds the database. */
  eudrChecks?: EudrCheckContext | undefined;
  logger: Logger;
}): Promise<ControlSocket> {
  const { file, admin } = parameters;
  if (fs.existsSync(file)) {
    if (await answers(file)) throw new Error(`another gateway answers on ${file}`);
    fs.rmSync(file, { force: true });
  }
  const app = express();
  app.use(express.json({ limit: "64kb" }));
  const run = (fn: (req: Request) => Promise<unknown>) => (req: Request, res: Response, next: NextFunction) => {
    fn(req).then((body) => res.json(jsonSafe(body)), next);
  };
  app.post("/members", run(async (req) => {
    const body = addMemberRequest.parse(req.body);
    return addMember(admin, body);
  }));
  app.get("/members", run(() => listMembers(admin)));
  app.post("/members/:id/suspend", run(async (req) => {
    const result = await suspendMember(admin, memberIdOf(req.params.id));
    parameters.onTokensRevoked?.();
    return result;
  }));
  app.get("/labels", run(async (req) => {
    const lots = String(req.query.lots ?? "").split(",").filter(Boolean);
    if (lots.length === 0 || lots.some((id) => !/^[1-9]\d{0,77}$/.test(id))) {
      throw new z.ZodError([{ code: "custom", path: ["lots"], message: "lot ids, comma-separated", input: req.query.lots }]);
    }
    return { publicUrl: parameters.publicUrl ?? null, ...(await readLabelLots(admin.db, lots)) };
  }));
  // `firstmile epcis`: a lot's history as an EPCIS 2.0 document (404 for an unknown lot).
  app.get("/epcis", (req, res, next) => {
    const lot = String(req.query.lot ?? "");
    if (!/^[1-9]\d{0,18}$/.test(lot)) return next(new z.ZodError([{ code: "custom", path: ["lot"], message: "a lot id", input: req.query.lot }]));
    exportLotEpcis({ db: admin.db, lotId: BigInt(lot), publicBase: (parameters.publicUrl ?? "").replace(/\/+$/, ""), chainId: admin.chainId }).then(
      (document) => (document ? res.json(document) : res.status(404).json({ error: { code: "not_found", message: `lot ${lot} not found` } })),
      next,
    );
  });
  // `firstmile dds`: the statement and geolocation of a lot, with this gateway's plots and keystore.
  app.get("/dds", (req, res, next) => {
    const query = ddsRequest.safeParse(req.query);
    if (!query.success) return next(query.error);
    buildDds({
      db: admin.db,
      sealer: admin.keystore.records,
      lotId: BigInt(query.data.lot),
      memberId: BigInt(query.data.member),
      activity: query.data.activity,
      allowPartial: query.data.allowPartial === "true",
    }).then(
      (document) => res.json(document),
      (error: unknown) => {
        const refusal = ddsRefusalText(error);
        if (refusal) res.status(422).json({ error: { code: "dds_refused", message: refusal } });
        else next(error);
      },
    );
  });
  // `firstmile import`: the file as the body; the answer streams progress lines, then the report.
  const importContext = parameters.imports;
  if (importContext) {
    app.post("/imports", express.raw({ type: "*/*", limit: importContext.maxBytes }), (req, res, next) => {
      const kind = String(req.query.kind ?? "");
      if (!(IMPORT_KINDS as readonly string[]).includes(kind) || !/^[1-9]\d{0,18}$/.test(String(req.query.member ?? ""))) {
        return next(new z.ZodError([{ code: "custom", path: ["kind"], message: `kind: ${IMPORT_KINDS.join(", ")}; member: a member id`, input: req.query }]));
      }
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      let last = 0;
      const line = (value: unknown) => res.write(`${JSON.stringify(jsonSafe(value))}\n`);
      runImport(importContext, {
        memberId: BigInt(String(req.query.member)),
        kind: kind as ImportKind,
        file: req.body as Buffer,
        dryRun: req.query.dryRun === "true",
        onProgress: (done, total) => {
          if (done < total && Date.now() - last < 100) return;
          last = Date.now();
          line({ progress: { done, total } });
        },
      }).then(
        (report) => res.end(`${JSON.stringify(jsonSafe({ report }))}\n`),
        (error: { name?: string; shortMessage?: string; message?: string; code?: string; fileDetails?: unknown }) => {
          parameters.logger.warn({ err: error }, "import failed");
          res.end(`${JSON.stringify(jsonSafe({ error: { name: error.name, code: error.code ?? null, message: error.shortMessage ?? error.message, details: error.fileDetails ?? null } }))}\n`);
        },
      );
    });
  }
  // `firstmile eudr check`: the files are read here by path (the socket is the operator's user only).
  const eudrChecks = parameters.eudrChecks;
  if (eudrChecks) {
    app.post("/eudr-checks", (req, res, next) => {
      readEudrCheckJob(req.body)
        .then((job) => runEudrCheck(eudrChecks, job))
        .then(
          (result) => res.json(jsonSafe({ result })),
          (error: unknown) => {
            if (!(error instanceof EudrInputError)) return next(error);
            res.status(400).json({ error: { name: error.name, code: error.code, source: error.source, message: error.shortMessage, advice: [] } });
          },
        );
    });
  }
  app.post("/members/:id/tokens", run(async (req) => ({ token: await issueMemberToken(admin, memberIdOf(req.params.id), String(req.body?.label ?? "")) })));
  // `firstmile members enrol-phone`: a one-time link for a field agent's phone (docs/field-app.md).
  app.post("/members/:id/enrolments", run(async (req) => {
    const enrolment = await createEnrolment(admin.db, memberIdOf(req.params.id), String(req.body?.label ?? "").slice(0, 80), Number(req.body?.ttlMinutes ?? 24 * 60));
    return { token: enrolment.token, expiresAt: enrolment.expiresAt.toISOString(), publicUrl: parameters.publicUrl ?? null };
  }));
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = error as { name?: string; shortMessage?: string; message?: string; metaMessages?: string[] };
    parameters.logger.warn({ err: error }, "control command failed");
    res.status(error instanceof z.ZodError ? 400 : 500).json({ error: { name: e.name ?? "Error", message: e.shortMessage ?? e.message ?? String(error), advice: e.metaMessages ?? [] } });
  });
  const server = http.createServer(app);
  const reachable = reachableSocketPath(file);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(reachable.path, () => resolve());
    });
  } finally {
    // Bound: the socket is in the data dir now, whatever path it was bound by.
    reachable.release();
  }
  fs.chmodSync(file, 0o600);
  return {
    file,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          fs.rmSync(file, { force: true });
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

function answers(file: string): Promise<boolean> {
  const reachable = reachableSocketPath(file);
  return new Promise<boolean>((resolve) => {
    const socket = net.connect(reachable.path);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  }).finally(() => reachable.release());
}

function memberIdOf(text: string | string[] | undefined): bigint {
  if (typeof text !== "string" || !/^\d{1,19}$/.test(text)) throw new z.ZodError([{ code: "custom", path: ["id"], message: "a member id", input: text }]);
  return BigInt(text);
}

function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, inner) => (typeof inner === "bigint" ? inner.toString() : inner)));
}

import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { EudrInputError } from "./errors";
import { parsePlotSelection } from "./plotSelection";
import type { RunEudrCheckParameters } from "./runCheck";

/**
 * A check as `firstmile eudr check` sends it to the running gateway's control socket: the
 * selection as typed, the datasets by absolute path (the socket is local and the operator's own),
 * the monitor's member id.
 */
export const eudrCheckJobSchema = z
  .object({
    plots: z.string().min(1),
    forest2020: z.string().min(1),
    loss: z.string().min(1),
    monitor: z.string().regex(/^[1-9]\d{0,18}$/).nullable(),
    minCoverage: z.number().optional(),
  })
  .strict();
export type EudrCheckJob = z.infer<typeof eudrCheckJobSchema>;

/** Reads the job's files; a missing one is an input error naming it. */
export async function readEudrCheckJob(body: unknown): Promise<RunEudrCheckParameters> {
  const job = eudrCheckJobSchema.parse(body);
  const read = async (file: string) => {
    try {
      return { name: path.basename(file), bytes: new Uint8Array(await fs.promises.readFile(file)) };
    } catch (error) {
      throw new EudrInputError("unreadable_file", path.basename(file), `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  };
  return {
    plots: parsePlotSelection(job.plots),
    forest2020: await read(job.forest2020),
    loss: await read(job.loss),
    monitor: job.monitor === null ? null : BigInt(job.monitor),
    minCoverage: job.minCoverage,
  };
}

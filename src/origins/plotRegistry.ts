import type { Database, Queryable } from "../db";
import { SQLSTATE, sqlState } from "../db";
import { DEFAULT_MAX_YIELDS_KG_PER_HA, type MaxYields } from "./capacity";
import { MAX_POINT_AREA_M2, boundsOf, plotAreaM2, type PlotGeometry } from "./geometry";
import { DEFAULT_OVERLAP_THRESHOLD, overlapShare } from "./overlap";
import { farmersOfMember, isMemberPrivateEvidence } from "./plotFarmers";
import { PlotIndex, type Bounds, type IndexEntry } from "./plotIndex";
import {
  PlotRegistrationError,
  archivePlotVersion,
  getPlotVersions,
  insertPlotVersions,
  listPlots,
  loadPlotVersions,
  newPlotId,
  plotVersionRow,
  storedPlotOf,
  supersedePlotVersion,
  type ListPlotsParameters,
  type PlotVersionRow,
  type StoredPlot,
  type Tenure,
} from "./plotStore";
import { Serial } from "./serial";

/** Where a rule was broken: the input's field and what is wrong with it. */
export type PlotIssue = { path: string; message: string };

/** The plot breaks a rule of its own (area, point size, names): nothing is written. */
export class PlotRuleError extends PlotRegistrationError {
  override name = "PlotRuleError";
  constructor(readonly issues: PlotIssue[]) {
    super(issues.map((issue) => `${issue.path}: ${issue.message}`).join("; "));
  }
}

/** The farmer is not one of this cooperative's (or its record is archived). */
export class PlotFarmerError extends PlotRegistrationError {
  override name = "PlotFarmerError";
}

/** The tenure evidence is not private evidence this cooperative stored. */
export class PlotEvidenceError extends PlotRegistrationError {
  override name = "PlotEvidenceError";
}

/** The outline overlaps other plots of the network by more than the threshold. */
export class PlotOverlapError extends PlotRegistrationError {
  override name = "PlotOverlapError";
  constructor(
    readonly overlaps: Array<{ plotId: string; share: number }>,
    readonly threshold: number,
  ) {
    const first = overlaps[0]!;
    super(
      `the plot overlaps plot ${first.plotId} by ${percent(first.share)} of the smaller plot (more than ${percent(threshold)} is refused)` +
        (overlaps.length > 1 ? `, and ${overlaps.length - 1} other plot${overlaps.length > 2 ? "s" : ""}` : ""),
    );
  }
}

/** The cooperative's own reference already names another live plot of it. */
export class PlotRefTakenError extends PlotRegistrationError {
  override name = "PlotRefTakenError";
}

export class PlotNotFoundError extends PlotRegistrationError {
  override name = "PlotNotFoundError";
}

export class PlotArchivedError extends PlotRegistrationError {
  override name = "PlotArchivedError";
}

const percent = (share: number) => `${Math.round(share * 1000) / 10} %`;

/** Who a plot belongs to: a farmer record of the cooperative, or (older plots) a free-text reference. */
export type PlotOwner = { farmerId: string } | { farmerRef: string };

export type PlotInput = {
  owner: PlotOwner;
  /** Already checked by `plotGeometrySchema` (ranges, closed rings, six decimals, no crossing). */
  geometry: PlotGeometry;
  /** The area a point stands for (required for a point, at most 4 ha); kept as declared for an outline. */
  declaredAreaM2?: number | null | undefined;
  country: string;
  province: string;
  district: string;
  tenure?: Tenure | undefined;
  tenureEvidenceCid?: string | null | undefined;
  /** The cooperative's own reference for the plot (a field book number), unique among its live plots. */
  ref?: string | null | undefined;
  /**
   * Only for a plot registered offline on a field agent's phone (docs/field-app.md): the id and salt
   * the phone chose, so the origin commitment its deliveries carry is the one the gateway stores.
   */
  offline?: { plotId: string; salt: string } | undefined;
};

export type PlotPatch = Partial<Omit<PlotInput, "owner">> & { owner?: PlotOwner | undefined };

/** A plot's current version and every version before it. */
export type PlotWithVersions = { current: StoredPlot; versions: StoredPlot[] };

/** What the capacity rule knows of the plot a delivery's origin names. */
export type PlotOrigin = { plotId: string; memberId: bigint; areaM2: number; archived: boolean };

type Entry = IndexEntry & {
  plotId: string;
  memberId: bigint;
  owner: string;
  geometry: PlotGeometry;
  areaM2: number;
  /** Geometry (and a point's area) as text: equal keys are the same plot drawn twice. */
  shapeKey: string;
};

/** A chunk of inputs checked: errors filled in, rows to write (in the index already), duplicates to answer. */
type PreparedChunk = {
  results: RegisterManyResult[];
  rows: Array<{ index: number; row: PlotVersionRow; entry: Entry }>;
  duplicates: Array<{ index: number; plotId: string }>;
};

/** A dry run's plots: checked against, never written. */
type Overlay = { index: PlotIndex<Entry>; rows: Map<string, PlotVersionRow> };

type Shape = { geometry: PlotGeometry; areaM2: number; bounds: Bounds; shapeKey: string };

export type PlotRegistryOptions = {
  /** Share of the smaller plot two plots may have in common (default 0.05). */
  overlapThreshold?: number | undefined;
  /** Max yields per form, kg per ha per year (the capacity rule). */
  maxYields?: MaxYields | undefined;
  /** Called after each overlap check with its duration and the candidates the index gave (metrics, the benchmark). */
  onOverlapCheck?: ((ms: number, candidates: number) => void) | undefined;
};

/** The outcome for one input of `registerMany`. */
export type RegisterManyResult = { plot: StoredPlot; created: boolean } | { error: PlotRegistrationError };

/**
 * The cooperatives' plots with their rules: a plot belongs to a farmer of the registering
 * cooperative; a point stands for at most 4 ha; a plot may not overlap another plot of the network
 * by more than the threshold (an exact duplicate of the same farmer's plot is that plot); an update
 * writes a new version with a new commitment; an archived plot leaves the overlap check.
 *
 * Holds the overlap index (every live plot's current version, loaded from SQL at start) and the
 * plot of every commitment ever issued (the capacity rule reads it). Registrations, updates and
 * archivals run one at a time, so the check and the insert see the same plots.
 */
export class PlotRegistry {
  readonly overlapThreshold: number;
  readonly maxYields: MaxYields;
  readonly #db: Database;
  readonly #index: PlotIndex<Entry>;
  readonly #entries = new Map<string, Entry>();
  readonly #origins = new Map<string, PlotOrigin>();
  readonly #plots = new Map<string, PlotOrigin>();
  readonly #serial = new Serial();
  readonly #onOverlapCheck: PlotRegistryOptions["onOverlapCheck"];

  private constructor(db: Database, versions: readonly StoredPlot[], options: PlotRegistryOptions) {
    this.#db = db;
    this.overlapThreshold = options.overlapThreshold ?? DEFAULT_OVERLAP_THRESHOLD;
    this.maxYields = options.maxYields ?? DEFAULT_MAX_YIELDS_KG_PER_HA;
    this.#onOverlapCheck = options.onOverlapCheck;
    const live: Entry[] = [];
    for (const version of versions) {
      this.#remember(version);
      if (version.supersededAt === null && version.archivedAt === null) {
        const entry = this.#entryOf(version);
        live.push(entry);
        this.#entries.set(version.plotId, entry);
      }
    }
    this.#index = new PlotIndex(live);
  }

  /** Loads every plot version from SQL and builds the overlap index. */
  static async load(db: Database, options: PlotRegistryOptions = {}): Promise<PlotRegistry> {
    return new PlotRegistry(db, await loadPlotVersions(db), options);
  }

  /** Live plots in the overlap index. */
  get size(): number {
    return this.#index.size;
  }

  /** The plot a delivery's origin commitment names (any version), or null when it is none of this gateway's. */
  originOf(commitment: string): PlotOrigin | null {
    const origin = this.#origins.get(commitment.toLowerCase());
    return origin ? this.#plots.get(origin.plotId)! : null;
  }

  /**
   * Registers a plot, or answers the same farmer's plot drawn identically before (`created: false`).
   *
   * @throws {PlotRuleError} @throws {PlotFarmerError} @throws {PlotEvidenceError}
   * @throws {PlotOverlapError} @throws {PlotRefTakenError}
   */
  register(memberId: bigint, input: PlotInput): Promise<{ plot: StoredPlot; created: boolean }> {
    return this.#serial.run(async () => {
      const prepared = await this.#prepareChunk(memberId, [input], null);
      const [result] = await this.#finishChunk(memberId, prepared, await this.#writeChunk(prepared), null);
      if ("error" in result!) throw result.error;
      return result!;
    });
  }

  /**
   * Registers many plots (an import), each checked as `register` would, and against the ones
   * before it in `inputs`. One result per input; the good ones are written in one statement per
   * chunk, each chunk's insert running on the database's thread while the next chunk is checked.
   * With `dryRun` nothing is written and the index is left as it was.
   */
  async registerMany(
    memberId: bigint,
    inputs: readonly PlotInput[],
    options: { dryRun?: boolean; chunk?: number; onChunk?: (done: number) => void } = {},
  ): Promise<RegisterManyResult[]> {
    const size = options.chunk ?? 500;
    const results: RegisterManyResult[] = [];
    const report = (done: RegisterManyResult[]) => {
      results.push(...done);
      options.onChunk?.(results.length);
    };
    if (options.dryRun) {
      // Each input is checked against the plots written and the file's inputs before it.
      const overlay: Overlay = { index: new PlotIndex<Entry>(), rows: new Map() };
      for (let start = 0; start < inputs.length; start += size) {
        const part = inputs.slice(start, start + size);
        report(await this.#serial.run(async () => this.#finishChunk(memberId, await this.#prepareChunk(memberId, part, overlay), new Map(), overlay)));
      }
      return results;
    }
    let inFlight: { prepared: PreparedChunk; written: Promise<Map<string, Date>> } | null = null;
    const settle = async (flight: NonNullable<typeof inFlight>, next: PreparedChunk | null) => {
      try {
        return await this.#finishChunk(memberId, flight.prepared, await flight.written, null);
      } catch (failure) {
        // The next chunk was checked against this one's plots: it goes too.
        for (const item of next?.rows ?? []) this.#index.remove(item.entry);
        throw failure;
      }
    };
    for (let start = 0; start < inputs.length; start += size) {
      const part = inputs.slice(start, start + size);
      const done = await this.#serial.run(async () => {
        const prepared = await this.#prepareChunk(memberId, part, null);
        const previous = inFlight ? await settle(inFlight, prepared) : null;
        const written = this.#writeChunk(prepared);
        written.catch(() => undefined); // awaited by the next round; never an unhandled rejection meanwhile
        inFlight = { prepared, written };
        return previous;
      });
      if (done) report(done);
    }
    if (inFlight) report(await this.#serial.run(() => settle(inFlight!, null)));
    return results;
  }

  /** A chunk's checks: errors per input, the rows to write (already in the index), the duplicates found. */
  async #prepareChunk(memberId: bigint, inputs: readonly PlotInput[], overlay: Overlay | null): Promise<PreparedChunk> {
    const results: RegisterManyResult[] = new Array(inputs.length);
    const { errors: checked, takenRefs } = await this.#checkAgainstDatabase(memberId, inputs);
    const rows: PreparedChunk["rows"] = [];
    const duplicates: PreparedChunk["duplicates"] = [];
    const refs = new Set<string>();
    inputs.forEach((input, index) => {
      const error = checked[index];
      if (error) return void (results[index] = { error });
      try {
        const row = this.#newVersionRow(memberId, input, input.offline?.plotId ?? newPlotId(), 1);
        if (row.ref !== null) {
          if (refs.has(row.ref)) throw new PlotRefTakenError(`ref ${JSON.stringify(row.ref)} already names another plot of this cooperative`);
          refs.add(row.ref);
        }
        const entry = this.#entryOf(row);
        const duplicate = this.#checkOverlap(entry, null, overlay?.index ?? null);
        if (duplicate) return void duplicates.push({ index, plotId: duplicate.plotId });
        if (row.ref !== null && takenRefs.has(row.ref)) throw new PlotRefTakenError(`ref ${JSON.stringify(row.ref)} already names another plot of this cooperative`);
        if (overlay) {
          overlay.index.add(entry);
          overlay.rows.set(row.plotId, row);
        } else this.#index.add(entry);
        rows.push({ index, row, entry });
      } catch (failure) {
        if (!(failure instanceof PlotRegistrationError)) throw failure;
        results[index] = { error: failure };
      }
    });
    return { results, rows, duplicates };
  }

  /** Writes a chunk's rows; on failure takes them out of the index again. Answers when each was registered. */
  async #writeChunk(prepared: PreparedChunk): Promise<Map<string, Date>> {
    if (prepared.rows.length === 0) return new Map();
    try {
      const registered = await insertPlotVersions(this.#db, prepared.rows.map((item) => item.row));
      for (const { row, entry } of prepared.rows) {
        this.#entries.set(row.plotId, entry);
        this.#remember(row);
      }
      return registered;
    } catch (failure) {
      for (const item of prepared.rows) this.#index.remove(item.entry);
      throw refTaken(failure) ?? failure;
    }
  }

  /** A chunk's results once written (or, in a dry run, checked). */
  async #finishChunk(memberId: bigint, prepared: PreparedChunk, registered: Map<string, Date>, overlay: Overlay | null): Promise<RegisterManyResult[]> {
    const { results } = prepared;
    const now = new Date();
    for (const { index, row } of prepared.rows) results[index] = { plot: storedPlotOf(row, registered.get(row.commitment) ?? now), created: true };
    for (const duplicate of prepared.duplicates) {
      // A dry run's earlier input has no row in SQL: it is the plot this one duplicates.
      const earlier = overlay?.rows.get(duplicate.plotId);
      const plot = earlier ? storedPlotOf(earlier, now) : (await this.get(memberId, duplicate.plotId))?.current;
      results[duplicate.index] = plot ? { plot, created: false } : { error: new PlotNotFoundError(`plot ${duplicate.plotId} was archived meanwhile`) };
    }
    return results;
  }

  /** The checks that read SQL, for a chunk at once: the farmers are this cooperative's, the evidence too, refs free. */
  async #checkAgainstDatabase(memberId: bigint, inputs: readonly PlotInput[]): Promise<{ errors: Array<PlotRegistrationError | undefined>; takenRefs: Set<string> }> {
    const ids = inputs.flatMap((input) => ("farmerId" in input.owner ? [input.owner.farmerId] : []));
    const farmers = await farmersOfMember(this.#db, memberId, { ids });
    const refs = inputs.flatMap((input) => (input.ref?.trim() ? [input.ref.trim()] : []));
    const taken = new Set<string>();
    if (refs.length > 0) {
      const { rows } = await this.#db.query<{ ref: string }>(
        `select p.ref from unnest($2::text[]) as v(ref)
           join origin_plots p on p.member_id = $1 and p.ref = v.ref and p.superseded_at is null and p.archived_at is null`,
        [memberId, refs],
      );
      for (const row of rows) taken.add(row.ref);
    }
    const errors = await Promise.all(
      inputs.map(async (input) => {
        if ("farmerId" in input.owner) {
          const farmer = farmers.get(input.owner.farmerId);
          if (!farmer) return new PlotFarmerError(`no farmer ${input.owner.farmerId} of this cooperative`);
          if (farmer.archived) return new PlotFarmerError(`farmer ${input.owner.farmerId} is archived: a plot belongs to a current farmer`);
        }
        if (input.tenureEvidenceCid && !(await isMemberPrivateEvidence(this.#db, memberId, input.tenureEvidenceCid))) {
          return new PlotEvidenceError(`tenure evidence ${input.tenureEvidenceCid} is not private evidence of this cooperative (store it first)`);
        }
        return undefined;
      }),
    );
    return { errors, takenRefs: taken };
  }

  /**
   * A new version of a plot: new geometry, area, tenure, farmer, names or ref, a new salt and so a
   * new commitment; the plot keeps its id and its earlier versions (the deliveries that carry
   * them). A patch that changes nothing answers the current version (`created: false`).
   */
  update(memberId: bigint, plotId: string, patch: PlotPatch): Promise<{ plot: StoredPlot; created: boolean }> {
    return this.#serial.run(async () => {
      const current = await this.#current(memberId, plotId);
      if (current.archivedAt) throw new PlotArchivedError(`plot ${plotId} is archived: register a new plot instead`);
      const owner: PlotOwner = patch.owner ?? (current.farmerId ? { farmerId: current.farmerId } : { farmerRef: current.farmerRef });
      const input: PlotInput = {
        owner,
        geometry: patch.geometry ?? current.geometry,
        declaredAreaM2: patch.declaredAreaM2 !== undefined ? patch.declaredAreaM2 : patch.geometry && patch.geometry.type !== "Point" ? null : current.declaredAreaM2,
        country: patch.country ?? current.country,
        province: patch.province ?? current.province,
        district: patch.district ?? current.district,
        tenure: patch.tenure ?? current.tenure,
        tenureEvidenceCid: patch.tenureEvidenceCid !== undefined ? patch.tenureEvidenceCid : current.tenureEvidenceCid,
        ref: patch.ref !== undefined ? patch.ref : current.ref,
      };
      const changedRef = input.ref !== current.ref;
      const { errors, takenRefs } = await this.#checkAgainstDatabase(memberId, [{ ...input, ref: changedRef ? input.ref : null }]);
      if (errors[0]) throw errors[0];
      if (changedRef && input.ref && takenRefs.has(input.ref.trim())) throw new PlotRefTakenError(`ref ${JSON.stringify(input.ref)} already names another plot of this cooperative`);
      const row = this.#newVersionRow(memberId, input, plotId, current.version + 1);
      if (sameContent(row, current)) return { plot: current, created: false };
      const entry = this.#entryOf(row);
      this.#checkOverlap(entry, plotId, null, true);
      const previous = this.#entries.get(plotId);
      const registered = await this.#db.transaction(async (tx) => {
        if (!(await supersedePlotVersion(tx, plotId, current.version))) throw new PlotNotFoundError(`plot ${plotId} changed meanwhile: read it again`);
        return insertPlotVersions(tx, [row]).catch((failure: unknown) => {
          throw refTaken(failure) ?? failure;
        });
      });
      if (previous) this.#index.remove(previous);
      this.#index.add(entry);
      this.#entries.set(plotId, entry);
      this.#remember(row);
      return { plot: storedPlotOf(row, registered.get(row.commitment) ?? new Date()), created: true };
    });
  }

  /** Archives a plot: it leaves the overlap check and takes no more deliveries; its versions stay readable. */
  archive(memberId: bigint, plotId: string): Promise<StoredPlot> {
    return this.#serial.run(async () => {
      const current = await this.#current(memberId, plotId);
      const archivedAt = await archivePlotVersion(this.#db, plotId);
      const entry = this.#entries.get(plotId);
      if (entry) this.#index.remove(entry);
      this.#entries.delete(plotId);
      const known = this.#plots.get(plotId);
      if (known) known.archived = true;
      return { ...current, archivedAt };
    });
  }

  /** A plot of this cooperative with its versions, or null (another cooperative's plot is null too). */
  async get(memberId: bigint, plotId: string): Promise<PlotWithVersions | null> {
    const versions = await getPlotVersions(this.#db, plotId);
    const current = versions.find((version) => version.supersededAt === null);
    if (!current || current.memberId !== memberId) return null;
    return { current, versions };
  }

  list(parameters: ListPlotsParameters): Promise<StoredPlot[]> {
    return listPlots(this.#db, parameters);
  }

  async #current(memberId: bigint, plotId: string): Promise<StoredPlot> {
    const plot = await this.get(memberId, plotId);
    if (!plot) throw new PlotNotFoundError(`no plot ${plotId} of this cooperative`);
    return plot.current;
  }

  /** The version row of an input, after the rules that need no database: area, point size, names. */
  #newVersionRow(memberId: bigint, input: PlotInput, plotId: string, version: number): PlotVersionRow {
    const issues: PlotIssue[] = [];
    const country = input.country.trim().toUpperCase();
    if (!/^[A-Z]{2}$/.test(country)) issues.push({ path: "country", message: `not an ISO 3166-1 alpha-2 country code: ${JSON.stringify(input.country)}` });
    for (const key of ["province", "district"] as const) {
      const value = input[key].trim();
      if (value.length === 0 || value.length > 120) issues.push({ path: key, message: "1 to 120 characters" });
    }
    const declared = input.declaredAreaM2 == null ? null : Math.round(input.declaredAreaM2);
    if (declared !== null && !(Number.isFinite(declared) && declared >= 1)) issues.push({ path: "declaredAreaHa", message: "a positive area" });
    let areaM2: number;
    if (input.geometry.type === "Point") {
      areaM2 = declared ?? 0;
      if (declared === null) issues.push({ path: "declaredAreaHa", message: "a point plot needs its declared area (at most 4 ha)" });
      else if (declared > MAX_POINT_AREA_M2) {
        issues.push({
          path: "geometry",
          message: `a plot of ${round2(declared / 10_000)} ha needs a polygon: a single point is accepted only up to 4 ha (EUDR Art. 2(28), 9(1)(d))`,
        });
      }
    } else {
      areaM2 = Math.round(plotAreaM2(input.geometry));
      if (areaM2 < 1) issues.push({ path: "geometry", message: "the outline encloses no area" });
    }
    const ref = input.ref?.trim() || null;
    if (ref !== null && ref.length > 64) issues.push({ path: "ref", message: "at most 64 characters" });
    if (input.tenureEvidenceCid && (input.tenure ?? "none") === "none") issues.push({ path: "tenureEvidenceCid", message: "evidence of a tenure needs the tenure: title or customary" });
    if (issues.length > 0) throw new PlotRuleError(issues);
    const farmerId = "farmerId" in input.owner ? input.owner.farmerId : null;
    return plotVersionRow({
      plotId,
      version,
      memberId,
      farmerId,
      farmerRef: farmerId ?? (input.owner as { farmerRef: string }).farmerRef,
      ref,
      geometry: input.geometry,
      country,
      province: input.province.trim(),
      district: input.district.trim(),
      areaM2,
      declaredAreaM2: declared,
      tenure: input.tenure ?? "none",
      tenureEvidenceCid: input.tenureEvidenceCid ?? null,
      salt: version === 1 ? input.offline?.salt : undefined,
    });
  }

  /**
   * Refuses a shape that overlaps another live plot (`exclude`: the plot being updated) by more
   * than the threshold; returns the plot it duplicates exactly (same cooperative, same farmer,
   * same geometry), if any. `overlay`: a dry run's plots not written.
   */
  #checkOverlap(shape: Entry, exclude: string | null, overlay: PlotIndex<Entry> | null, duplicatesOverlap = false): Entry | null {
    if (!this.#onOverlapCheck) return this.#findOverlap(shape, exclude, overlay, duplicatesOverlap).duplicate;
    const started = performance.now();
    let candidates = 0;
    try {
      const found = this.#findOverlap(shape, exclude, overlay, duplicatesOverlap);
      candidates = found.candidates;
      return found.duplicate;
    } finally {
      this.#onOverlapCheck(performance.now() - started, candidates);
    }
  }

  #findOverlap(shape: Entry, exclude: string | null, overlay: PlotIndex<Entry> | null, duplicatesOverlap: boolean): { duplicate: Entry | null; candidates: number } {
    const candidates = this.#index.search(shape.bounds);
    if (overlay) candidates.push(...overlay.search(shape.bounds));
    const overlaps: Array<{ plotId: string; share: number }> = [];
    for (const candidate of candidates) {
      if (candidate.plotId === exclude) continue;
      if (!duplicatesOverlap && candidate.shapeKey === shape.shapeKey && candidate.memberId === shape.memberId && candidate.owner === shape.owner) {
        return { duplicate: candidate, candidates: candidates.length };
      }
      const share = overlapShare(candidate, shape);
      if (share > this.overlapThreshold) overlaps.push({ plotId: candidate.plotId, share });
    }
    if (overlaps.length > 0) throw new PlotOverlapError(overlaps.sort((a, b) => b.share - a.share), this.overlapThreshold);
    return { duplicate: null, candidates: candidates.length };
  }

  #entryOf(plot: Pick<PlotVersionRow, "plotId" | "memberId" | "farmerId" | "farmerRef" | "geometry" | "areaM2" | "declaredAreaM2">): Entry {
    const shape = shapeOf(plot.geometry, plot.areaM2, plot.declaredAreaM2);
    return { ...shape, alive: true, plotId: plot.plotId, memberId: plot.memberId, owner: plot.farmerId ?? `ref:${plot.farmerRef}` };
  }

  #remember(version: Pick<PlotVersionRow, "plotId" | "memberId" | "commitment" | "areaM2"> & { supersededAt?: Date | null; archivedAt?: Date | null }): void {
    const current = !version.supersededAt;
    let plot = this.#plots.get(version.plotId);
    if (!plot) {
      plot = { plotId: version.plotId, memberId: version.memberId, areaM2: version.areaM2, archived: false };
      this.#plots.set(version.plotId, plot);
    }
    if (current) {
      plot.areaM2 = version.areaM2;
      plot.archived = Boolean(version.archivedAt);
    }
    this.#origins.set(version.commitment.toLowerCase(), plot);
  }
}

function shapeOf(geometry: PlotGeometry, areaM2: number, declaredAreaM2: number | null): Shape {
  const key = JSON.stringify(geometry);
  return { geometry, areaM2, bounds: boundsOf(geometry), shapeKey: geometry.type === "Point" ? `${key}|${declaredAreaM2}` : key };
}

/** Whether a new version would say what the current one says (then no version is written). */
function sameContent(row: PlotVersionRow, current: StoredPlot): boolean {
  return (
    JSON.stringify(row.geometry) === JSON.stringify(current.geometry) &&
    row.farmerId === current.farmerId &&
    row.farmerRef === current.farmerRef &&
    row.ref === current.ref &&
    row.country === current.country &&
    row.province === current.province &&
    row.district === current.district &&
    row.declaredAreaM2 === current.declaredAreaM2 &&
    row.tenure === current.tenure &&
    row.tenureEvidenceCid === current.tenureEvidenceCid
  );
}

function refTaken(failure: unknown): PlotRefTakenError | null {
  if (sqlState(failure) === SQLSTATE.uniqueViolation && /origin_plots_ref/.test(String((failure as Error).message) + String((failure as { constraint?: string }).constraint))) {
    return new PlotRefTakenError("ref already names another plot of this cooperative");
  }
  return null;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

export type { Queryable };

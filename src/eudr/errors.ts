import { BaseError } from "../errors";

/**
 * A dataset the check cannot use (not a GeoTIFF, a projected or rotated grid, several bands, an
 * alert without a date...), or a plot selection it cannot resolve. Nothing has been written when
 * it is thrown: every input is read and checked before the report is stored.
 */
export class EudrInputError extends BaseError {
  override name = "EudrInputError";
  /** What was wrong: `not_geotiff`, `wrong_crs`, `bad_alerts`, `unknown_plots`... */
  readonly code: string;
  /** The file (its name as given) or the field the problem is in. */
  readonly source: string;

  constructor(code: string, source: string, message: string) {
    super(`${source}: ${message}`);
    this.code = code;
    this.source = source;
  }
}

/**
 * The sphere the check measures on: the same radius `@turf/area` uses for plot areas (the mean
 * Earth radius), so a pixel's area and a plot's area are in the same units.
 */
export const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;
/** Metres in one degree of latitude (and of longitude at the equator) on that sphere. */
export const M_PER_DEGREE = EARTH_RADIUS_M * RAD;

/** Area in m² of a cell `dxDeg` wide between two latitudes: exact on the sphere. */
export function cellAreaM2(dxDeg: number, southDeg: number, northDeg: number): number {
  return EARTH_RADIUS_M * EARTH_RADIUS_M * dxDeg * RAD * Math.abs(Math.sin(northDeg * RAD) - Math.sin(southDeg * RAD));
}

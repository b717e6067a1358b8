import { randomBytes } from "node:crypto";
import { keccak256, toUtf8Bytes } from "ethers";
import { canonicalJson } from "../encoding/canonicalJson";
import type { PlotGeometry } from "./geometry";

export type PlotRecord = {
  geometry: PlotGeometry;
  /** The cooperative's own reference for the farmer (member number, not a name). */
  farmerRef: string;
  /** 32 random bytes, 0x hex: without it anyone could test guesses of a plot against the chain. */
  salt: string;
};

/** A fresh salt for a plot record. */
export function newPlotSalt(): string {
  return `0x${randomBytes(32).toString("hex")}`;
}

/**
 * The commitment a delivery carries on chain as its `origin`: keccak-256 of the plot record as
 * canonical JSON (sorted keys). Whoever holds the record can prove the link; the chain learns
 * nothing of the plot.
 */
export function plotCommitment(record: PlotRecord): string {
  return keccak256(toUtf8Bytes(canonicalJson({ farmerRef: record.farmerRef, geometry: record.geometry, salt: record.salt.toLowerCase() })));
}

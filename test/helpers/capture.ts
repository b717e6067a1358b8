import { PassThrough } from "node:stream";

/** A stdout and a stderr to hand to a command, and what was written to each so far. */
export function captureStreams(): { stdout: PassThrough; stderr: PassThrough; text(): { out: string; err: string } } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (chunk: Buffer) => out.push(chunk));
  stderr.on("data", (chunk: Buffer) => err.push(chunk));
  return { stdout, stderr, text: () => ({ out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() }) };
}

import fs from "node:fs";
import path from "node:path";
import { base32upper } from "multiformats/bases/base32";
import type { CID } from "multiformats/cid";

/**
 * Blocks as files, in blockstore-fs's `NextToLast` layout so stores written by earlier versions
 * (and by go-ipfs's flatfs, which it mirrors) read unchanged: the file is named by the block's
 * multihash in upper-case base32 with `.data`, in a folder named by the name's last two characters.
 *
 * Writes are synchronous, one call each: blockstore-fs's asynchronous put took a mkdir, an open,
 * a write, a close and a rename through libuv's four-thread pool for every block, and the file
 * system creates files one at a time whatever the concurrency (0.7 to 0.85 ms a file here at 1 to
 * 16 in flight). A block holds the event loop for one write and one rename (0.1 to 1 ms for
 * 256 KiB on this VM's disk); the store lets other requests run every 16 blocks, as it does
 * when it reads.
 */
export class BlockFiles {
  private readonly knownFolders = new Set<string>();
  private temporaries = 0;

  /**
   * @param root       the folder holding the shard folders
   * @param scratchDir where a block is written before it is renamed into place: on the same file
   *                   system, and emptied when the store opens, so a crash mid-write leaves no
   *                   half-written block anywhere a reader looks
   */
  constructor(
    readonly root: string,
    private readonly scratchDir: string,
  ) {}

  /** Where the block with this multihash lives, whatever its codec. */
  location(cid: CID): { folder: string; file: string } {
    const name = base32upper.encoder.encode(cid.multihash.bytes);
    const folder = path.join(this.root, name.slice(-2));
    return { folder, file: path.join(folder, `${name}.data`) };
  }

  pathOf(cid: CID): string {
    return this.location(cid).file;
  }

  /** Writes the block, replacing any file of the same name (which, if intact, holds the same bytes). */
  write(cid: CID, bytes: Uint8Array): void {
    const { folder, file } = this.location(cid);
    if (!this.knownFolders.has(folder)) {
      fs.mkdirSync(folder, { recursive: true });
      this.knownFolders.add(folder);
    }
    const temporary = path.join(this.scratchDir, `block-${process.pid}-${++this.temporaries}.tmp`);
    fs.writeFileSync(temporary, bytes);
    try {
      fs.renameSync(temporary, file);
    } catch (error) {
      // The shard folder went away under us (removed by hand): make it again, once.
      if ((error as { code?: unknown }).code !== "ENOENT" || !fs.existsSync(temporary)) throw error;
      this.knownFolders.delete(folder);
      fs.mkdirSync(folder, { recursive: true });
      fs.renameSync(temporary, file);
    }
  }
}

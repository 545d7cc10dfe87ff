// A directory as an image layer: a tar stream of everything under it, in a
// stable (sorted) order, with modes, owners, times, symlinks, hard links and
// device nodes kept, and paths relative to the directory (no leading `./`).
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack, type Header, type Pack } from 'tar-stream';

/** What pack.entry() takes: any header fields, the name always. */
type EntryHeader = Partial<Header> & { name: string };

export interface PackOptions {
  /** Record every entry as owned by this uid/gid instead of the owner on disk. */
  owner?: { uid: number; gid: number };
}

/**
 * A tar stream of `dir`'s contents (not of `dir` itself: the image's root
 * directory gets its mode from the runtime, never from a temp dir's 0700).
 * Errors while walking end the stream with that error.
 */
export function packDirectory(dir: string, options: PackOptions = {}): Readable {
  const pack = tarPack();
  void walkInto(pack, dir, options).then(
    () => pack.finalize(),
    (err: Error) => pack.destroy(err),
  );
  // streamx streams iterate like Node's; wrapping gives callers an ordinary Readable.
  return Readable.from(pack as unknown as AsyncIterable<Buffer>, { objectMode: false });
}

async function walkInto(pack: Pack, root: string, options: PackOptions): Promise<void> {
  // dev:ino of files with several links → the first path written, so later ones become hard links.
  const seen = new Map<string, string>();
  const visit = async (rel: string): Promise<void> => {
    const names = (await readdir(rel ? join(root, rel) : root)).sort();
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const abs = join(root, path);
      const st = await lstat(abs);
      const base = headerBase(path, st, options);
      if (st.isDirectory()) {
        await addEntry(pack, { ...base, name: `${path}/`, type: 'directory' });
        await visit(path);
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? seen.get(key) : undefined;
        if (first !== undefined) {
          await addEntry(pack, { ...base, type: 'link', linkname: first });
        } else {
          if (st.nlink > 1) seen.set(key, path);
          const sink = pack.entry({ ...base, type: 'file', size: st.size });
          await pipeline(createReadStream(abs), sink);
        }
      } else if (st.isSymbolicLink()) {
        await addEntry(pack, { ...base, type: 'symlink', linkname: await readlink(abs) });
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const { major, minor } = splitDevice(st.rdev);
        await addEntry(pack, {
          ...base,
          type: st.isCharacterDevice() ? 'character-device' : 'block-device',
          devmajor: major,
          devminor: minor,
        });
      } else if (st.isFIFO()) {
        await addEntry(pack, { ...base, type: 'fifo' });
      }
      // Sockets cannot be archived; a live socket in a rootfs means nothing in an image anyway.
    }
  };
  await visit('');
}

function headerBase(name: string, st: Stats, options: PackOptions): EntryHeader {
  return {
    name,
    mode: st.mode & 0o7777,
    uid: options.owner?.uid ?? st.uid,
    gid: options.owner?.gid ?? st.gid,
    mtime: st.mtime,
  };
}

function addEntry(pack: Pack, header: EntryHeader): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, (err?: Error | null) => (err ? reject(err) : resolve()));
  });
}

/** Linux's dev_t encoding (glibc's gnu_dev_major/minor), for device nodes in a rootfs. */
export function splitDevice(rdev: number): { major: number; minor: number } {
  const dev = BigInt(rdev);
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return { major, minor };
}

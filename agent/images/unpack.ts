// Applying one layer tarball to an empty directory that overlayfs will use as
// a lowerdir. OCI whiteouts become overlay's own: `.wh.NAME` turns into a
// 0/0 character device NAME, `.wh..wh..opq` into the trusted.overlay.opaque
// xattr on its directory, so stacking the layer directories as lowerdirs
// gives the image's filesystem with no merging done by us.
//
// Entries are written with their archive owner, mode (setuid bits kept by
// chmod after chown), and mtime. Nothing is ever written outside the
// directory: `..` paths are refused and no entry is written through a
// symlink or hard-linked to a path reached through one.
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rm, symlink, unlink, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, type Header } from 'tar-stream';
import { DigestingStream, type Digest } from '../../lib/oci/digest.js';

const execFileP = promisify(execFile);

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';
/** xattr that makes an overlayfs directory hide the same directory in lower layers. */
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

export interface UnpackResult {
  /** sha256 of the uncompressed tar: compare with the config's rootfs.diff_ids. */
  diffId: Digest;
  entries: number;
  whiteouts: number;
  opaqueDirs: number;
}

/** A layer entry that cannot be applied safely or at all. */
export class LayerFormatError extends Error {
  override readonly name = 'LayerFormatError';
}

/**
 * The path of a tar entry relative to the layer root, '' for the root itself;
 * throws for paths that leave the root. Pure.
 */
export function cleanEntryPath(name: string): string {
  let p = name.replace(/^(\.?\/)+/, '');
  p = posix.normalize(p === '' ? '.' : p).replace(/\/+$/, '');
  if (p === '.' || p === '') return '';
  if (p === '..' || p.startsWith('../')) throw new LayerFormatError(`layer entry "${name}" points outside the layer`);
  return p;
}

export type WhiteoutKind = { kind: 'opaque'; dir: string } | { kind: 'remove'; target: string } | { kind: 'aufs-meta' } | undefined;

/** What a clean entry path means as a whiteout, if anything. Pure. */
export function whiteoutOf(path: string): WhiteoutKind {
  const base = posix.basename(path);
  if (!base.startsWith(WHITEOUT_PREFIX)) return undefined;
  const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
  if (base === OPAQUE_WHITEOUT) return { kind: 'opaque', dir };
  // `.wh..wh.plnk` and friends are AUFS bookkeeping with no meaning for overlay.
  if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return { kind: 'aufs-meta' };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..') throw new LayerFormatError(`layer entry "${path}" is a whiteout of nothing`);
  return { kind: 'remove', target: dir ? `${dir}/${name}` : name };
}

/** Compression from the first bytes; layers are gzip or plain tar. */
async function sniff(path: string): Promise<'gzip' | 'zstd' | 'tar'> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    await fh.read(head, 0, 4, 0);
    if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    if (head.equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
    return 'tar';
  } finally {
    await fh.close();
  }
}

/**
 * Unpacks the layer blob at `blobPath` (gzip or plain tar) into `dest`, an
 * existing empty directory. Not atomic by itself: the caller unpacks into a
 * temporary directory and renames it into place.
 */
export async function unpackLayer(blobPath: string, dest: string): Promise<UnpackResult> {
  const compression = await sniff(blobPath);
  if (compression === 'zstd') throw new LayerFormatError('zstd-compressed layers are not supported (Node 20 has no zstd); use gzip layers');
  const digesting = new DigestingStream();
  const extractor = tarExtract();
  const stages: (NodeJS.ReadableStream | NodeJS.ReadWriteStream)[] = [createReadStream(blobPath)];
  if (compression === 'gzip') stages.push(createGunzip());
  stages.push(digesting);
  const writer = new LayerWriter(dest);
  const piping = pipeline([...stages, extractor as unknown as NodeJS.WritableStream]);
  // Awaited below; marked handled now because it may fail while an entry is being written.
  piping.catch(() => undefined);
  let entries = 0;
  try {
    for await (const entry of extractor) {
      await writer.apply(entry.header, entry as unknown as Readable);
      entries++;
    }
    await piping;
  } catch (e) {
    await piping.catch(() => undefined);
    throw e;
  }
  await writer.finish();
  return { diffId: digesting.digest(), entries, whiteouts: writer.whiteouts, opaqueDirs: writer.opaqueCount };
}

interface DirMeta {
  mode: number;
  uid: number;
  gid: number;
  mtime?: Date;
}

const isRoot = process.getuid?.() === 0;

class LayerWriter {
  /** Relative paths known to be real directories (not symlinks) in this layer. */
  private readonly realDirs = new Set<string>(['']);
  /** Directory metadata applied last, so children can be written and mtimes stick. */
  private readonly dirMeta = new Map<string, DirMeta>();
  private readonly opaque = new Set<string>();
  whiteouts = 0;

  constructor(private readonly root: string) {}

  get opaqueCount(): number {
    return this.opaque.size;
  }

  private abs(rel: string): string {
    return rel === '' ? this.root : join(this.root, rel);
  }

  async apply(header: Header, data: Readable): Promise<void> {
    const rel = cleanEntryPath(header.name);
    const wh = whiteoutOf(rel);
    if (wh) {
      await drain(data);
      if (wh.kind === 'opaque') {
        await this.ensureDir(wh.dir);
        this.opaque.add(wh.dir);
      } else if (wh.kind === 'remove') {
        await this.ensureDir(parentOf(wh.target));
        // Per the OCI spec a whiteout only hides lower layers: the same layer's own entry wins.
        if (!(await exists(this.abs(wh.target)))) {
          await mknod(this.abs(wh.target), 'c', 0, 0, 0);
          this.whiteouts++;
        }
      }
      return;
    }
    switch (header.type) {
      case 'directory':
        await drain(data);
        if (rel !== '') {
          await this.ensureDir(parentOf(rel));
          await this.replace(rel, true);
          await mkdir(this.abs(rel), { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
            if (e.code !== 'EEXIST') throw e;
          });
          this.realDirs.add(rel);
        }
        this.dirMeta.set(rel, { mode: header.mode ?? 0o755, uid: header.uid ?? 0, gid: header.gid ?? 0, mtime: header.mtime });
        return;
      case 'file':
      case 'contiguous-file':
        return this.writeFile(rel, header, data);
      case 'symlink': {
        await drain(data);
        await this.ensureDir(parentOf(rel));
        await this.replace(rel, false);
        await symlink(header.linkname ?? '', this.abs(rel));
        await this.own(rel, header, false);
        return;
      }
      case 'link': {
        await drain(data);
        const target = cleanEntryPath(header.linkname ?? '');
        if (target === '') throw new LayerFormatError(`layer entry "${header.name}" hard-links the layer root`);
        await this.assertRealDirs(parentOf(target), header.name);
        const st = await lstat(this.abs(target)).catch(() => undefined);
        if (!st) throw new LayerFormatError(`layer entry "${header.name}" hard-links "${header.linkname}", which the layer does not hold`);
        if (st.isDirectory()) throw new LayerFormatError(`layer entry "${header.name}" hard-links a directory`);
        await this.ensureDir(parentOf(rel));
        if (rel === target) return;
        await this.replace(rel, false);
        await link(this.abs(target), this.abs(rel));
        return;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        await drain(data);
        await this.ensureDir(parentOf(rel));
        await this.replace(rel, false);
        const kind = header.type === 'fifo' ? 'p' : header.type === 'block-device' ? 'b' : 'c';
        await mknod(this.abs(rel), kind, header.devmajor ?? 0, header.devminor ?? 0, 0o600);
        await this.own(rel, header, true);
        return;
      }
      default:
        // Unknown entry types carry nothing a container could use.
        await drain(data);
    }
  }

  private async writeFile(rel: string, header: Header, data: Readable): Promise<void> {
    if (rel === '') throw new LayerFormatError(`layer entry "${header.name}" would replace the layer root with a file`);
    await this.ensureDir(parentOf(rel));
    await this.replace(rel, false);
    const fh = await open(this.abs(rel), 'wx', 0o600);
    try {
      for await (const chunk of data) await fh.write(chunk as Buffer);
      // chown before chmod: the kernel clears setuid/setgid bits on chown.
      if (isRoot) await fh.chown(header.uid ?? 0, header.gid ?? 0);
      await fh.chmod((header.mode ?? 0o644) & 0o7777);
      if (header.mtime) await fh.utimes(header.mtime, header.mtime);
    } finally {
      await fh.close();
    }
  }

  private async own(rel: string, header: Header, withMode: boolean): Promise<void> {
    const abs = this.abs(rel);
    if (isRoot) await lchown(abs, header.uid ?? 0, header.gid ?? 0);
    if (withMode) await chmod(abs, (header.mode ?? 0o644) & 0o7777);
    if (header.mtime) await lutimes(abs, header.mtime, header.mtime);
  }

  /** Makes `rel` and its parents real directories (0755 when implicit), refusing to go through anything else. */
  private async ensureDir(rel: string): Promise<void> {
    if (this.realDirs.has(rel)) return;
    await this.ensureDir(parentOf(rel));
    const abs = this.abs(rel);
    const st = await lstat(abs).catch(() => undefined);
    if (!st) {
      await mkdir(abs, { mode: 0o755 });
    } else if (!st.isDirectory()) {
      throw new LayerFormatError(`layer writes beneath "${rel}", which is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'} in the same layer`);
    }
    this.realDirs.add(rel);
  }

  /** Like ensureDir but creates nothing: for hard-link targets. */
  private async assertRealDirs(rel: string, entry: string): Promise<void> {
    if (this.realDirs.has(rel)) return;
    await this.assertRealDirs(parentOf(rel), entry);
    const st = await lstat(this.abs(rel)).catch(() => undefined);
    if (!st?.isDirectory()) throw new LayerFormatError(`layer entry "${entry}" hard-links through "${rel}", which is not a directory`);
    this.realDirs.add(rel);
  }

  /** Clears whatever is at `rel` so a new entry can take its place; an existing directory stays for a directory entry. */
  private async replace(rel: string, keepDirectory: boolean): Promise<void> {
    const abs = this.abs(rel);
    const st = await lstat(abs).catch(() => undefined);
    if (!st) return;
    if (st.isDirectory()) {
      if (keepDirectory) return;
      await rm(abs, { recursive: true, force: true });
      for (const d of this.realDirs) if (d === rel || d.startsWith(`${rel}/`)) this.realDirs.delete(d);
      for (const d of this.dirMeta.keys()) if (d === rel || d.startsWith(`${rel}/`)) this.dirMeta.delete(d);
      for (const d of this.opaque) if (d === rel || d.startsWith(`${rel}/`)) this.opaque.delete(d);
    } else {
      await unlink(abs);
    }
  }

  /** Opaque markers, then directory owners, modes and times deepest first (the root last). */
  async finish(): Promise<void> {
    for (const dir of this.opaque) await setOpaque(this.abs(dir));
    const dirs = [...this.realDirs].sort((a, b) => depth(b) - depth(a));
    for (const rel of dirs) {
      // Implicit directories (no entry of their own) get root:root 0755, like the layer root.
      const meta = this.dirMeta.get(rel) ?? { mode: 0o755, uid: 0, gid: 0 };
      const abs = this.abs(rel);
      if (isRoot) await lchown(abs, meta.uid, meta.gid);
      await chmod(abs, meta.mode & 0o7777);
      if (meta.mtime) await utimes(abs, meta.mtime, meta.mtime);
    }
  }
}

function parentOf(rel: string): string {
  const d = posix.dirname(rel);
  return d === '.' ? '' : d;
}

function depth(rel: string): number {
  return rel === '' ? 0 : rel.split('/').length;
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}

async function drain(data: Readable): Promise<void> {
  for await (const _ of data) {
    // Whiteouts, directories and links carry no data; anything there is discarded.
  }
}

/** Node has no mknod(2); coreutils' mknod makes device nodes, FIFOs and overlay whiteouts. */
async function mknod(path: string, kind: 'c' | 'b' | 'p', major: number, minor: number, mode: number): Promise<void> {
  const args = ['-m', mode.toString(8).padStart(4, '0'), path, kind, ...(kind === 'p' ? [] : [String(major), String(minor)])];
  await runTool('mknod', args, 'coreutils');
}

/** Node has no setxattr(2); setfattr (Debian package attr) sets overlay's opaque marker. */
async function setOpaque(dir: string): Promise<void> {
  await runTool('setfattr', ['-n', OVERLAY_OPAQUE_XATTR, '-v', 'y', dir], 'attr');
}

async function runTool(tool: string, args: string[], debianPackage: string): Promise<void> {
  try {
    await execFileP(tool, args);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error(`${tool} is not installed; it is needed to unpack image layers (Debian package ${debianPackage}, see scripts/install-deps.sh)`);
    }
    throw new Error(`${tool} ${args.join(' ')} failed: ${err.stderr?.trim() || err.message}`);
  }
}

// `tug cluster down`: stops and removes everything of a cluster; idempotent.
import { forgetCluster } from './client-config.js';
import { readClusterRecord } from './state.js';
import { resolveStateDir, teardownCluster } from './teardown.js';
import { checkClusterName, defaultStateDir } from './topology.js';
import type { Reporter } from './up.js';

export interface DownOptions {
  name: string;
  stateDir?: string;
  env?: NodeJS.ProcessEnv;
}

export async function clusterDown(o: DownOptions, io: Reporter): Promise<number> {
  try {
    checkClusterName(o.name);
  } catch (e) {
    io.err(`error: ${(e as Error).message}`);
    return 2;
  }
  const stateDir = resolveStateDir(o.name, o.stateDir, defaultStateDir(o.name));
  const known = !!readClusterRecord(stateDir);
  io.out(`Removing cluster "${o.name}" (state in ${stateDir}${known ? '' : ', no cluster.json: cleaning up by name'})`);
  const result = await teardownCluster({ name: o.name, stateDir, progress: (l) => io.out(` • ${l}`) });
  try {
    const config = await forgetCluster(o.name, o.env ?? process.env);
    if (config) io.out(` • client config: removed "${o.name}" from ${config}`);
  } catch (e) {
    result.errors.push(`client config: ${(e as Error).message}`);
  }
  if (result.errors.length) {
    io.err(`error: some of cluster "${o.name}" could not be removed:\n${result.errors.map((e) => `  ${e}`).join('\n')}\nfix the cause and run \`tug cluster down --name ${o.name}\` again`);
    return 1;
  }
  io.out(Object.keys(result.removed).length ? `cluster "${o.name}" is gone` : `cluster "${o.name}": nothing to remove`);
  return 0;
}

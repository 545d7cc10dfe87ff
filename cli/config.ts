// Where the CLI finds the apiserver and which namespace it works in: the
// --server flag, then TUG_SERVER, then the config file, then the default.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ApiError } from '../lib/errors.js';

export const DEFAULT_SERVER = '127.0.0.1:6443';
export const DEFAULT_NAMESPACE = 'default';

/** The config file's contents. Later work adds credentials here. */
export interface CliConfig {
  server?: string;
  namespace?: string;
}

export function configPath(env: NodeJS.ProcessEnv): string {
  return env.TUG_CONFIG || join(homedir(), '.tug', 'config.yaml');
}

/** Parses the config file text; a file that is not a map of known shape is an error. */
export function parseConfig(text: string, path: string): CliConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new ApiError('BadRequest', `config file ${path} is not valid YAML: ${(e as Error).message}`);
  }
  if (raw == null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ApiError('BadRequest', `config file ${path} must be a YAML map with "server:" and "namespace:"`);
  }
  const r = raw as Record<string, unknown>;
  const out: CliConfig = {};
  for (const key of ['server', 'namespace'] as const) {
    const v = r[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || v === '') {
      throw new ApiError('BadRequest', `config file ${path}: "${key}" must be a non-empty string`);
    }
    out[key] = v;
  }
  return out;
}

/** Reads the config file; a missing file is an empty config. */
export function loadConfig(path: string): CliConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ApiError('BadRequest', `cannot read config file ${path}: ${(e as Error).message}`);
  }
  return parseConfig(text, path);
}

/** `http://host:port` is accepted too: the client speaks gRPC to host:port. */
export function normaliseServer(s: string): string {
  return s.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
}

export function resolveServer(flag: string | undefined, env: NodeJS.ProcessEnv, config: CliConfig): string {
  return normaliseServer(flag || env.TUG_SERVER || config.server || DEFAULT_SERVER);
}

export function resolveNamespace(flag: string | undefined, config: CliConfig): string {
  return flag || config.namespace || DEFAULT_NAMESPACE;
}

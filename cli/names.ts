// The names kubectl prints for objects, so output reads the same:
// `deployment.apps/web` for results, `deployments.apps "web"` in errors.
import { KINDS, kindByAlias, type KindInfo } from '../lib/api/kinds.js';
import { ApiError } from '../lib/errors.js';

/** `deployment.apps/web`, `pod/x` */
export function qualifiedName(info: KindInfo, name: string): string {
  return `${info.singular}${info.groupSuffix}/${name}`;
}

/** `deployments.apps`, `pods` */
export function resourceName(info: KindInfo): string {
  return `${info.resource}${info.groupSuffix}`;
}

/** `deployments.apps "web"` */
export function resourceRef(info: KindInfo, name: string): string {
  return `${resourceName(info)} "${name}"`;
}

export function notFoundMessage(info: KindInfo, name: string): string {
  return `Error from server (NotFound): ${resourceRef(info, name)} not found`;
}

export function supportedKindsText(): string {
  return KINDS.map((k) => `${k.kind} (${k.apiVersion})`).join(', ');
}

/** Resolves a kind as typed on the command line, or says which ones exist. */
export function kindArg(name: string): KindInfo {
  const info = kindByAlias(name);
  if (!info) {
    const known = KINDS.map((k) => [k.resource, ...k.shortNames].join('/')).join(', ');
    throw new ApiError('BadRequest', `the server doesn't have a resource type "${name}"; known types: ${known}`);
  }
  return info;
}

/** What `get all` means, as in kubectl: the workload kinds. */
const ALL = ['pods', 'services', 'deployments', 'replicasets'];

export interface ObjectArg {
  info: KindInfo;
  name: string;
}

/**
 * Parses the object arguments kubectl accepts: `KIND NAME...`, `KIND/NAME...`
 * or a comma list of kinds with no names (`deploy,svc`).
 */
export function parseObjectArgs(args: string[]): { kinds: KindInfo[]; names: ObjectArg[] } {
  if (args.length === 0) throw new ApiError('BadRequest', 'you must specify the type of resource, e.g. "pods" or "deployments"');
  if (args.some((a) => a.includes('/'))) {
    const names: ObjectArg[] = [];
    for (const a of args) {
      const i = a.indexOf('/');
      if (i <= 0 || i === a.length - 1) {
        throw new ApiError('BadRequest', `there is no need to mix KIND/NAME and KIND NAME forms: write every argument as KIND/NAME (got "${a}")`);
      }
      names.push({ info: kindArg(a.slice(0, i)), name: a.slice(i + 1) });
    }
    return { kinds: uniqueKinds(names.map((n) => n.info)), names };
  }
  const kinds = uniqueKinds(args[0]!.split(',').filter((s) => s !== '').flatMap((s) => (s === 'all' ? ALL.map(kindArg) : [kindArg(s)])));
  if (kinds.length === 0) throw new ApiError('BadRequest', 'you must specify the type of resource, e.g. "pods" or "deployments"');
  const rest = args.slice(1);
  if (rest.length && kinds.length > 1) {
    throw new ApiError('BadRequest', 'names cannot be given with more than one kind; use KIND/NAME for each object instead');
  }
  return { kinds, names: rest.map((name) => ({ info: kinds[0]!, name })) };
}

function uniqueKinds(list: KindInfo[]): KindInfo[] {
  return [...new Set(list)];
}

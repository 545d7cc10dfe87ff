// imagePullPolicy as Kubernetes defines it, and the decision it drives.
import { ApiError } from '../../lib/errors.js';
import { parseImageReference } from '../../lib/oci/reference.js';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export const PULL_POLICIES: readonly PullPolicy[] = ['Always', 'IfNotPresent', 'Never'];

export function parsePullPolicy(s: string): PullPolicy {
  if ((PULL_POLICIES as readonly string[]).includes(s)) return s as PullPolicy;
  throw new ApiError('BadRequest', `imagePullPolicy "${s}" is not one of ${PULL_POLICIES.join(', ')}`);
}

/**
 * Kubernetes' default when a container leaves imagePullPolicy empty: Always
 * for `:latest` or an untagged name (which means latest), IfNotPresent otherwise.
 */
export function defaultPullPolicy(image: string): PullPolicy {
  try {
    const ref = parseImageReference(image, { defaultRegistry: 'default.invalid' });
    return ref.digest === undefined && ref.tag === 'latest' ? 'Always' : 'IfNotPresent';
  } catch {
    // An unparsable name fails later as InvalidImageName whatever the policy.
    return 'IfNotPresent';
  }
}

/** What ensure() does for an image, given the policy and whether the store holds it. Pure. */
export type EnsureAction = 'use-local' | 'pull' | 'check-then-pull' | 'never-pull-missing';

export function ensureAction(policy: PullPolicy, present: boolean): EnsureAction {
  switch (policy) {
    case 'Never':
      return present ? 'use-local' : 'never-pull-missing';
    case 'IfNotPresent':
      return present ? 'use-local' : 'pull';
    case 'Always':
      // A present image is re-checked against the registry; only a changed manifest is fetched.
      return present ? 'check-then-pull' : 'pull';
  }
}

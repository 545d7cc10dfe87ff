// Naming rules of the API beyond labels: object names per kind, port and
// environment variable names, ConfigMap/Secret keys, IP addresses and CIDRs.
// Each returns the problems as sentences that say what is allowed; [] when valid.
import { isIP } from 'node:net';
import type { KindName } from '../../lib/api/kinds.js';
import { validateDns1123Label, validateDns1123Subdomain } from '../../lib/labels.js';

export { validateDns1123Label, validateDns1123Subdomain };

// Namespaces and Services become DNS labels (`web.default.svc`), so their
// names may not contain dots; every other kind allows a subdomain.
const LABEL_NAMED: ReadonlySet<KindName> = new Set<KindName>(['Namespace', 'Service']);

/** Problems with `name` as the metadata.name of a `kind`. */
export function validateObjectName(kind: KindName, name: string): string[] {
  return LABEL_NAMED.has(kind) ? validateDns1123Label(name) : validateDns1123Subdomain(name);
}

/**
 * Problems with a generateName prefix: the generated name (prefix plus five
 * characters) must be valid, so a trailing "-" is fine.
 */
export function validateGenerateName(kind: KindName, prefix: string): string[] {
  const masked = prefix.endsWith('-') ? `${prefix.slice(0, -1)}a` : prefix;
  return validateObjectName(kind, masked);
}

const IANA_SVC_NAME = /^[-a-z0-9]+$/;

/** Problems with a named port (container ports, probe and targetPort names): an IANA service name. */
export function validateIanaSvcName(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 15) errs.push('must be no more than 15 characters');
  if (!IANA_SVC_NAME.test(v)) errs.push("must contain only lowercase alphanumeric characters or '-' (e.g. 'http')");
  if (!/[a-z]/.test(v)) errs.push('must contain at least one letter (a-z)');
  if (v.includes('--')) errs.push("must not contain consecutive hyphens");
  if (v.startsWith('-') || v.endsWith('-')) errs.push("must not begin or end with a hyphen");
  return errs;
}

const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Problems with an environment variable name (and an envFrom prefix, when non-empty). */
export function validateEnvVarName(v: string): string[] {
  return ENV_VAR_NAME.test(v)
    ? []
    : ["a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name', or 'MY_ENV.NAME', or 'MyEnvName1')"];
}

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** Problems with a ConfigMap or Secret key: it becomes a file name in a volume. */
export function validateConfigMapKey(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push('must be no more than 253 characters');
  if (!CONFIG_KEY.test(v)) errs.push("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name')");
  if (v === '.') errs.push("must not be '.'");
  else if (v === '..') errs.push("must not be '..'");
  else if (v.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** Problems with `v` as an IPv4 or IPv6 address. */
export function validateIP(v: string): string[] {
  return isIP(v) ? [] : ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'];
}

/**
 * Problems with an endpoint address: a real, routable IP, not one that
 * means "this host" or "no host".
 */
export function validateEndpointIP(v: string): string[] {
  const family = isIP(v);
  if (!family) return validateIP(v);
  if (family === 4) {
    const [a, b] = v.split('.').map(Number) as [number, number];
    if (v === '0.0.0.0') return ['may not be unspecified (0.0.0.0)'];
    if (a === 127) return ['may not be in the loopback range (127.0.0.0/8)'];
    if (a === 169 && b === 254) return ['may not be in the link-local range (169.254.0.0/16)'];
    if (a >= 224 && a <= 239) return ['may not be in the multicast range (224.0.0.0/4)'];
    return [];
  }
  const lower = v.toLowerCase();
  if (lower === '::') return ['may not be unspecified (::)'];
  if (lower === '::1') return ['may not be the loopback address (::1)'];
  if (/^fe[89ab]/.test(lower)) return ['may not be in the link-local range (fe80::/10)'];
  if (lower.startsWith('ff')) return ['may not be in the multicast range (ff00::/8)'];
  return [];
}

/** Problems with `v` as a CIDR such as 10.244.1.0/24. */
export function validateCIDR(v: string): string[] {
  const slash = v.indexOf('/');
  const ip = slash >= 0 ? v.slice(0, slash) : v;
  const bits = slash >= 0 ? v.slice(slash + 1) : '';
  const family = isIP(ip);
  const max = family === 6 ? 128 : 32;
  if (!family || !/^\d{1,3}$/.test(bits) || Number(bits) > max) {
    return ['must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'];
  }
  return [];
}

/** Problems with a port number: 1 to 65535. */
export function validatePortNumber(n: number): string[] {
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? [] : ['must be between 1 and 65535, inclusive'];
}

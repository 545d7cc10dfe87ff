// Field selectors: `metadata.name=web,status.phase!=Running`. Each kind
// supports a fixed set of fields, as in Kubernetes; anything else is refused
// rather than silently matching nothing.
import { ApiError } from './errors.js';
import type { AnyObject, KindName } from './api/kinds.js';

export type FieldOperator = '=' | '!=';

export interface FieldRequirement {
  field: string;
  operator: FieldOperator;
  value: string;
}

export interface FieldSelector {
  matches(obj: AnyObject): boolean;
  isEmpty(): boolean;
  toString(): string;
  readonly requirements: readonly FieldRequirement[];
  /** the value a `field=value` requirement pins, if any: lets a store narrow a list by index */
  exactValue(field: string): string | undefined;
}

type Getter = (obj: any) => unknown;

const COMMON: Record<string, Getter> = {
  'metadata.name': (o) => o.metadata?.name,
  'metadata.namespace': (o) => o.metadata?.namespace,
};

// Kubernetes' own field-label sets per kind, trimmed to the fields our objects have.
const BY_KIND: Partial<Record<KindName, Record<string, Getter>>> = {
  Pod: {
    'spec.nodeName': (o) => o.spec?.nodeName,
    'spec.restartPolicy': (o) => o.spec?.restartPolicy,
    'spec.schedulerName': (o) => o.spec?.schedulerName,
    'spec.serviceAccountName': (o) => o.spec?.serviceAccountName,
    'spec.hostNetwork': (o) => Boolean(o.spec?.hostNetwork),
    'status.phase': (o) => o.status?.phase,
    'status.podIP': (o) => o.status?.podIP,
    'status.nominatedNodeName': (o) => o.status?.nominatedNodeName,
  },
  Node: {
    'spec.unschedulable': (o) => Boolean(o.spec?.unschedulable),
  },
  Namespace: {
    'status.phase': (o) => o.status?.phase,
  },
  ReplicaSet: {
    'status.replicas': (o) => o.status?.replicas ?? 0,
  },
  Secret: {
    type: (o) => o.type,
  },
  Event: {
    'involvedObject.kind': (o) => o.involvedObject?.kind,
    'involvedObject.namespace': (o) => o.involvedObject?.namespace,
    'involvedObject.name': (o) => o.involvedObject?.name,
    'involvedObject.uid': (o) => o.involvedObject?.uid,
    'involvedObject.apiVersion': (o) => o.involvedObject?.apiVersion,
    'involvedObject.resourceVersion': (o) => o.involvedObject?.resourceVersion,
    'involvedObject.fieldPath': (o) => o.involvedObject?.fieldPath,
    reason: (o) => o.reason,
    reportingComponent: (o) => o.reportingComponent,
    source: (o) => o.source?.component,
    type: (o) => o.type,
  },
};

/** The fields a kind can be selected by, in the order they are listed to people. */
export function supportedFields(kind: KindName): string[] {
  return [...Object.keys(COMMON), ...Object.keys(BY_KIND[kind] ?? {})];
}

function getterFor(kind: KindName, field: string): Getter | undefined {
  return COMMON[field] ?? BY_KIND[kind]?.[field];
}

// An absent field reads as "" (and booleans/numbers as their text), so that
// `spec.nodeName=` selects unscheduled pods as it does in Kubernetes.
function fieldText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return String(v);
}

const escapeValue = (v: string): string => v.replace(/[\\,=!]/g, (c) => `\\${c}`);

class RequirementFieldSelector implements FieldSelector {
  constructor(
    private readonly kind: KindName,
    readonly requirements: readonly FieldRequirement[],
  ) {}
  matches(obj: AnyObject): boolean {
    return this.requirements.every((r) => {
      const actual = fieldText(getterFor(this.kind, r.field)!(obj));
      return r.operator === '=' ? actual === r.value : actual !== r.value;
    });
  }
  isEmpty(): boolean {
    return this.requirements.length === 0;
  }
  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeValue(r.value)}`).join(',');
  }
  exactValue(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator === '=')?.value;
  }
}

/** Splits on unescaped commas, keeping escapes for the term parser. */
function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === ',') {
      terms.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  terms.push(cur);
  return terms;
}

function unescape(v: string, selector: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\') {
      const n = v[i + 1];
      if (n === undefined || !'\\,=!'.includes(n)) {
        throw new ApiError('BadRequest', `invalid field selector ${JSON.stringify(selector)}: "\\" may only escape "\\", ",", "=" or "!" in ${JSON.stringify(v)}`);
      }
      out += n;
      i++;
    } else if (c === '=' || c === '!') {
      throw new ApiError('BadRequest', `invalid field selector ${JSON.stringify(selector)}: value ${JSON.stringify(v)} contains an unescaped "${c}"; write it as "\\${c}"`);
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * Parses `field=value`, `field==value`, `field!=value` terms joined by commas
 * ("\\" escapes ",", "=", "!" and "\\" in values); "" selects everything.
 * Throws ApiError BadRequest for malformed terms and for fields the kind does
 * not support, listing the supported ones.
 */
export function parseFieldSelector(s: string, kind: KindName): FieldSelector {
  const reqs: FieldRequirement[] = [];
  if (s.trim() === '') return new RequirementFieldSelector(kind, reqs);
  for (const raw of splitTerms(s)) {
    const term = raw.trim();
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/s.exec(term);
    if (!m) {
      throw new ApiError(
        'BadRequest',
        `invalid field selector ${JSON.stringify(s)}: term ${JSON.stringify(term)} is not of the form field=value, field==value or field!=value`,
      );
    }
    const [, field, op, value] = m as unknown as [string, string, string, string];
    if (!getterFor(kind, field)) {
      throw new ApiError(
        'BadRequest',
        `field selector ${JSON.stringify(s)}: field ${JSON.stringify(field)} is not supported for ${kind}; supported fields: ${supportedFields(kind).join(', ')}`,
      );
    }
    reqs.push({ field, operator: op === '!=' ? '!=' : '=', value: unescape(value, s) });
  }
  return new RequirementFieldSelector(kind, reqs);
}

/** The selector that matches every object of a kind. */
export function everythingFields(kind: KindName): FieldSelector {
  return new RequirementFieldSelector(kind, []);
}

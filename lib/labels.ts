// Label selectors (the kubectl string syntax and the LabelSelector object
// form), matching, and the naming rules for label keys and values.
import { ApiError } from './errors.js';
import type { LabelSelector } from './api/generated/types.js';

// ---- naming rules ----

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

const LABEL_MAX = 63;
const SUBDOMAIN_MAX = 253;

/** Problems with `v` as an RFC 1123 label (Namespace and Service names, container names); [] when valid. */
export function validateDns1123Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > LABEL_MAX) errs.push(`must be no more than ${LABEL_MAX} characters`);
  if (!DNS1123_LABEL.test(v)) {
    errs.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', " +
        "and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc')",
    );
  }
  return errs;
}

/** Problems with `v` as an RFC 1123 subdomain (most object names); [] when valid. */
export function validateDns1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > SUBDOMAIN_MAX) errs.push(`must be no more than ${SUBDOMAIN_MAX} characters`);
  if (!DNS1123_SUBDOMAIN.test(v)) {
    errs.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " +
        "and must start and end with an alphanumeric character (e.g. 'example.com')",
    );
  }
  return errs;
}

function namePartProblems(name: string): string[] {
  if (name.length === 0) return ['name part must be non-empty'];
  const errs: string[] = [];
  if (name.length > LABEL_MAX) errs.push(`name part must be no more than ${LABEL_MAX} characters`);
  if (!QUALIFIED_NAME_PART.test(name)) {
    errs.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', " +
        "and must start and end with an alphanumeric character (e.g. 'MyName', 'my.name', or '123-abc')",
    );
  }
  return errs;
}

/**
 * Problems with `key` as a qualified name — a label or annotation key: an
 * optional DNS subdomain prefix (≤253 characters) and "/", then a name part of
 * at most 63 alphanumerics, '-', '_' or '.'. [] when valid.
 */
export function validateLabelKey(key: string): string[] {
  const parts = key.split('/');
  if (parts.length > 2) {
    return [
      "a qualified name must consist of an optional DNS subdomain prefix and '/', then a name part " +
        "(e.g. 'app', 'example.com/tier')",
    ];
  }
  if (parts.length === 1) return namePartProblems(key);
  const [prefix, name] = parts as [string, string];
  const errs: string[] = [];
  if (prefix.length === 0) errs.push('prefix part must be non-empty');
  else errs.push(...validateDns1123Subdomain(prefix).map((e) => `prefix part ${e}`));
  errs.push(...namePartProblems(name));
  return errs;
}

/** Problems with `v` as a label value: empty, or ≤63 alphanumerics, '-', '_', '.' starting and ending alphanumeric. */
export function validateLabelValue(v: string): string[] {
  const errs: string[] = [];
  if (v.length > LABEL_MAX) errs.push(`must be no more than ${LABEL_MAX} characters`);
  if (v.length > 0 && !QUALIFIED_NAME_PART.test(v)) {
    errs.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', " +
        "and must start and end with an alphanumeric character (e.g. 'MyValue', or 'my_value', or '12345')",
    );
  }
  return errs;
}

// ---- selectors ----

export type Operator = 'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface Requirement {
  key: string;
  operator: Operator;
  /** one value for Equals/NotEquals/Gt/Lt, at least one for In/NotIn, none for Exists/DoesNotExist */
  values: string[];
}

export interface Selector {
  matches(labels?: Record<string, string>): boolean;
  /** true only for the selector that selects everything */
  isEmpty(): boolean;
  /**
   * The kubectl form, parseable by parseSelector. `nothing()` prints as ""
   * like Kubernetes' does, which reads back as everything: never send a
   * selector over the wire without checking `matchesNothing` first.
   */
  toString(): string;
  readonly requirements: readonly Requirement[];
  /** true only for `nothing()` */
  readonly matchesNothing: boolean;
}

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels[r.key]! : undefined;
  switch (r.operator) {
    case 'Equals':
    case 'In':
      return has && r.values.includes(v!);
    case 'NotEquals':
    case 'NotIn':
      return !has || !r.values.includes(v!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || !/^-?\d+$/.test(v!)) return false;
      const n = Number(v);
      const bound = Number(r.values[0]);
      return r.operator === 'Gt' ? n > bound : n < bound;
    }
  }
}

function requirementString(r: Requirement): string {
  switch (r.operator) {
    case 'Equals':
      return `${r.key}=${r.values[0] ?? ''}`;
    case 'NotEquals':
      return `${r.key}!=${r.values[0] ?? ''}`;
    case 'In':
      return `${r.key} in (${r.values.join(',')})`;
    case 'NotIn':
      return `${r.key} notin (${r.values.join(',')})`;
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    case 'Gt':
      return `${r.key}>${r.values[0]}`;
    case 'Lt':
      return `${r.key}<${r.values[0]}`;
  }
}

class RequirementSelector implements Selector {
  readonly requirements: readonly Requirement[];
  readonly matchesNothing = false;
  constructor(requirements: Requirement[]) {
    // Canonical order, as Kubernetes prints it, so equal selectors print equally.
    this.requirements = requirements
      .map((r) => ({ ...r, values: r.operator === 'In' || r.operator === 'NotIn' ? [...new Set(r.values)].sort() : r.values }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  matches(labels?: Record<string, string>): boolean {
    const l = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, l));
  }
  isEmpty(): boolean {
    return this.requirements.length === 0;
  }
  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

const NOTHING: Selector = {
  requirements: [],
  matchesNothing: true,
  matches: () => false,
  isEmpty: () => false,
  toString: () => '',
};

/** The selector that matches every object. */
export function everything(): Selector {
  return new RequirementSelector([]);
}

/** The selector that matches no object (an absent LabelSelector). */
export function nothing(): Selector {
  return NOTHING;
}

/** A selector from requirements already known to be valid. */
export function selectorFromRequirements(requirements: Requirement[]): Selector {
  return new RequirementSelector(requirements);
}

/** A selector requiring every key/value of `set` (Service-style); an empty set selects everything. */
export function selectorFromSet(set: Record<string, string> | undefined): Selector {
  return new RequirementSelector(Object.entries(set ?? {}).map(([key, v]) => ({ key, operator: 'Equals', values: [v] })));
}

/**
 * Whether `labels` carry every key/value of a Service-style map selector.
 * An empty or absent map matches everything, as in Kubernetes; callers for
 * whom "no selector" means "select nothing" (Services) check that first.
 */
export function labelsMatch(
  selectorMap: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selectorMap ?? {})) {
    if (!Object.prototype.hasOwnProperty.call(l, k) || l[k] !== v) return false;
  }
  return true;
}

// ---- the kubectl string syntax ----

type TokenKind = 'ident' | '(' | ')' | ',' | '=' | '==' | '!=' | '!' | '>' | '<' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  /** 0-based offset in the input */
  pos: number;
}

const SPECIAL = new Set(['(', ')', ',', '=', '!', '<', '>']);

function tokenize(s: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '=' && s[i + 1] === '=') {
      tokens.push({ kind: '==', text: '==', pos: i });
      i += 2;
    } else if (c === '!' && s[i + 1] === '=') {
      tokens.push({ kind: '!=', text: '!=', pos: i });
      i += 2;
    } else if (SPECIAL.has(c)) {
      tokens.push({ kind: c as TokenKind, text: c, pos: i });
      i++;
    } else {
      const start = i;
      while (i < s.length && !SPECIAL.has(s[i]!) && !/\s/.test(s[i]!)) i++;
      tokens.push({ kind: 'ident', text: s.slice(start, i), pos: start });
    }
  }
  tokens.push({ kind: 'end', text: '', pos: s.length });
  return tokens;
}

const SYNTAX_HELP = 'expected requirements separated by commas, such as "app=web", "tier!=db", "env in (a,b)", "env notin (c)", "gpu", "!gpu"';

class SelectorParser {
  private readonly tokens: Token[];
  private i = 0;
  constructor(private readonly input: string) {
    this.tokens = tokenize(input);
  }

  private fail(tok: Token, what: string): never {
    const found = tok.kind === 'end' ? 'the end' : JSON.stringify(tok.text);
    throw new ApiError(
      'BadRequest',
      `invalid label selector ${JSON.stringify(this.input)}: at character ${tok.pos + 1}: ${what}, found ${found}; ${SYNTAX_HELP}`,
    );
  }
  private failAt(tok: Token, what: string): never {
    throw new ApiError('BadRequest', `invalid label selector ${JSON.stringify(this.input)}: at character ${tok.pos + 1}: ${what}`);
  }
  private peek(): Token {
    return this.tokens[this.i]!;
  }
  private next(): Token {
    return this.tokens[this.i++]!;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    if (this.peek().kind === 'end') return reqs;
    for (;;) {
      reqs.push(this.requirement());
      const t = this.next();
      if (t.kind === 'end') return reqs;
      if (t.kind !== ',') this.fail(t, 'expected "," or the end of the selector');
    }
  }

  private key(): string {
    const t = this.next();
    if (t.kind !== 'ident' || t.text === 'in' || t.text === 'notin') this.fail(t, 'expected a label key');
    const errs = validateLabelKey(t.text);
    if (errs.length) this.failAt(t, `invalid label key ${JSON.stringify(t.text)}: ${errs.join('; ')}`);
    return t.text;
  }

  private value(): string {
    const t = this.peek();
    // "a=" selects an empty value, as in kubectl.
    if (t.kind === ',' || t.kind === 'end' || t.kind === ')') return '';
    if (t.kind !== 'ident') this.fail(t, 'expected a label value');
    this.next();
    const errs = validateLabelValue(t.text);
    if (errs.length) this.failAt(t, `invalid label value ${JSON.stringify(t.text)}: ${errs.join('; ')}`);
    return t.text;
  }

  private requirement(): Requirement {
    if (this.peek().kind === '!') {
      this.next();
      return { key: this.key(), operator: 'DoesNotExist', values: [] };
    }
    const key = this.key();
    const op = this.peek();
    switch (op.kind) {
      case ',':
      case 'end':
        return { key, operator: 'Exists', values: [] };
      case '=':
      case '==':
        this.next();
        return { key, operator: 'Equals', values: [this.value()] };
      case '!=':
        this.next();
        return { key, operator: 'NotEquals', values: [this.value()] };
      case '>':
      case '<': {
        this.next();
        const t = this.next();
        if (t.kind !== 'ident' || !/^-?\d+$/.test(t.text)) this.fail(t, `expected an integer after "${op.text}"`);
        return { key, operator: op.kind === '>' ? 'Gt' : 'Lt', values: [t.text] };
      }
      case 'ident':
        if (op.text === 'in' || op.text === 'notin') {
          this.next();
          return { key, operator: op.text === 'in' ? 'In' : 'NotIn', values: this.valueSet(op.text) };
        }
        return this.fail(op, `expected an operator (=, ==, !=, in, notin) after key "${key}"`);
      default:
        return this.fail(op, `expected an operator (=, ==, !=, in, notin) after key "${key}"`);
    }
  }

  private valueSet(op: string): string[] {
    const open = this.next();
    if (open.kind !== '(') this.fail(open, `expected "(" after "${op}"`);
    if (this.peek().kind === ')') this.fail(this.peek(), `expected at least one value in the "${op}" set`);
    const values: string[] = [];
    for (;;) {
      values.push(this.value());
      const t = this.next();
      if (t.kind === ')') return values;
      if (t.kind !== ',') this.fail(t, `expected "," or ")" in the "${op}" set`);
    }
  }
}

/**
 * Parses the kubectl selector syntax: `a=b,c!=d,e in (x,y),f notin (z),g,!h`
 * (also `==`, and `k>N`/`k<N` for integer values). "" selects everything.
 * Throws ApiError BadRequest saying what was expected and at which character.
 */
export function parseSelector(s: string): Selector {
  return new RequirementSelector(new SelectorParser(s).parse());
}

// ---- the LabelSelector object form ----

const LABEL_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/**
 * Every problem with a LabelSelector object, with field paths relative to the
 * selector (`matchLabels`, `matchExpressions[0].values`). [] when valid.
 */
export function labelSelectorProblems(ls: LabelSelector): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  for (const [k, v] of Object.entries(ls.matchLabels ?? {})) {
    for (const e of validateLabelKey(k)) out.push({ field: 'matchLabels', message: `Invalid value: ${JSON.stringify(k)}: ${e}` });
    for (const e of validateLabelValue(v)) out.push({ field: `matchLabels[${k}]`, message: `Invalid value: ${JSON.stringify(v)}: ${e}` });
  }
  (ls.matchExpressions ?? []).forEach((r, i) => {
    const p = `matchExpressions[${i}]`;
    const key = r.key ?? '';
    if (!key) out.push({ field: `${p}.key`, message: 'Required value' });
    else for (const e of validateLabelKey(key)) out.push({ field: `${p}.key`, message: `Invalid value: ${JSON.stringify(key)}: ${e}` });
    const values = r.values ?? [];
    const op = r.operator ?? '';
    if (!LABEL_SELECTOR_OPERATORS.includes(op)) {
      out.push({
        field: `${p}.operator`,
        message: `Unsupported value: ${JSON.stringify(op)}: supported values: ${LABEL_SELECTOR_OPERATORS.map((o) => `"${o}"`).join(', ')}`,
      });
    } else if ((op === 'In' || op === 'NotIn') && values.length === 0) {
      out.push({ field: `${p}.values`, message: `Required value: must be specified when \`operator\` is '${op}'` });
    } else if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) {
      out.push({ field: `${p}.values`, message: `Forbidden: may not be specified when \`operator\` is '${op}'` });
    }
    values.forEach((v, j) => {
      for (const e of validateLabelValue(v)) out.push({ field: `${p}.values[${j}]`, message: `Invalid value: ${JSON.stringify(v)}: ${e}` });
    });
  });
  return out;
}

/**
 * The Selector of a LabelSelector object (matchLabels and matchExpressions
 * In/NotIn/Exists/DoesNotExist, all required). As in Kubernetes, an absent
 * selector selects nothing and an empty one `{}` selects everything.
 * Throws ApiError BadRequest listing every problem.
 */
export function selectorFromLabelSelector(ls: LabelSelector | undefined | null): Selector {
  if (!ls) return nothing();
  const problems = labelSelectorProblems(ls);
  if (problems.length) {
    throw new ApiError(
      'BadRequest',
      `invalid label selector: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
      problems,
    );
  }
  const reqs: Requirement[] = Object.entries(ls.matchLabels ?? {}).map(([key, v]) => ({ key, operator: 'Equals', values: [v] }));
  for (const r of ls.matchExpressions ?? []) {
    reqs.push({ key: r.key!, operator: r.operator as Operator, values: [...(r.values ?? [])] });
  }
  return new RequirementSelector(reqs);
}

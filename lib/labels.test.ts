import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.js';
import {
  everything,
  labelSelectorProblems,
  labelsMatch,
  nothing,
  parseSelector,
  selectorFromLabelSelector,
  selectorFromSet,
  validateDns1123Label,
  validateDns1123Subdomain,
  validateLabelKey,
  validateLabelValue,
} from './labels.js';

const L = { app: 'web', tier: 'front', env: 'prod', 'example.com/team': 'a', n: '5' };

test('parseSelector: equality operators', () => {
  assert.equal(parseSelector('app=web').matches(L), true);
  assert.equal(parseSelector('app==web').matches(L), true);
  assert.equal(parseSelector('app=db').matches(L), false);
  assert.equal(parseSelector('app!=db').matches(L), true);
  assert.equal(parseSelector('app!=web').matches(L), false);
  // != matches objects without the label, as in Kubernetes
  assert.equal(parseSelector('missing!=x').matches(L), true);
  assert.equal(parseSelector('missing=').matches(L), false);
  assert.equal(parseSelector('empty=').matches({ empty: '' }), true);
});

test('parseSelector: set operators, exists and not-exists', () => {
  assert.equal(parseSelector('env in (prod,staging)').matches(L), true);
  assert.equal(parseSelector('env in (staging)').matches(L), false);
  assert.equal(parseSelector('env notin (staging)').matches(L), true);
  assert.equal(parseSelector('env notin (prod, staging)').matches(L), false);
  assert.equal(parseSelector('missing notin (x)').matches(L), true);
  assert.equal(parseSelector('missing in (x)').matches(L), false);
  assert.equal(parseSelector('tier').matches(L), true);
  assert.equal(parseSelector('gpu').matches(L), false);
  assert.equal(parseSelector('!gpu').matches(L), true);
  assert.equal(parseSelector('!tier').matches(L), false);
  assert.equal(parseSelector('example.com/team=a').matches(L), true);
  assert.equal(parseSelector('n>4').matches(L), true);
  assert.equal(parseSelector('n<5').matches(L), false);
});

test('parseSelector: every requirement must hold', () => {
  const s = parseSelector('app=web, tier!=db ,env in (prod,x),g notin (z),!h,tier');
  assert.equal(s.matches(L), true);
  assert.equal(s.matches({ ...L, h: '1' }), false);
  assert.equal(s.matches({ ...L, tier: 'db' }), false);
  assert.equal(s.matches(undefined), false);
});

test('parseSelector: empty string selects everything', () => {
  const s = parseSelector('');
  assert.equal(s.isEmpty(), true);
  assert.equal(s.matches({}), true);
  assert.equal(parseSelector('   ').isEmpty(), true);
  assert.equal(parseSelector('a=b').isEmpty(), false);
});

test('parseSelector: toString is canonical and round-trips', () => {
  const s = parseSelector('tier!=db,app=web,env in (x,prod),g notin (z),!h,k');
  assert.equal(s.toString(), 'app=web,env in (prod,x),g notin (z),!h,k,tier!=db');
  assert.equal(parseSelector(s.toString()).toString(), s.toString());
});

test('parseSelector: errors say what and where', () => {
  const cases: [string, RegExp][] = [
    ['a in x', /character 6: expected "\(" after "in", found "x"/],
    ['a=b c=d', /character 5: expected "," or the end/],
    ['a in (x', /character 8: expected "," or "\)" in the "in" set, found the end/],
    ['a in ()', /expected at least one value/],
    ['=b', /character 1: expected a label key/],
    ['a=b,', /character 5: expected a label key, found the end/],
    ['Bad Key!=x', /character 5: expected an operator \(=, ==, !=, in, notin\) after key "Bad", found "Key"/],
    ['-a=b', /invalid label key "-a"/],
    ['a=-b', /invalid label value "-b"/],
    ['a>x', /expected an integer after ">"/],
    ['a ( b', /expected an operator/],
  ];
  for (const [input, re] of cases) {
    assert.throws(
      () => parseSelector(input),
      (e: unknown) => {
        assert.ok(e instanceof ApiError);
        assert.equal(e.code, 'BadRequest');
        assert.match(e.message, re, input);
        assert.ok(e.message.includes(JSON.stringify(input)), e.message);
        return true;
      },
      input,
    );
  }
});

test('selectorFromLabelSelector: matchLabels and matchExpressions', () => {
  const s = selectorFromLabelSelector({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'env', operator: 'In', values: ['prod', 'dev'] },
      { key: 'tier', operator: 'NotIn', values: ['db'] },
      { key: 'example.com/team', operator: 'Exists' },
      { key: 'gpu', operator: 'DoesNotExist' },
    ],
  });
  assert.equal(s.matches(L), true);
  assert.equal(s.matches({ ...L, gpu: 'yes' }), false);
  assert.equal(s.matches({ ...L, env: 'qa' }), false);
  assert.equal(s.matches({ ...L, app: 'db' }), false);
  assert.equal(s.toString(), 'app=web,env in (dev,prod),example.com/team,!gpu,tier notin (db)');
});

test('selectorFromLabelSelector: absent selects nothing, empty selects everything', () => {
  const none = selectorFromLabelSelector(undefined);
  assert.equal(none.matches(L), false);
  assert.equal(none.matches({}), false);
  assert.equal(none.matchesNothing, true);
  const all = selectorFromLabelSelector({});
  assert.equal(all.matches(L), true);
  assert.equal(all.isEmpty(), true);
});

test('selectorFromLabelSelector: invalid selectors throw listing every problem', () => {
  assert.throws(
    () =>
      selectorFromLabelSelector({
        matchLabels: { 'bad key': 'x' },
        matchExpressions: [
          { key: 'a', operator: 'Foo', values: ['x'] },
          { key: 'b', operator: 'In', values: [] },
          { key: 'c', operator: 'Exists', values: ['x'] },
        ],
      }),
    (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.code, 'BadRequest');
      assert.deepEqual(
        e.causes.map((c) => c.field),
        ['matchLabels', 'matchExpressions[0].operator', 'matchExpressions[1].values', 'matchExpressions[2].values'],
      );
      assert.match(e.message, /supported values: "In", "NotIn", "Exists", "DoesNotExist"/);
      return true;
    },
  );
  assert.deepEqual(labelSelectorProblems({ matchLabels: { app: 'web' } }), []);
});

test('everything, nothing, selectorFromSet and labelsMatch', () => {
  assert.equal(everything().matches(L), true);
  assert.equal(everything().isEmpty(), true);
  assert.equal(nothing().matches(L), false);
  assert.equal(nothing().isEmpty(), false);
  assert.equal(selectorFromSet({ app: 'web', tier: 'front' }).matches(L), true);
  assert.equal(selectorFromSet({ app: 'web', tier: 'back' }).matches(L), false);
  assert.equal(labelsMatch({ app: 'web' }, L), true);
  assert.equal(labelsMatch({ app: 'web', x: 'y' }, L), false);
  assert.equal(labelsMatch({ app: 'web' }, undefined), false);
  assert.equal(labelsMatch({}, L), true);
  assert.equal(labelsMatch(undefined, {}), true);
  // labels inherited from Object.prototype are not labels
  assert.equal(labelsMatch({ toString: 'x' }, {}), false);
});

test('validateLabelKey', () => {
  for (const ok of ['app', 'App_1', 'a.b-c', 'example.com/app', 'k8s.io/x', 'a'.repeat(63), `${'a'.repeat(253)}/b`]) {
    assert.deepEqual(validateLabelKey(ok), [], ok);
  }
  assert.match(validateLabelKey('').join(), /name part must be non-empty/);
  assert.match(validateLabelKey('a'.repeat(64)).join(), /no more than 63 characters/);
  assert.match(validateLabelKey('-app').join(), /must start and end with an alphanumeric/);
  assert.match(validateLabelKey('app!').join(), /alphanumeric characters, '-', '_' or '.'/);
  assert.match(validateLabelKey('Example.com/app').join(), /prefix part a lowercase RFC 1123 subdomain/);
  assert.match(validateLabelKey(`${'a'.repeat(254)}/b`).join(), /prefix part must be no more than 253 characters/);
  assert.match(validateLabelKey('/app').join(), /prefix part must be non-empty/);
  assert.match(validateLabelKey('a/b/c').join(), /optional DNS subdomain prefix/);
  assert.match(validateLabelKey('example.com/').join(), /name part must be non-empty/);
});

test('validateLabelValue', () => {
  for (const ok of ['', 'web', 'v1.2_3-x', 'A'.repeat(63)]) assert.deepEqual(validateLabelValue(ok), [], ok);
  assert.match(validateLabelValue('a'.repeat(64)).join(), /no more than 63 characters/);
  assert.match(validateLabelValue('a b').join(), /empty string or consist of alphanumeric/);
  assert.match(validateLabelValue('a/b').join(), /empty string or consist of alphanumeric/);
  assert.match(validateLabelValue('_a').join(), /start and end with an alphanumeric/);
});

test('validateDns1123Label and validateDns1123Subdomain', () => {
  assert.deepEqual(validateDns1123Label('my-name'), []);
  assert.notDeepEqual(validateDns1123Label('my.name'), []);
  assert.notDeepEqual(validateDns1123Label('My'), []);
  assert.notDeepEqual(validateDns1123Label('a-'), []);
  assert.match(validateDns1123Label('a'.repeat(64)).join(), /63/);
  assert.deepEqual(validateDns1123Subdomain('my.name-1'), []);
  assert.notDeepEqual(validateDns1123Subdomain('my..name'), []);
  assert.notDeepEqual(validateDns1123Subdomain(''), []);
  assert.match(validateDns1123Subdomain('a'.repeat(254)).join(), /253/);
});

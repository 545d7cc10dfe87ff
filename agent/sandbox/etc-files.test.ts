import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostnameFile, hostsFile, parseResolvConf, podHostname, resolvConf } from './etc-files.js';

describe('pod /etc files', () => {
  it('names the pod host after the pod, within one DNS label', () => {
    assert.equal(podHostname('web-0'), 'web-0');
    assert.equal(podHostname('web-0', 'custom'), 'custom');
    assert.equal(podHostname('a'.repeat(70)).length, 63);
    assert.equal(podHostname(`${'a'.repeat(62)}-b`), 'a'.repeat(62));
    assert.equal(hostnameFile('web-0'), 'web-0\n');
  });
  it('writes localhost, the pod IP under its hostname, and host aliases', () => {
    const hosts = hostsFile('web-0', '10.244.1.5', [{ ip: '10.0.0.9', hostnames: ['db', 'db.local'] }]);
    assert.match(hosts, /^127\.0\.0\.1\tlocalhost$/m);
    assert.match(hosts, /^::1\tlocalhost ip6-localhost ip6-loopback$/m);
    assert.match(hosts, /^10\.244\.1\.5\tweb-0$/m);
    assert.match(hosts, /^10\.0\.0\.9\tdb\tdb\.local$/m);
    assert.doesNotMatch(hostsFile('web-0', undefined), /web-0/);
  });
  it('builds resolv.conf from the pod DNS config, falling back to the node', () => {
    const node = '# comment\nnameserver 192.168.1.1\nnameserver 192.168.1.2\nsearch lan example.com\noptions ndots:1 edns0\n';
    assert.deepEqual(parseResolvConf(node), { nameservers: ['192.168.1.1', '192.168.1.2'], searches: ['lan', 'example.com'], options: ['ndots:1', 'edns0'] });
    assert.equal(resolvConf(undefined, node), 'nameserver 192.168.1.1\nnameserver 192.168.1.2\nsearch lan example.com\noptions ndots:1 edns0\n');
    assert.equal(
      resolvConf({ nameservers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: [{ name: 'ndots', value: '5' }, { name: 'rotate' }] }, node),
      'nameserver 10.96.0.10\nsearch default.svc.cluster.local\noptions ndots:5 rotate\n',
    );
    assert.equal(resolvConf(undefined, ''), '');
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerPort } from '../../lib/api/generated/types.js';
import { CycleState } from '../framework.js';
import { NodeInfo, podInfoFor } from '../node-info.js';
import { syntheticNode, syntheticPod } from '../simulate.js';
import { ERR_NODE_PORTS, NodePorts } from './node-ports.js';

const plugin = new NodePorts();
const withPorts = (name: string, ports: ContainerPort[]) => {
  const p = syntheticPod(name, '100m', '64Mi');
  p.spec!.containers![0]!.ports = ports;
  return podInfoFor(p);
};

test('a host port already used on the node rejects it; other ports, protocols and addresses pass', () => {
  const node = new NodeInfo('n', syntheticNode('n', '4', '8Gi'));
  node.addPod(withPorts('web', [{ containerPort: 80, hostPort: 8080 }]));
  assert.deepEqual(plugin.filter(new CycleState(), withPorts('b', [{ containerPort: 80, hostPort: 8080 }]), node)?.reasons, [ERR_NODE_PORTS]);
  assert.equal(plugin.filter(new CycleState(), withPorts('c', [{ containerPort: 80, hostPort: 8081 }]), node), undefined);
  assert.equal(plugin.filter(new CycleState(), withPorts('d', [{ containerPort: 80, hostPort: 8080, protocol: 'UDP' }]), node), undefined);
  assert.equal(plugin.filter(new CycleState(), withPorts('e', [{ containerPort: 80 }]), node), undefined, 'no host port at all');
});

test('the port frees up when the pod holding it leaves', () => {
  const node = new NodeInfo('n', syntheticNode('n', '4', '8Gi'));
  node.addPod(withPorts('web', [{ containerPort: 80, hostPort: 8080, hostIP: '127.0.0.1' }]));
  const incoming = withPorts('b', [{ containerPort: 80, hostPort: 8080 }]);
  assert.notEqual(plugin.filter(new CycleState(), incoming, node), undefined);
  node.removePod('default/web');
  assert.equal(plugin.filter(new CycleState(), incoming, node), undefined);
});

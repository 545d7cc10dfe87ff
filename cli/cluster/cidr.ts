// The IPv4 helpers live in lib/ (the controllers and the agent need them
// too); re-exported here so the cluster code keeps its short imports.
export * from '../../lib/ipv4.js';

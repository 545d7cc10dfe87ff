// Cluster DNS for pods: service names to cluster IPs (headless: endpoint IPs), over UDP and TCP.
export { startClusterDns, type ClusterDnsOptions, type RunningClusterDns } from './dns.js';
export { resolve, normaliseName, RCODE_NUMBER, DEFAULT_TTL, type Resolution, type ServiceView, type ResolveOptions, type Rcode } from './records.js';
export { respond, type Resolver, type Transport } from './wire.js';
export { startDnsServer, type DnsServer, type ListenAddress, type BoundAddress } from './server.js';

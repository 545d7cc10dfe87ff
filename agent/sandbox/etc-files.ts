// The per-pod /etc/hosts, /etc/resolv.conf and /etc/hostname. Pure text builders.

export interface DnsConfig {
  nameservers?: string[];
  searches?: string[];
  options?: { name: string; value?: string }[];
}

export interface HostAlias {
  ip: string;
  hostnames: string[];
}

/** Kubernetes limits a pod hostname to one DNS label: 63 characters, no trailing dot or dash. */
export function podHostname(podName: string, hostname?: string): string {
  const h = (hostname || podName).slice(0, 63).replace(/[.-]+$/, '');
  return h || 'pod';
}

export function hostsFile(hostname: string, podIP: string | undefined, aliases: HostAlias[] = []): string {
  const lines = [
    '# Managed by tugboat: written for this pod, changes are lost when the pod is recreated.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  if (podIP) lines.push(`${podIP}\t${hostname}`);
  for (const a of aliases) if (a.hostnames.length) lines.push(`${a.ip}\t${a.hostnames.join('\t')}`);
  return lines.join('\n') + '\n';
}

/** resolv.conf from a pod's dnsConfig, falling back to the node's file for what it does not set. */
export function resolvConf(dns: DnsConfig | undefined, nodeResolvConf = ''): string {
  const node = parseResolvConf(nodeResolvConf);
  const nameservers = (dns?.nameservers?.length ? dns.nameservers : node.nameservers).slice(0, 3);
  const searches = (dns?.searches?.length ? dns.searches : node.searches).slice(0, 32);
  const options = dns?.options?.length ? dns.options.map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name)) : node.options;
  const lines = nameservers.map((n) => `nameserver ${n}`);
  if (searches.length) lines.push(`search ${searches.join(' ')}`);
  if (options.length) lines.push(`options ${options.join(' ')}`);
  return lines.join('\n') + (lines.length ? '\n' : '');
}

export function parseResolvConf(text: string): { nameservers: string[]; searches: string[]; options: string[] } {
  const out = { nameservers: [] as string[], searches: [] as string[], options: [] as string[] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') out.searches = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

export function hostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

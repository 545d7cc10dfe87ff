// One DNS message in, one out: decoding, the header rules (opcode, question
// count, EDNS, truncation over UDP) and encoding. No sockets here.
import dnsPacket, { type Answer, type DecodedPacket, type OptAnswer, type Packet, type Question } from 'dns-packet';
import { RCODE_NUMBER, type Rcode, type Resolution } from './records.js';

export type Transport = 'udp' | 'tcp';

/** The classic UDP limit, for clients that do not announce a bigger one with EDNS. */
const PLAIN_UDP_MAX = 512;
/** What we offer over EDNS: the size that avoids IP fragmentation almost everywhere. */
const EDNS_UDP_MAX = 1232;

export type Resolver = (q: Question) => Resolution;

interface DecodedQuery extends DecodedPacket {
  opcode?: string;
}

function reply(id: number, rcode: Rcode, extra: Partial<Packet> & { aa?: boolean; rd?: boolean; tc?: boolean } = {}): Packet {
  const { aa, rd, tc, ...rest } = extra;
  const flags =
    (aa ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | (rd ? dnsPacket.RECURSION_DESIRED : 0) | (tc ? dnsPacket.TRUNCATED_RESPONSE : 0) | RCODE_NUMBER[rcode];
  return { id, type: 'response', flags, questions: [], answers: [], authorities: [], additionals: [], ...rest };
}

/**
 * The response to one query message, or undefined when the message should be
 * dropped (too short to even carry an id, or itself a response).
 */
export function respond(message: Buffer, resolver: Resolver, transport: Transport): Buffer | undefined {
  let query: DecodedQuery;
  try {
    query = dnsPacket.decode(message) as DecodedQuery;
  } catch {
    return message.length >= 12 ? dnsPacket.encode(reply(message.readUInt16BE(0), 'FORMERR')) : undefined;
  }
  if (query.type === 'response') return undefined;
  const id = query.id ?? 0;
  const rd = query.flag_rd;
  const questions = query.questions ?? [];
  if (query.opcode !== undefined && query.opcode !== 'QUERY') return dnsPacket.encode(reply(id, 'NOTIMP', { questions, rd }));
  if (questions.length !== 1) return dnsPacket.encode(reply(id, 'FORMERR', { questions, rd }));
  const q = questions[0]!;
  const opt = (query.additionals ?? []).find((a): a is OptAnswer => a.type === 'OPT');
  const ednsAnswer: Answer[] = opt ? [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_MAX, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] } as OptAnswer] : [];
  if (q.class && q.class !== 'IN' && (q.class as string) !== 'ANY') {
    return dnsPacket.encode(reply(id, 'REFUSED', { questions, rd, additionals: ednsAnswer }));
  }
  const res = resolver(q);
  const full = reply(id, res.rcode, {
    questions: [q],
    rd,
    aa: res.authoritative,
    answers: res.answers,
    authorities: res.authorities,
    additionals: [...res.additionals, ...ednsAnswer],
  });
  const out = dnsPacket.encode(full);
  if (transport === 'tcp') return out;
  const limit = opt ? Math.max(PLAIN_UDP_MAX, Math.min(opt.udpPayloadSize || PLAIN_UDP_MAX, EDNS_UDP_MAX)) : PLAIN_UDP_MAX;
  if (out.length <= limit) return out;
  // Too big for this client over UDP: say so, and it retries over TCP.
  return dnsPacket.encode(reply(id, res.rcode, { questions: [q], rd, aa: res.authoritative, tc: true, additionals: ednsAnswer }));
}

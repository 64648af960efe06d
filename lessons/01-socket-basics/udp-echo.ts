// Lesson 01, task 6: a UDP echo server that shouts back.
//
// Say you are porting Kurose and Ross's UDPServer.py, the classic first UDP
// program: each datagram that arrives goes back to its sender with its
// letters upper-cased. UDP has no connections, so anyone can send you a
// datagram with a forged return address: a server whose reply is larger
// than the request becomes an amplifier that attackers aim at a victim.
// This one never replies with more bytes than it received.
import { createSocket, type Socket } from 'node:dgram';

/** The largest payload of one UDP datagram over IPv4: 65,535 - 20 (IPv4 header) - 8 (UDP header). */
export const MAX_UDP_PAYLOAD = 65_507;

export interface UdpEchoOptions {
  /** Datagrams with more bytes than this are dropped. Default 1,472: what fits in one Ethernet packet (MTU 1,500) after 28 bytes of IPv4 and UDP headers. */
  maxPayload?: number;
}

/**
 * Creates an unbound UDP socket (IPv4) that answers every datagram of 0 to
 * `maxPayload` bytes with one datagram of the same length, sent to the
 * sender's address and port: the same bytes, with ASCII a-z turned into
 * A-Z. Larger datagrams get no reply. The caller binds it.
 * Throws a RangeError unless 0 <= maxPayload <= 65,507.
 */
export function createUdpEchoServer({ maxPayload = 1_472 }: UdpEchoOptions = {}): Socket {
  // TODO: throw a RangeError unless maxPayload is a whole number from 0 to MAX_UDP_PAYLOAD.
  // TODO: create a 'udp4' socket; on each 'message' (datagram, sender), drop it if it is over
  // maxPayload, or else send back a copy with only the bytes 0x61-0x7a (a-z) changed to
  // 0x41-0x5a (A-Z), to sender.port and sender.address. Give send() a callback.
  throw new Error('TODO: write createUdpEchoServer (task 6 in lessons/01-socket-basics/README.md)');
}

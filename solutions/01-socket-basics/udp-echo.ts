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
  if (!Number.isInteger(maxPayload) || maxPayload < 0 || maxPayload > MAX_UDP_PAYLOAD) {
    throw new RangeError(`maxPayload must be a whole number from 0 to ${MAX_UDP_PAYLOAD}, got ${maxPayload}`);
  }
  const socket = createSocket('udp4');

  // Each 'message' is one whole datagram, never part of one or two joined:
  // UDP keeps message boundaries. An empty datagram is a real message too.
  socket.on('message', (datagram, sender) => {
    // Over the limit: drop it. A truncated echo would be wrong bytes, and an
    // error message would be a reply the request did not ask for.
    if (datagram.length > maxPayload) return;
    // The callback receives send errors, which would otherwise be emitted
    // as 'error' and, with no listener, crash the server. One failed reply
    // is one lost datagram, which UDP allows anyway.
    socket.send(upperCaseAscii(datagram), sender.port, sender.address, () => {});
  });
  return socket;
}

/**
 * A copy of `bytes` with ASCII a-z (0x61-0x7a) turned into A-Z (0x41-0x5a)
 * and every other byte left alone, so the length never changes. Decoding to
 * a string first would not do: invalid UTF-8 becomes U+FFFD (3 bytes), and
 * some letters grow when upper-cased ("ΐ" is 2 bytes, "Ϊ́" is 6).
 */
function upperCaseAscii(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const b = out[i]!;
    if (b >= 0x61 && b <= 0x7a) out[i] = b - 0x20;
  }
  return out;
}

import { describe, expect, it } from 'vitest';
import { withDeadline } from '../../runner/kit/index.ts';
import {
  clientFinalMessage,
  clientFirstMessage,
  scramCredentials,
  serverFirstMessage,
  verifyClientFinal,
} from './scram.ts';

// RFC 7677, section 3: user "user", password "pencil".
const RFC = {
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

function computing<T>(promise: Promise<T>): Promise<T> {
  return withDeadline(promise, { ms: 5_000, message: 'the SCRAM computation never finished' });
}

/** 'rejected', or 'resolved'; a TODO error is passed on as it is (it is not the refusal asked for). */
async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (err) {
    if (/^TODO/.test((err as Error).message)) throw err;
    return 'rejected';
  }
}

describe('Task 9: challenge: SCRAM-SHA-256', () => {
  it("writes the client's first message of RFC 7677", () => {
    expect(clientFirstMessage('user', RFC.clientNonce), 'client-first-message').toBe(RFC.clientFirst);
    expect(clientFirstMessage('a,b=c', 'n0nce'), 'a name with , and =').toBe('n,,n=a=2Cb=3Dc,r=n0nce');
  });

  it("writes the server's first message of RFC 7677", async () => {
    const credentials = await computing(scramCredentials('pencil', RFC.salt, 4096));
    expect(serverFirstMessage(RFC.clientFirst, credentials, RFC.serverNonce), 'server-first-message').toBe(
      RFC.serverFirst,
    );
  });

  it("computes the client's proof of RFC 7677, and the server signature to expect", async () => {
    const final = await computing(clientFinalMessage('pencil', RFC.clientFirst, RFC.serverFirst));
    expect(final.message, 'client-final-message').toBe(RFC.clientFinal);
    expect(`v=${final.serverSignature}`, 'the server signature').toBe(RFC.serverFinal);
  });

  it("accepts RFC 7677's proof and answers with its server-final message", async () => {
    const credentials = await computing(scramCredentials('pencil', RFC.salt, 4096));
    expect(verifyClientFinal(credentials, RFC.clientFirst, RFC.serverFirst, RFC.clientFinal), 'server-final').toBe(
      RFC.serverFinal,
    );
  });

  it('refuses a wrong proof, a changed nonce and a missing proof', async () => {
    const credentials = await computing(scramCredentials('pencil', RFC.salt, 4096));
    const wrongProof = RFC.clientFinal.replace('p=dHzb', 'p=dHzc');
    const otherNonce = RFC.clientFinal.replace('k0,p=', 'k1,p=');
    for (const [what, final] of [
      ['a proof with one bit changed', wrongProof],
      ['another nonce', otherNonce],
      ['no proof', 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0'],
      ['a short proof', 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=AAAA'],
    ] as const) {
      expect(verifyClientFinal(credentials, RFC.clientFirst, RFC.serverFirst, final), what).toBeNull();
    }
  });

  it('refuses the right proof for a different password', async () => {
    const credentials = await computing(scramCredentials('pencil2', RFC.salt, 4096));
    expect(verifyClientFinal(credentials, RFC.clientFirst, RFC.serverFirst, RFC.clientFinal), 'wrong password').toBe(
      null,
    );
  });

  it('lets a client and a server that share only the stored keys agree', async () => {
    const salt = Buffer.from('0123456789abcdef');
    const credentials = await computing(scramCredentials('correct horse', salt, 4096));
    const first = clientFirstMessage('alice', 'clientnonce123');
    const serverFirst = serverFirstMessage(first, credentials, 'servernonce456');
    const final = await computing(clientFinalMessage('correct horse', first, serverFirst));
    expect(verifyClientFinal(credentials, first, serverFirst, final.message), 'the server checks the proof').toBe(
      `v=${final.serverSignature}`,
    );
  });

  it('refuses a server that asks for fewer than 4096 iterations', async () => {
    const outcome = await computing(
      rejection(clientFinalMessage('pencil', RFC.clientFirst, RFC.serverFirst.replace('i=4096', 'i=1'))),
    );
    expect(outcome, 'i=1 from the server').toBe('rejected');
  });
});

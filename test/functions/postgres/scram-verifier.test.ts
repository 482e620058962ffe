import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sensitive } from '../../../shared/sensitive.ts';
import {
  parseScramVerifier,
  saslPrep,
  scramKeys,
  scramSha256Verifier,
} from '../../../functions/postgres/scram-verifier.ts';

// RFC 7677 section 3: user "user", password "pencil".
const RFC = {
  salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
  iterations: 4096,
  authMessage:
    'n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  clientProof: 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverSignature: '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

describe('scramSha256Verifier', () => {
  it('derives the keys of the RFC 7677 test vector (client proof and server signature match)', () => {
    const keys = scramKeys('pencil', RFC.salt, RFC.iterations);
    const clientSignature = createHmac('sha256', keys.storedKey).update(RFC.authMessage).digest();
    const proof = Buffer.from(keys.clientKey.map((byte, index) => byte ^ (clientSignature[index] as number)));
    expect(proof.toString('base64')).toBe(RFC.clientProof);
    expect(createHmac('sha256', keys.serverKey).update(RFC.authMessage).digest('base64')).toBe(
      RFC.serverSignature,
    );
  });

  it("writes PostgreSQL's SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey> format", () => {
    const verifier = scramSha256Verifier(new Sensitive('pencil'), { salt: RFC.salt });
    const parts = parseScramVerifier(verifier);
    expect(verifier.startsWith('SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$')).toBe(true);
    expect(parts?.storedKey.equals(scramKeys('pencil', RFC.salt, 4096).storedKey)).toBe(true);
    expect(verifier).not.toContain('pencil');
  });

  it('uses a fresh 16-byte salt each time', () => {
    const a = parseScramVerifier(scramSha256Verifier(new Sensitive('same')));
    const b = parseScramVerifier(scramSha256Verifier(new Sensitive('same')));
    expect(a?.salt.length).toBe(16);
    expect(a?.salt.equals(b?.salt as Buffer)).toBe(false);
  });

  it('refuses fewer than 4096 iterations', () => {
    expect(() => scramSha256Verifier(new Sensitive('x'), { iterations: 1000 })).toThrow(RangeError);
    expect(
      parseScramVerifier(scramSha256Verifier(new Sensitive('x'), { iterations: 8192 }))?.iterations,
    ).toBe(8192);
  });
});

describe('saslPrep', () => {
  it('leaves printable ASCII alone', () => {
    expect(saslPrep('a b!~"\\')).toBe('a b!~"\\');
  });

  it('maps non-ASCII spaces to a space, drops soft hyphens and NFKC-normalises', () => {
    expect(saslPrep('a\u00A0b\u00ADc\uFB01')).toBe('a bcfi');
  });

  it('falls back to the raw password when the result holds a prohibited character', () => {
    expect(saslPrep('é\u0007')).toBe('é\u0007');
  });
});

// The issuer of key-server tokens: short-lived EdDSA (Ed25519) JWTs saying "this request
// comes from user `sub`". The key server checks them against the public key this module
// publishes as a JWKS (a file the key server reads, and GET /api/jwks.json).
//
// A token is good for one key-server request (the key server remembers its `jti`), so the
// page asks for a fresh one per request.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type CryptoKey } from 'jose';

/** `kid` = `tenant:version`, as the key server expects; the tenant maps to our `iss`. */
export const TENANT = 'vendor-vault';

export class TokenIssuer {
  private constructor(
    private readonly key: CryptoKey,
    readonly publicJwks: { keys: JWK[] },
    private readonly kid: string,
    private readonly issuer: string,
    private readonly audience: string,
    private readonly ttl: number,
  ) {}

  /**
   * Loads the signing key from `dir/issuer-key.json` (created 0600 on first start) and
   * writes the public half to `dir/jwks.json`.
   */
  static async load(dir: string, issuer: string, audience: string, ttl: number): Promise<TokenIssuer> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = `${dir}/issuer-key.json`;
    let jwk: JWK;
    try {
      jwk = JSON.parse(await readFile(path, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      jwk = { ...(await exportJWK(privateKey)), kid: `${TENANT}:1`, alg: 'EdDSA', use: 'sig' };
      await writeFile(`${path}.tmp`, JSON.stringify(jwk), { mode: 0o600 });
      await rename(`${path}.tmp`, path);
    }
    const { d: _secret, ...pub } = jwk;
    const jwks = { keys: [pub] };
    await writeFile(`${dir}/jwks.json.tmp`, JSON.stringify(jwks, null, 2) + '\n');
    await rename(`${dir}/jwks.json.tmp`, `${dir}/jwks.json`);
    const key = (await importJWK(jwk, 'EdDSA')) as CryptoKey;
    return new TokenIssuer(key, jwks, jwk.kid!, issuer, audience, ttl);
  }

  /** A token for one key-server request by `userId`; `expiresAt` in ms. */
  async issue(userId: string): Promise<{ token: string; expiresAt: number }> {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: this.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(userId)
      .setIssuedAt(now)
      .setExpirationTime(now + this.ttl)
      .setJti(randomBytes(16).toString('base64url'))
      .sign(this.key);
    return { token, expiresAt: (now + this.ttl) * 1000 };
  }
}

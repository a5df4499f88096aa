// Account passwords: Argon2id (memory-hard), OWASP's first recommendation: 19 MiB, 2
// passes, 1 lane. The hash string carries its parameters, so they can be raised later.
import argon2 from 'argon2';

const OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

export function verifyPassword(hash: string, password: string): Promise<boolean> {
  return argon2.verify(hash, password).catch(() => false);
}

// Verified against when the username does not exist, so a login takes as long either way.
let dummy: Promise<string> | undefined;
export async function burnTime(password: string): Promise<void> {
  dummy ??= hashPassword('not a password of anyone');
  await verifyPassword(await dummy, password);
}

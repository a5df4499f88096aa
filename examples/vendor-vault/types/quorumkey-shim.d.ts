// Temporary: the package's own index.d.ts is not in its tarball yet.
declare module 'quorumkey' {
  export function ready(options?: unknown): Promise<void>;
  export class QuorumkeyError extends Error { code: string; retryable: boolean; status: number }
  export class WrongPasswordError extends QuorumkeyError { guessesRemaining?: number }
  export function isQuorumkeyError(e: unknown): e is QuorumkeyError;
  export function inspectHeader(h: Uint8Array): { vaultId: Uint8Array; epoch: number; digest: Uint8Array; policy: any };
  export function inspectCapsule(c: Uint8Array): { holder: number; vaultId: Uint8Array; epoch: number; keyId: string; keyVersion: number; purpose: string; needsPassword: boolean; mode: string; info?: Uint8Array };
  export function inspectUnit(u: Uint8Array): { vaultId: Uint8Array; unitId: Uint8Array; unitIdText?: string; version: number; gated: boolean; gateKeyId?: string; gateKeyVersion?: number; mode?: string; info?: Uint8Array };
  export function inspectKeySet(k: Uint8Array): any;
  export class DeviceShare { readonly holder: number; readonly vaultId: Uint8Array; readonly epoch: number; dispose(): void }
  export class ShareCard { static fromText(t: string): ShareCard; toSecretText(): string; readonly epoch: number; dispose(): void }
  export interface Request { keyId: string; body: Uint8Array; purpose: string }
  export class UnitRead { readonly requests: readonly Request[]; finish(r: (Uint8Array | null)[]): ({ ok: true; plaintext: Uint8Array } | { ok: false; error: QuorumkeyError })[]; dispose(): void }
  export class GatedSeal { readonly request: Request; finish(r: Uint8Array): Uint8Array; dispose(): void }
  export class UnlockedVault {
    readonly locked: boolean; readonly vaultId: Uint8Array; readonly epoch: number;
    touch(): void; lock(): void; dispose(): void;
    sealGated(unitId: string, plaintext: string | Uint8Array, o: { keyId: string; keySet: Uint8Array; info?: string }): GatedSeal;
    readUnits(units: Uint8Array[]): UnitRead;
  }
  export interface Transport {
    evaluate(b: Uint8Array): Promise<Uint8Array>; getKeys(): Promise<Uint8Array>; addKeyVersion(): Promise<Uint8Array>;
    dropKeyVersion(v: number): Promise<Uint8Array>; setPassword(b: Uint8Array): Promise<Uint8Array>;
    confirmUnlock(b: Uint8Array): Promise<Uint8Array>; changeTag(b: Uint8Array): Promise<Uint8Array>;
  }
  export class KeyServerClient implements Transport {
    constructor(o: { url: string; token?: string | (() => Promise<string> | string); headers?: Record<string, string>; timeoutMs?: number; fetch?: typeof fetch });
    evaluate(b: Uint8Array): Promise<Uint8Array>; getKeys(): Promise<Uint8Array>; addKeyVersion(): Promise<Uint8Array>;
    dropKeyVersion(v: number): Promise<Uint8Array>; setPassword(b: Uint8Array): Promise<Uint8Array>;
    confirmUnlock(b: Uint8Array): Promise<Uint8Array>; changeTag(b: Uint8Array): Promise<Uint8Array>;
  }
  export interface PolicySpec { threshold: number; holders: { id: number; kind: 'device' | 'keyServer' | 'custodian'; label: string; keyId?: string }[]; requireKeyServer?: boolean }
  export interface VaultOptions { idleTimeout?: number; onLock?: (reason: 'idle' | 'explicit') => void }
  export interface Enrolled { header: Uint8Array; headerDigest: Uint8Array; capsules: Uint8Array[]; deviceShares: DeviceShare[]; cards: ShareCard[]; vault: UnlockedVault; commit?: () => Promise<void>; units?: Uint8Array[] }
  export function enroll(o: { policy: PolicySpec; servers: Record<string, Transport>; password?: string; maxGuesses?: number } & VaultOptions): Promise<Enrolled>;
  export function unlock(o: { header: Uint8Array; shares: (DeviceShare | ShareCard)[]; capsules: Uint8Array[]; servers: Record<string, Transport>; password?: string; headerDigest?: Uint8Array } & VaultOptions): Promise<UnlockedVault>;
  export function rekey(v: UnlockedVault, o: { header: Uint8Array; capsules: Uint8Array[]; servers: Record<string, Transport>; policy?: PolicySpec; password?: string; units?: Uint8Array[] } & VaultOptions): Promise<Enrolled & { units: Uint8Array[]; commit: () => Promise<void> }>;
  export class IndexedDbShareStore { constructor(o?: { dbName?: string }); save(id: Uint8Array, s: DeviceShare): Promise<void>; load(id: Uint8Array): Promise<DeviceShare | null>; delete(id: Uint8Array): Promise<void>; close(): void }
}
declare module 'quorumkey/server' {
  export class KeyServer {
    static create(o: { seed: Uint8Array; issuer?: string; maxGuessesLimit?: number }): Promise<KeyServer>;
    nodeHandler(o: { store: unknown; authenticate: (req: any) => Promise<string | null> }): (req: any, res: any) => Promise<void>;
    operation(user: string, name: string, store: unknown, o?: { body?: Uint8Array; version?: number }): Promise<Uint8Array>;
  }
}

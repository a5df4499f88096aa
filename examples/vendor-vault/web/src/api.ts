// The page's client for the app's own API (accounts, sessions, key-server tokens, and the
// vault's public blobs). Bytes travel as base64url.

export interface Config {
  keyServerUrl: string;
  keyId: string;
  keyServerAuth: 'token' | 'session';
  vendorUrl: string;
  idleLockSeconds: number;
}

export interface Me {
  user: { id: string; username: string };
  hasVault: boolean;
}

export interface StoredUnit {
  vendor: string;
  version: number;
  unit: Uint8Array;
}

export interface StoredVault {
  epoch: number;
  header: Uint8Array;
  capsules: Uint8Array[];
  units: StoredUnit[];
}

/** An error answer of the API: `code` is stable, `message` is for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const b64 = (u: Uint8Array) => {
  let s = '';
  for (const b of u) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

export const unb64 = (s: string) => {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
};

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? { 'x-vendor-vault': '1' } : { 'content-type': 'application/json', 'x-vendor-vault': '1' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'offline', 'the app server cannot be reached');
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = data?.error;
    throw new ApiError(res.status, err?.code ?? 'http_' + res.status, err?.message ?? `HTTP ${res.status}`);
  }
  return data as T;
}

function vaultOf(v: { epoch: number; header: string; capsules: string[]; units: { vendor: string; version: number; unit: string }[] }): StoredVault {
  return {
    epoch: v.epoch,
    header: unb64(v.header),
    capsules: v.capsules.map(unb64),
    units: v.units.map((u) => ({ vendor: u.vendor, version: u.version, unit: unb64(u.unit) })),
  };
}

export const api = {
  config: () => call<Config>('GET', '/api/config'),
  me: () => call<Me>('GET', '/api/me'),
  signup: (username: string, password: string) => call<Me>('POST', '/api/signup', { username, password }),
  login: (username: string, password: string) => call<Me>('POST', '/api/login', { username, password }),
  logout: () => call<unknown>('POST', '/api/logout'),
  keyServerToken: async () => (await call<{ token: string }>('POST', '/api/keyserver-token')).token,
  vault: async () => vaultOf(await call('GET', '/api/vault')),
  putVault: async (v: { header: Uint8Array; capsules: Uint8Array[]; expectedEpoch: number | null; units?: { vendor: string; unit: Uint8Array }[] }) =>
    vaultOf(
      await call('PUT', '/api/vault', {
        header: b64(v.header),
        capsules: v.capsules.map(b64),
        expectedEpoch: v.expectedEpoch,
        units: v.units?.map((u) => ({ vendor: u.vendor, unit: b64(u.unit) })),
      }),
    ),
  putUnit: (vendor: string, unit: Uint8Array, expectedVersion: number | null) =>
    call<{ vendor: string; version: number }>('PUT', `/api/units/${encodeURIComponent(vendor)}`, { unit: b64(unit), expectedVersion }),
  deleteUnit: (vendor: string) => call<unknown>('DELETE', `/api/units/${encodeURIComponent(vendor)}`),
};

// A module Web Worker using the package's browser entry: enroll, seal and open.
import * as qk from '/pkg/dist/browser/browser.js';

const KEY_ID = 'keys.example.com';
const servers = { [KEY_ID]: new qk.KeyServerClient({ url: `${location.origin}/ks`, token: 'worker-user' }) };
try {
  const e = await qk.enroll({ policy: { threshold: 2, holders: [
    { id: 1, kind: 'device', label: 'worker' },
    { id: 2, kind: 'keyServer', label: 'ks', keyId: KEY_ID },
  ] }, servers });
  const unit = e.vault.seal('u', 'from a worker');
  e.vault.lock();
  const v = await qk.unlock({ header: e.header, shares: e.deviceShares, capsules: e.capsules, servers });
  postMessage(v.openText(unit));
} catch (err) {
  postMessage(`error ${err.code}: ${err.message}`);
}

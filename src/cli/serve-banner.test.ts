import { describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config/index.js';
import { insecureWarning, listeningAt } from './serve-banner.js';

describe('the listening line', () => {
  it('shows the address and port the server bound', () => {
    expect(listeningAt([{ address: '127.0.0.1', family: 'IPv4', port: 40123 }])).toEqual({
      url: 'http://127.0.0.1:40123',
    });
    expect(listeningAt([{ address: '::1', family: 'IPv6', port: 4021 }])).toEqual({
      url: 'http://[::1]:4021',
    });
    // localhost binds both loopbacks: the IPv4 one is named.
    expect(
      listeningAt([
        { address: '::1', family: 'IPv6', port: 4021 },
        { address: '127.0.0.1', family: 'IPv4', port: 4021 },
      ]),
    ).toEqual({ url: 'http://127.0.0.1:4021' });
  });

  it('names a loopback URL for a bind to every interface, and says it is one', () => {
    expect(listeningAt([{ address: '0.0.0.0', family: 'IPv4', port: 4021 }])).toEqual({
      url: 'http://127.0.0.1:4021',
      note: 'every interface, 0.0.0.0:4021',
    });
    expect(listeningAt([{ address: '::', family: 'IPv6', port: 4021 }])).toEqual({
      url: 'http://[::1]:4021',
      note: 'every interface, [::]:4021',
    });
  });
});

describe('the --insecure warning', () => {
  const load = (flags: Record<string, unknown>, env: Record<string, string> = {}) =>
    loadConfig({ flags: { log: 'memory', ...flags }, env, cwd: '/nonexistent-herald-dir' });

  it('is there only when insecure is set', () => {
    expect(insecureWarning(load({ host: '0.0.0.0', insecure: false }))).toBeUndefined();
    expect(insecureWarning(load({}))).toBeUndefined();
  });

  it('says what it exposes beyond loopback without auth, and where the setting came from', () => {
    expect(insecureWarning(load({ host: '0.0.0.0', insecure: true }))).toBe(
      'herald: warning: insecure (from --insecure): listening on 0.0.0.0 with no authentication: ' +
        'anyone who can reach this port can read every event and publish any. Configure auth.keys ' +
        'or auth.jwt (docs/auth.md).',
    );
    expect(insecureWarning(load({ host: '0.0.0.0' }, { HERALD_INSECURE: 'true' }))).toMatch(
      /^herald: warning: insecure \(from HERALD_INSECURE\): listening on 0\.0\.0\.0/,
    );
  });

  it('says it changes nothing on loopback or with auth', () => {
    expect(insecureWarning(load({ insecure: true }))).toBe(
      'herald: warning: insecure (from --insecure) is set but changes nothing here (127.0.0.1 is loopback)',
    );
    const keys = JSON.stringify([{ name: 'ops', key: 'a-long-test-key', admin: true }]);
    expect(insecureWarning(load({ host: '0.0.0.0', insecure: true }, { HERALD_AUTH__KEYS: keys }))).toBe(
      'herald: warning: insecure (from --insecure) is set but changes nothing here (auth is configured)',
    );
  });
});

import { DEFAULT_PUSH_ENDPOINT_HOSTS, parsePushEndpointHosts, pushEndpointProblem } from './push-endpoints';

const defaults = parsePushEndpointHosts(undefined);
const allowed = (endpoint: string, list = defaults) => pushEndpointProblem(endpoint, list);

describe('push endpoint allowlist', () => {
  it('allows the browsers\' push services by default, over https', () => {
    for (const url of [
      'https://fcm.googleapis.com/fcm/send/abc:APA91b',
      'https://updates.push.services.mozilla.com/wpush/v2/gAAAA',
      'https://wns2-by3p.notify.windows.com/w/?token=AwYAAAB',
      'https://web.push.apple.com/QGuQyavXutnMH',
      'https://api.push.apple.com/3/device/x',
      'https://FCM.googleapis.com./fcm/send/abc',
    ]) {
      expect({ url, problem: allowed(url) }).toEqual({ url, problem: null });
    }
    expect(parsePushEndpointHosts('')).toEqual(defaults);
    expect(defaults.length).toBe(DEFAULT_PUSH_ENDPOINT_HOSTS.length);
  });

  it('refuses other hosts, internal addresses, look-alikes and the wildcard\'s own apex', () => {
    for (const url of [
      'https://10.0.0.5/admin', 'https://169.254.169.254/latest/meta-data', 'https://localhost/push', 'https://127.0.0.1:4100/push/x',
      'https://fcm.googleapis.com.evil.example/x', 'https://evilfcm.googleapis.com/x', 'https://notify.windows.com/x', 'https://push.services.mozilla.com/x',
      'https://push.example.com/x',
    ]) {
      expect({ url, problem: allowed(url) }).toEqual({ url, problem: expect.stringContaining('is not a push service this deployment allows') });
    }
  });

  it('wants https, no credentials and a URL', () => {
    expect(allowed('http://fcm.googleapis.com/fcm/send/x')).toBe('endpoint must be an https URL');
    expect(allowed('ftp://fcm.googleapis.com/x')).toBe('endpoint must be an https URL');
    expect(allowed('https://u:p@fcm.googleapis.com/x')).toBe('endpoint must not hold credentials');
    expect(allowed('not a url')).toBe('endpoint must be a URL');
  });

  it('allows plain http to a host only when an entry says http:// (a local push endpoint), optionally on one port', () => {
    const local = parsePushEndpointHosts('default, http://127.0.0.1');
    expect(allowed('http://127.0.0.1:4100/push/x', local)).toBeNull();
    expect(allowed('https://127.0.0.1:4100/push/x', local)).toBeNull();
    expect(allowed('https://fcm.googleapis.com/x', local)).toBeNull();
    expect(allowed('http://localhost:4100/push/x', local)).toContain('is not a push service');
    const port = parsePushEndpointHosts('http://127.0.0.1:4100,push.example.com:8443');
    expect(allowed('http://127.0.0.1:4100/push/x', port)).toBeNull();
    expect(allowed('http://127.0.0.1:4101/push/x', port)).toContain('is not a push service');
    expect(allowed('https://push.example.com:8443/x', port)).toBeNull();
    expect(allowed('https://push.example.com/x', port)).toContain('is not a push service');
    expect(allowed('https://fcm.googleapis.com/x', port)).toContain('is not a push service');
  });

  it('refuses a setting it cannot read', () => {
    expect(() => parsePushEndpointHosts('fcm.googleapis.com, https://push.example.com/path')).toThrow(/cannot read "https:\/\/push.example.com\/path"/);
    expect(() => parsePushEndpointHosts('*')).toThrow(/cannot read/);
    expect(() => parsePushEndpointHosts('ftp://x.example')).toThrow(/cannot read/);
  });
});

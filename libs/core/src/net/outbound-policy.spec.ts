import { OutboundPolicy, OutboundUrlRefusedError } from './outbound-policy';

const strict = new OutboundPolicy({ allowLoopback: false, allowPrivate: false, allowHosts: ['ollama.internal:11434'] });

describe('OutboundPolicy (SSRF guard)', () => {
  it.each([
    ['http://169.254.169.254/latest/meta-data/', /link-local, metadata or reserved/],
    ['http://127.0.0.1:6379/', /loopback/],
    ['http://[::1]:6379/', /loopback/],
    ['http://0x7f000001:5432/', /loopback/],
    ['http://2130706433/', /loopback/],
    ['http://0177.0.0.1/', /loopback/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://localhost:11434/', /loopback/],
    ['http://10.0.0.5/', /private/],
    ['http://192.168.1.10:8080/', /private/],
    ['http://[fd00::1]/', /private/],
    ['http://100.64.0.1/', /private/],
    ['http://0.0.0.0/', /reserved/],
    ['http://user:pass@api.example.com/', /credentials/],
    ['ftp://files.example.com/', /http or https/],
    ['not a url', /not a valid URL/],
  ])('refuses %s', (url, why) => {
    expect(strict.refusal(url)).toMatch(why);
    expect(() => strict.assertAllowed('baseUrl', url)).toThrow(OutboundUrlRefusedError);
  });

  it('allows public hosts, allow-listed hosts (with their port) and the ranges the operator opened', () => {
    expect(strict.refusal('https://api.openai.com/v1')).toBeNull();
    expect(strict.refusal('http://93.184.216.34/')).toBeNull();
    expect(strict.refusal('http://ollama.internal:11434')).toBeNull();
    const lan = new OutboundPolicy({ allowLoopback: true, allowPrivate: true, allowHosts: [] });
    expect(lan.refusal('http://127.0.0.1:11434')).toBeNull();
    expect(lan.refusal('http://10.0.0.5:8000/v1')).toBeNull();
    // the metadata address stays closed even then
    expect(lan.refusal('http://169.254.169.254/')).toMatch(/never allowed/);
  });

  it('at connect time, drops resolved addresses the policy refuses (a name cannot resolve its way in)', async () => {
    const lookup = strict.connectLookup();
    const result = await new Promise<{ err: NodeJS.ErrnoException | null }>((resolve) => lookup('localhost', {}, (err) => resolve({ err })));
    expect(result.err?.code).toBe('EOUTBOUNDREFUSED');
    const open = new OutboundPolicy({ allowLoopback: true, allowPrivate: false, allowHosts: [] }).connectLookup();
    const ok = await new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
      open('localhost', {}, (err, address) => resolve({ err, address })),
    );
    expect(ok.err).toBeNull();
    expect(String(ok.address)).toMatch(/^(127\.0\.0\.1|::1)$/);
  });
});

/**
 * Revocation in every phase (spec §11): `disabled` exactly when the rule says so, never otherwise.
 */
import { describe, expect, it } from 'vitest';
import { useConnector, useGateway, type TestGateway } from '../support/fixtures.js';

const fast = { baseMs: 40, factor: 2, capMs: 200, stableMs: 10_000 };
const secrets = { g: 's' };
const creds = { gatewayId: 'g', secret: 's' };

const endsDisabled = async (gw: TestGateway): Promise<void> => {
  const change = await gw.reach('disabled');
  expect(change.context.disabledReason).toBe('relay disabled: credential revoked');
  expect(change.context.lastClose?.code).toBe(4401);
};

describe('revocation in every phase', () => {
  it('at upgrade, before any handshake: retried, never disabled', async () => {
    const connector = await useConnector({ secrets });
    connector.revoke('g');
    const gw = useGateway(connector, { ...creds, settings: { backoff: fast } });
    void gw.connection.start().catch(() => undefined);
    await expect.poll(() => connector.links.length, { timeout: 3000 }).toBeGreaterThanOrEqual(4);
    expect(gw.states).not.toContain('disabled');
    // Restoring the credential lets it in: the early 4401s were retryable.
    connector.restore('g');
    await gw.reach('serving');
  });

  it('while serving: one fresh-token re-dial, refused again -> disabled', async () => {
    const connector = await useConnector({ secrets });
    const gw = useGateway(connector, { ...creds, settings: { backoff: fast } });
    await gw.connection.start();
    connector.revoke('g');
    await endsDisabled(gw);
    expect(gw.states.slice(-3)).toEqual(['dialing', 'handshaking', 'disabled']);
    expect(connector.links).toHaveLength(2);
  });

  it('during going idle: disabled the same way', async () => {
    const connector = await useConnector({ secrets });
    connector.faults.holdGoingIdle = true;
    const gw = useGateway(connector, { ...creds, settings: { backoff: fast } });
    await gw.connection.start();
    const idle = gw.connection.goIdle(5000);
    await gw.reach('goingIdle');
    connector.revoke('g');
    await endsDisabled(gw);
    expect(await idle).toBe(false);
  });

  it('during the handshake of a reconnect: disabled', async () => {
    const connector = await useConnector({ secrets });
    const gw = useGateway(connector, { ...creds, settings: { backoff: fast } });
    await gw.connection.start();
    connector.faults.omitDescriptor = true;
    connector.dropLinks();
    await connector.waitForFrame((r) => r.frame.type === 'hello' && r.link === 2);
    expect(gw.connection.state).toBe('handshaking');
    connector.revoke('g');
    await endsDisabled(gw);
  });

  it('during backoff: the next dial is refused, the fresh-token re-dial too -> disabled', async () => {
    const connector = await useConnector({ secrets });
    const gw = useGateway(connector, { ...creds, settings: { backoff: { ...fast, baseMs: 300 } } });
    await gw.connection.start();
    connector.dropLinks();
    await gw.reach('reconnecting');
    connector.revoke('g');
    await endsDisabled(gw);
    expect(connector.links).toHaveLength(3);
  });

  it('"expired" in every phase never disables', async () => {
    const connector = await useConnector({ secrets });
    const gw = useGateway(connector, { ...creds, settings: { backoff: fast } });
    await gw.connection.start();
    connector.closeLinks(4401, 'expired');
    await connector.waitForHandshake(2);
    connector.faults.omitDescriptor = true;
    connector.closeLinks(4401, 'expired');
    await connector.waitForFrame((r) => r.frame.type === 'hello' && r.link === 3);
    connector.closeLinks(4401, 'expired');
    connector.faults.omitDescriptor = false;
    await connector.waitForHandshake(3);
    await expect.poll(() => gw.connection.state).toBe('serving');
    expect(gw.states).not.toContain('disabled');
  });

  it('a recovered re-dial that served stably is provisional again on the next 4401, not disabled at once', async () => {
    const connector = await useConnector({ secrets });
    const gw = useGateway(connector, { ...creds, settings: { backoff: { ...fast, stableMs: 200 } } });
    await gw.connection.start();
    connector.closeLinks(4401, 'glitch');
    await connector.waitForHandshake(2);
    await expect.poll(() => gw.connection.context.provisional, { timeout: 2000 }).toBe(false);
    connector.closeLinks(4401, 'glitch');
    await connector.waitForHandshake(3);
    expect(gw.states).not.toContain('disabled');
  });
});

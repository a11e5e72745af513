/**
 * `relay-gateway connect`: run one gateway until a signal, a revocation or an unexpected end.
 * @module
 */
import { createRelayGateway, type RelayGateway } from '../gateway/create-relay-gateway.js';
import { RelayDisabledError, GatewayStoppedError } from '../errors.js';
import { redactUrlUserinfo } from '../config/relay-settings.js';
import type { CliIo, StopSignal } from './cli-io.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { createEventPrinter, replyEvent, stateEvent } from './event-printer.js';
import type { ConnectSettings } from './connect-settings.js';
import { startCliVisualizer, type CliVisualizer } from './visualize.js';
import { portInUse } from './port-in-use.js';
import type { HealthServer } from '../metrics/health-server.js';

/** Prefix of echo replies (`--echo`). */
export const ECHO_PREFIX = 'echo: ';

/**
 * Run `connect` with resolved settings. Resolves with the exit code: 0 after a graceful stop on
 * SIGINT/SIGTERM, 3 when the gateway ends disabled, 1 when it ends any other way.
 */
export async function runConnect(settings: ConnectSettings, io: CliIo): Promise<ExitCode> {
  const print = createEventPrinter(settings.json, io);
  const gateway: RelayGateway = createRelayGateway(settings.gateway);
  // Warnings first: they explain the line that follows (why these credentials, or none).
  for (const warning of settings.warnings) io.stderr(`relay-gateway: warning: ${warning}`);
  if (!settings.json) {
    const { url, platform, gatewayId } = settings.gateway;
    // The secret is reduced to "set"; the URL's userinfo (a credential of its own) is masked.
    io.stderr(
      `${new Date(io.now()).toISOString()} connecting to ${redactUrlUserinfo(url)} as platform ${platform ?? 'relay'}` +
        `${gatewayId ? `, gateway ${gatewayId} (secret set)` : ', unauthenticated'}` +
        `; url from ${settings.provenance.url}${gatewayId ? `, credentials from ${settings.provenance.credentials}` : ''}`,
    );
  }

  let stopping = false;
  let settle: (code: ExitCode) => void = () => undefined;
  const finished = new Promise<ExitCode>((resolve) => (settle = resolve));

  gateway.onStateChange((state, info) => {
    print(stateEvent(state, info));
    if (state === 'disabled') settle(EXIT_CODES.disabled);
    else if (state === 'stopped') {
      if (!stopping) print({ event: 'error', message: 'the connection ended and will not be retried (reconnect is off)' });
      settle(stopping ? EXIT_CODES.ok : EXIT_CODES.unexpected);
    }
  });
  gateway.onDisabled((error) => print({ event: 'disabled', reason: error.reason }));
  gateway.onInterrupt((sessionKey, chatId) => print({ event: 'interrupt', sessionKey, chatId }));
  gateway.onMessage(async (event, ctx) => {
    const chatId = event.source.chat_id;
    print({ event: 'inbound', sessionKey: ctx.sessionKey, chatId, text: event.text, messageType: event.message_type, bufferId: ctx.bufferId ?? null });
    if (settings.echo) print(replyEvent(chatId, await gateway.send(chatId, `${ECHO_PREFIX}${event.text}`)));
  });

  let visualizer: CliVisualizer | undefined;
  let health: HealthServer | undefined;
  const removeSignalHandler = io.onStopSignal((signal: StopSignal) => {
    if (stopping) return;
    stopping = true;
    if (!settings.json) io.stderr(`${new Date(io.now()).toISOString()} ${signal}: going idle, then stopping`);
    // stop() goes idle (bounded) and closes; the `stopped` state change then settles the exit code.
    gateway.stop().catch((error: unknown) => {
      print({ event: 'error', message: `stop failed: ${String(error)}` });
      settle(EXIT_CODES.unexpected);
    });
  });
  try {
    // The servers first: a port that is taken ends the command (exit 2) before anything dials.
    if (settings.visualizePort !== null) {
      visualizer = await startCliVisualizer(gateway, { port: settings.visualizePort, control: settings.visualizeControl }).catch((error: unknown) => {
        throw portInUse(error, '--visualize', settings.visualizePort ?? 0) ?? error;
      });
      print({ event: 'visualizer', url: visualizer.url });
    }
    if (settings.health !== null) {
      const { port, host } = settings.health;
      // Loaded on demand: prom-client is only needed when the health server is asked for.
      const { serveHealth } = await import('../metrics/health-server.js');
      health = await serveHealth(gateway, { port, host }).catch((error: unknown) => {
        throw portInUse(error, '--health-port', port, host) ?? error;
      });
      print({ event: 'health', url: health.url });
    }
    gateway.start().catch((error: unknown) => {
      // Disabled and stopped ends are reported through the state listener; anything else is unexpected.
      if (error instanceof RelayDisabledError || error instanceof GatewayStoppedError) return;
      print({ event: 'error', message: error instanceof Error ? error.message : String(error) });
      settle(EXIT_CODES.unexpected);
    });
    return await finished;
  } finally {
    removeSignalHandler();
    // Ending here is on purpose (a signal, a revocation, or a server that could not start): the
    // stop it causes is not the "connection ended" of reconnect being off.
    stopping = true;
    await gateway.stop();
    await visualizer?.close();
    await health?.close();
  }
}

/**
 * `relay-gateway connect`: run one gateway until a signal, a revocation or an unexpected end.
 * @module
 */
import { createRelayGateway, type RelayGateway } from '../gateway/create-relay-gateway.js';
import { RelayDisabledError, GatewayStoppedError } from '../errors.js';
import { redactUrlUserinfo } from '../config/relay-settings.js';
import type { CliIo, StopSignal } from './cli-io.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { createEventPrinter, declineEvent, promptEvent, replyEvent, stateEvent } from './event-printer.js';
import type { Capabilities } from '../protocol/capabilities.js';
import type { PromptOptionSpec } from '../gateway/later-op-types.js';
import type { Identity } from '../identity/identity.js';
import type { ConnectSettings } from './connect-settings.js';
import { startCliVisualizer, type CliVisualizer } from './visualize.js';
import { portInUse } from './port-in-use.js';
import type { HealthServer } from '../metrics/health-server.js';

/** Prefix of echo replies (`--echo`). */
export const ECHO_PREFIX = 'echo: ';

/** `--echo`: a message `/prompt <question>` is answered with an approve/deny prompt instead. */
export const ECHO_PROMPT_COMMAND = '/prompt';

/** The buttons of an echo prompt. */
export const ECHO_PROMPT_OPTIONS: readonly PromptOptionSpec[] = Object.freeze([
  Object.freeze({ id: 'approve', label: 'Approve', style: 'primary' }),
  Object.freeze({ id: 'deny', label: 'Deny', style: 'danger' }),
]);

/** Marks an echo that was cut to fit. */
const CUT_MARK = '…';

/** Outcome of {@link fitToChat}. */
export interface FittedText {
  readonly text: string;
  /** Whether `text` was cut. */
  readonly truncated: boolean;
}

/**
 * Cut `text` to a chat's length limit (protocol-later §1.4): `maxMessageLength` counted in the
 * chat's unit (`chars`: code points; `utf16`: code units), never splitting a code point; a cut text
 * ends in `…`, counted in the limit. No capabilities (no descriptor yet): unchanged.
 */
export function fitToChat(text: string, capabilities: Pick<Capabilities, 'maxMessageLength' | 'messageLength'> | null): FittedText {
  if (capabilities === null) return { text, truncated: false };
  const { maxMessageLength: max, messageLength } = capabilities;
  if (messageLength(text) <= max) return { text, truncated: false };
  const budget = max - messageLength(CUT_MARK);
  let used = 0;
  let kept = '';
  for (const codePoint of text) {
    const cost = messageLength(codePoint);
    if (used + cost > budget) break;
    used += cost;
    kept += codePoint;
  }
  return { text: budget < 0 ? '' : `${kept}${CUT_MARK}`, truncated: true };
}

/** The question of an echo `/prompt <question>` message, or `undefined` for any other text. */
export function echoPromptQuestion(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed !== ECHO_PROMPT_COMMAND && !trimmed.startsWith(`${ECHO_PROMPT_COMMAND} `)) return undefined;
  const question = trimmed.slice(ECHO_PROMPT_COMMAND.length).trim();
  return question === '' ? 'Approve?' : question;
}

/** How the start-up line names the identities: `platform telegram`, `platforms discord (bot d-1), telegram`. */
export function describeIdentities(identities: readonly Identity[]): string {
  const one = (identity: Identity): string => `${identity.platform}${identity.botId !== '' ? ` (bot ${identity.botId})` : ''}`;
  return `${identities.length === 1 ? 'platform' : 'platforms'} ${identities.map(one).join(', ')}`;
}

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
    const { url, gatewayId } = settings.gateway;
    const identitiesFrom = settings.provenance.identities;
    // The secret is reduced to "set"; the URL's userinfo (a credential of its own) is masked.
    io.stderr(
      `${new Date(io.now()).toISOString()} connecting to ${redactUrlUserinfo(url)} as ${describeIdentities(gateway.identities)}` +
        `${gatewayId ? `, gateway ${gatewayId} (secret set)` : ', unauthenticated'}` +
        `; url from ${settings.provenance.url}${gatewayId ? `, credentials from ${settings.provenance.credentials}` : ''}` +
        `${identitiesFrom !== 'default' ? `, identities from ${identitiesFrom}` : ''}`,
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
  // Prompt answers never reach onMessage (the gateway consumes them), so they are never echoed.
  gateway.onPromptResponse((answer) => print(promptEvent(answer)));
  gateway.onDecline((notice) => print(declineEvent(notice)));
  gateway.onMessage(async (event, ctx) => {
    const chatId = event.source.chat_id;
    print({ event: 'inbound', sessionKey: ctx.sessionKey, chatId, text: event.text, messageType: event.message_type, bufferId: ctx.bufferId ?? null });
    if (!settings.echo) return;
    // Everything per chat: the gateway tags the reply with the chat's platform, and the limit and
    // the ops are the chat's descriptor's, not the primary's.
    const capabilities = gateway.capabilitiesFor(chatId);
    const question = echoPromptQuestion(event.text);
    // A chat without the prompt lane gets the plain echo (not_supported allows a fallback; a decline
    // would not, and a declined prompt is reported as it is).
    if (question !== undefined && capabilities?.supportsOp('prompt') === true) {
      const fitted = fitToChat(question, capabilities);
      const result = await gateway.prompt(chatId, fitted.text, { kind: 'approval', options: ECHO_PROMPT_OPTIONS, replyTo: event.message_id });
      print(replyEvent(chatId, result, { truncated: fitted.truncated, ...(result.promptId !== undefined ? { promptId: result.promptId } : {}) }));
      return;
    }
    const fitted = fitToChat(`${ECHO_PREFIX}${event.text}`, capabilities);
    print(replyEvent(chatId, await gateway.send(chatId, fitted.text), { truncated: fitted.truncated }));
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

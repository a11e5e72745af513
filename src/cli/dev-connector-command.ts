/**
 * `relay-gateway dev-connector`: the embedded dev connector as a process a person (or a script) can
 * drive from stdin: push messages, interrupt, drop or close the link, revoke and restore.
 * @module
 */
import { createInterface } from 'node:readline';
import { ANONYMOUS, startDevConnector, type LinkRecord, type ReceivedFrame } from '../dev-connector/dev-connector.js';
import { descriptorFromPlatformEntry } from '../protocol/descriptor.js';
import { buildSessionKey } from '../session/session-key.js';
import type { CliIo } from './cli-io.js';
import { readSecretFile } from './read-secret-file.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { CONTROL_HELP, parseControlLine, type ControlCommand } from './dev-connector-control.js';
import { portInUse } from './port-in-use.js';

/** Options of `relay-gateway dev-connector`. */
export interface DevConnectorCommandOptions {
  /** Port on 127.0.0.1. @default 0 */
  readonly port: number;
  /** Platform of the descriptor the connector hands out. @default "relay" */
  readonly platform: string;
  /** File holding the shared secret; when set, upgrades must be signed by `gatewayId`. @default none */
  readonly secretFile?: string | undefined;
  /** Gateway id accepted with the secret. @default "dev-gateway" */
  readonly gatewayId: string;
  /** JSON lines on stdout instead of readable lines. @default false */
  readonly json: boolean;
  /** Read control commands from stdin; the end of stdin then stops the connector. @default true */
  readonly readStdin?: boolean;
}

/**
 * The command that starts a gateway against this connector, as it can be run where the connector
 * was started: the installed binary (`npx relay-gateway`), or from a checkout `npm run cli --`.
 */
function connectHint(url: string, auth: string): string {
  const args = `connect --url ${url}${auth}`;
  const fromCheckout = /[\\/]src[\\/]cli[\\/]main\.ts$/u.test(process.argv[1] ?? '');
  return fromCheckout ? `npm run cli -- ${args}` : `npx relay-gateway ${args}`;
}

/** Gateway id the dev connector accepts when a secret file is given without `--gateway-id`. */
export const DEFAULT_DEV_GATEWAY_ID = 'dev-gateway';

type Output = Record<string, unknown> & { readonly event: string };

function describeOutput(out: Output): string {
  const { event, ...rest } = out;
  const fields = Object.entries(rest)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${event}${fields ? ` ${fields}` : ''}`;
}

function frameSummary(received: ReceivedFrame): Output {
  const { frame } = received;
  const base = { event: 'frame', link: received.link, gateway: received.gateway, type: frame.type };
  switch (frame.type) {
    case 'outbound':
      return { ...base, requestId: frame.requestId, op: frame.action.op, ...('chat_id' in frame.action ? { chatId: frame.action.chat_id } : {}), ...('content' in frame.action ? { content: frame.action.content } : {}) };
    case 'inbound_ack':
      return { ...base, bufferId: frame.bufferId };
    case 'hello':
      return { ...base, platform: frame.platform };
    default:
      return base;
  }
}


/** Run the dev connector until SIGINT/SIGTERM or the end of stdin. Resolves with the exit code. */
export async function runDevConnector(options: DevConnectorCommandOptions, io: CliIo): Promise<ExitCode> {
  const readStdin = options.readStdin ?? true;
  const secretFile = options.secretFile !== undefined ? readSecretFile(options.secretFile) : undefined;
  if (secretFile?.warning) io.stderr(`relay-gateway: warning: ${secretFile.warning}`);
  const secret = secretFile?.secret;
  const gatewayId = secret !== undefined ? options.gatewayId : ANONYMOUS;
  const out = (value: Output): void => (options.json ? io.stdout(JSON.stringify(value)) : io.stdout(describeOutput(value)));
  // Listen for the stop signal before announcing anything: whoever reads `listening` may signal at
  // once, and a signal that arrives before a handler exists kills the process without cleanup.
  let removeSignalHandler: () => void = () => undefined;
  const stopSignal = new Promise<string>((resolve) => {
    removeSignalHandler = io.onStopSignal((name) => {
      removeSignalHandler();
      resolve(name);
    });
  });
  const connector = await startDevConnector({
    port: options.port,
    descriptor: descriptorFromPlatformEntry({ name: options.platform, label: `${options.platform} (dev connector)`, max_message_length: 4096 }),
    ...(secret !== undefined ? { secrets: { [gatewayId]: secret } } : {}),
  }).catch((error: unknown) => {
    removeSignalHandler();
    throw portInUse(error, '--port', options.port) ?? error;
  });
  out({ event: 'listening', url: connector.url, port: connector.port, platform: options.platform, gatewayId: secret !== undefined ? gatewayId : null });
  if (!options.json) {
    const auth = secret !== undefined ? ` --gateway-id ${gatewayId} --secret-file <file>` : '';
    io.stderr(`${readStdin ? 'type "help" for commands; ' : ''}connect a gateway with: ${connectHint(connector.url, auth)}`);
  }

  const onLink = (link: LinkRecord): void => out({ event: 'link', link: link.id, gateway: link.gateway });
  const onHandshake = (link: LinkRecord): void => out({ event: 'handshake', link: link.id, gateway: link.gateway });
  const onClose = (link: LinkRecord): void => out({ event: 'close', link: link.id, gateway: link.gateway, code: link.closeCode ?? null });
  const onFrame = (received: ReceivedFrame): void => out(frameSummary(received));
  connector.events.on('link', onLink);
  connector.events.on('handshake', onHandshake);
  connector.events.on('close', onClose);
  connector.events.on('frame', onFrame);

  const execute = (command: ControlCommand): void => {
    switch (command.op) {
      case 'inbound': {
        const bufferId = connector.pushInbound(
          {
            text: command.text,
            source: { platform: options.platform, chat_id: command.chatId, chat_type: command.chatType ?? 'dm', user_id: command.userId ?? 'dev-user', user_name: command.userId ?? 'dev-user' },
          },
          command.gatewayId ?? gatewayId,
        );
        out({ event: 'pushed', chatId: command.chatId, buffered: bufferId !== undefined, bufferId: bufferId ?? null });
        return;
      }
      case 'interrupt': {
        // The session key the gateway derives for a `say` from this chat (default session options).
        const sessionKey = buildSessionKey({ platform: options.platform, chat_id: command.chatId, chat_type: 'dm', user_id: command.userId ?? 'dev-user' });
        out({ event: 'interrupted', chatId: command.chatId, sessionKey, delivered: connector.pushInterrupt(sessionKey, command.chatId, command.gatewayId ?? gatewayId) });
        return;
      }
      case 'drop':
        connector.dropLinks();
        out({ event: 'dropped', links: connector.openLinks });
        return;
      case 'close':
        connector.closeLinks(command.code, command.reason);
        out({ event: 'closed', code: command.code });
        return;
      case 'revoke':
        connector.revoke(command.gatewayId ?? gatewayId);
        out({ event: 'revoked', gatewayId: command.gatewayId ?? gatewayId });
        return;
      case 'restore':
        connector.restore(command.gatewayId ?? gatewayId);
        out({ event: 'restored', gatewayId: command.gatewayId ?? gatewayId });
        return;
      case 'status':
        out({ event: 'status', openLinks: connector.openLinks, links: connector.links.length, received: connector.received.length, buffered: connector.buffered(gatewayId).length });
        return;
      case 'help':
        io.stderr(CONTROL_HELP);
        return;
    }
  };

  // Commands come from stdin, and its end (Ctrl-D, a script that finished) stops the connector like
  // a signal; with --no-stdin only a signal does (a detached run).
  let lines: ReturnType<typeof createInterface> | undefined;
  const endOfInput = new Promise<string>((resolve) => {
    if (!readStdin) return;
    lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
    lines.on('line', (line) => {
      const parsed = parseControlLine(line);
      if (parsed.ok === 'empty') return;
      if (parsed.ok) execute(parsed.command);
      else out({ event: 'error', message: parsed.error });
    });
    lines.once('close', () => resolve('EOF'));
  });

  const signal = await Promise.race([stopSignal, endOfInput]);
  removeSignalHandler();
  lines?.close();
  connector.events.off('link', onLink);
  connector.events.off('handshake', onHandshake);
  connector.events.off('close', onClose);
  connector.events.off('frame', onFrame);
  await connector.close();
  out({ event: 'stopped', signal });
  return EXIT_CODES.ok;
}

/**
 * `relay-gateway dev-connector`: the embedded dev connector as a process a person (or a script) can
 * drive from stdin: push messages (from any platform), interrupt, drop or close the link, revoke and
 * restore, press prompt buttons, decline egress into a chat. With `descriptorsFile` it answers each
 * identity's hello with that platform's descriptor, as a connector fronting several platforms does.
 * @module
 */
import { createInterface } from 'node:readline';
import { ANONYMOUS, startDevConnector, type LinkRecord, type PressOutcome, type ReceivedFrame } from '../dev-connector/dev-connector.js';
import { devDescriptor, readDescriptorsFile } from '../dev-connector/dev-descriptors.js';
import type { MediaUploadRecord } from '../dev-connector/media-store.js';
import type { CapabilityDescriptor } from '../protocol/descriptor.js';
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
  /** Platform of the descriptor handed to hellos without one of their own (and of `say`). @default "relay" */
  readonly platform: string;
  /**
   * YAML or JSON file mapping platform -> descriptor settings (`max_message_length`, `len_unit`,
   * `supported_ops`, `supports_edit`, `supports_draft_streaming`, ...): each hello for a listed
   * platform gets its own descriptor, and `say` speaks for the first one listed. @default none
   */
  readonly descriptorsFile?: string | undefined;
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

/** The fields of an outbound action worth a line: what it addresses and, per op, what it asks. */
function actionSummary(action: Extract<ReceivedFrame['frame'], { type: 'outbound' }>['action']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if ('chat_id' in action) out.chatId = action.chat_id;
  if ('content' in action) out.content = action.content;
  switch (action.op) {
    case 'draft':
      return { ...out, draftId: action.draft_id, final: action.final };
    case 'send_media':
      return { ...out, mediaKind: action.media_kind, sourceUrl: action.source_url };
    case 'prompt':
      // The prompt id and option ids are what `press` takes.
      return { ...out, promptId: action.prompt_id, options: action.options.map((option) => option.id) };
    case 'react':
      return { ...out, messageId: action.message_id, emoji: action.emoji, remove: action.remove };
    case 'edit':
    case 'delete':
      return { ...out, messageId: action.message_id };
    case 'thread_create':
      return { ...out, threadName: action.thread_name };
    case 'thread_rename':
      return { ...out, threadId: action.message_id, threadName: action.thread_name };
    case 'task_card':
    case 'task_card_stop':
      return { ...out, cardId: action.card_id };
    default:
      return out;
  }
}

function frameSummary(received: ReceivedFrame): Output {
  const { frame } = received;
  const base = { event: 'frame', link: received.link, gateway: received.gateway, type: frame.type };
  switch (frame.type) {
    case 'outbound':
      return {
        ...base,
        requestId: frame.requestId,
        op: frame.action.op,
        // The identity tag: which of the link's identities the request speaks for.
        ...(frame.platform !== undefined ? { platform: frame.platform } : {}),
        ...(frame.botId !== undefined ? { botId: frame.botId } : {}),
        ...actionSummary(frame.action),
      };
    case 'inbound_ack':
      return { ...base, bufferId: frame.bufferId };
    case 'hello':
      return { ...base, platform: frame.platform, botId: frame.botId };
    default:
      return base;
  }
}

/** A descriptor in one line: what differs between platforms. */
function descriptorSummary(descriptor: CapabilityDescriptor): Record<string, unknown> {
  return {
    platform: descriptor.platform,
    maxMessageLength: descriptor.max_message_length,
    lenUnit: descriptor.len_unit,
    supportsEdit: descriptor.supports_edit,
    supportsDraftStreaming: descriptor.supports_draft_streaming,
    supportedOps: descriptor.supported_ops,
  };
}

/** An upload in one line; the record holds no credential, only whether one came and was accepted. */
function uploadSummary(upload: MediaUploadRecord): Output {
  return {
    event: 'media',
    status: upload.status,
    id: upload.id ?? null,
    gateway: upload.gateway,
    authorized: upload.authorized,
    filename: upload.filename ?? null,
    contentType: upload.contentType ?? null,
    bytes: upload.bytes,
    userAgent: upload.userAgent ?? null,
  };
}

/** Run the dev connector until SIGINT/SIGTERM or the end of stdin. Resolves with the exit code. */
export async function runDevConnector(options: DevConnectorCommandOptions, io: CliIo): Promise<ExitCode> {
  const readStdin = options.readStdin ?? true;
  const secretFile = options.secretFile !== undefined ? readSecretFile(options.secretFile) : undefined;
  if (secretFile?.warning) io.stderr(`relay-gateway: warning: ${secretFile.warning}`);
  const secret = secretFile?.secret;
  const gatewayId = secret !== undefined ? options.gatewayId : ANONYMOUS;
  // Read first: a bad file is a usage error, reported before anything listens or waits for a signal.
  const descriptors = options.descriptorsFile !== undefined ? readDescriptorsFile(options.descriptorsFile) : undefined;
  // `say` speaks for the first platform of the file: the one a person set up the run for.
  const defaultPlatform = descriptors ? ([...descriptors.keys()][0] ?? options.platform) : options.platform;
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
    descriptor: devDescriptor(options.platform),
    ...(descriptors ? { descriptors: Object.fromEntries(descriptors) } : {}),
    ...(secret !== undefined ? { secrets: { [gatewayId]: secret } } : {}),
  }).catch((error: unknown) => {
    removeSignalHandler();
    throw portInUse(error, '--port', options.port) ?? error;
  });
  out({ event: 'listening', url: connector.url, port: connector.port, platform: options.platform, gatewayId: secret !== undefined ? gatewayId : null });
  for (const platform of connector.platforms) out({ event: 'descriptor', ...descriptorSummary(connector.descriptorFor(platform)) });
  if (!options.json) {
    const auth = secret !== undefined ? ` --gateway-id ${gatewayId} --secret-file <file>` : '';
    io.stderr(`${readStdin ? 'type "help" for commands; ' : ''}connect a gateway with: ${connectHint(connector.url, auth)}`);
  }

  const onLink = (link: LinkRecord): void => out({ event: 'link', link: link.id, gateway: link.gateway });
  const onHandshake = (link: LinkRecord): void => out({ event: 'handshake', link: link.id, gateway: link.gateway });
  const onClose = (link: LinkRecord): void => out({ event: 'close', link: link.id, gateway: link.gateway, code: link.closeCode ?? null });
  const onFrame = (received: ReceivedFrame): void => out(frameSummary(received));
  const onMedia = (upload: MediaUploadRecord): void => out(uploadSummary(upload));
  connector.events.on('link', onLink);
  connector.events.on('handshake', onHandshake);
  connector.events.on('close', onClose);
  connector.events.on('frame', onFrame);
  connector.events.on('media', onMedia);
  // The platform each chat was last pushed from: an interrupt names the session the gateway derived.
  const chatPlatforms = new Map<string, string>();
  const pressed = (outcome: PressOutcome): Output => ({
    event: 'pressed',
    promptId: outcome.prompt.promptId,
    optionId: outcome.optionId,
    label: outcome.label ?? null,
    chatId: outcome.prompt.chatId,
    platform: outcome.prompt.platform,
    gatewayId: outcome.prompt.gateway,
    buffered: outcome.bufferId !== undefined,
    bufferId: outcome.bufferId ?? null,
  });

  const execute = (command: ControlCommand): void => {
    switch (command.op) {
      case 'inbound': {
        const platform = command.platform ?? defaultPlatform;
        if (chatPlatforms.size >= 1024 && !chatPlatforms.has(command.chatId)) chatPlatforms.clear();
        chatPlatforms.set(command.chatId, platform);
        const bufferId = connector.pushInbound(
          {
            text: command.text,
            source: { platform, chat_id: command.chatId, chat_type: command.chatType ?? 'dm', user_id: command.userId ?? 'dev-user', user_name: command.userId ?? 'dev-user' },
          },
          command.gatewayId ?? gatewayId,
        );
        out({ event: 'pushed', chatId: command.chatId, ...(command.platform !== undefined ? { platform } : {}), buffered: bufferId !== undefined, bufferId: bufferId ?? null });
        return;
      }
      case 'interrupt': {
        // The session key the gateway derives for a `say` from this chat (default session options).
        const sessionKey = buildSessionKey({ platform: chatPlatforms.get(command.chatId) ?? defaultPlatform, chat_id: command.chatId, chat_type: 'dm', user_id: command.userId ?? 'dev-user' });
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
        out({
          event: 'status',
          openLinks: connector.openLinks,
          links: connector.links.length,
          received: connector.received.length,
          buffered: connector.buffered(gatewayId).length,
          declined: connector.declinedChats,
          prompts: connector.prompts.length,
          uploads: connector.uploads.length,
        });
        return;
      case 'press': {
        const outcome = connector.press(command.promptId, command.optionId, command.userId !== undefined ? { userId: command.userId } : {});
        if (outcome) out(pressed(outcome));
        // Same shape as a bad line: the connector keeps going, the person sees what was wrong.
        else out({ event: 'error', message: `press: no prompt ${JSON.stringify(command.promptId)} came through this connector (its id is on the prompt's frame line)` });
        return;
      }
      case 'decline':
        out({ event: 'declined', chatId: command.chatId, already: !connector.decline(command.chatId) });
        return;
      case 'undecline':
        out({ event: 'undeclined', chatId: command.chatId, wasDeclined: connector.undecline(command.chatId) });
        return;
      case 'identities':
        out({
          event: 'identities',
          fallback: descriptorSummary(connector.fallbackDescriptor),
          descriptors: connector.platforms.map((platform) => descriptorSummary(connector.descriptorFor(platform))),
          links: connector.links.filter((link) => link.closedAt === undefined).map((link) => ({ link: link.id, gateway: link.gateway, hellos: link.hellos })),
        });
        return;
      case 'wake': {
        // There is no frame that wakes a gateway: after going dormant it redials by itself (1 s,
        // doubling to 30 s), and its buffer is replayed on that handshake. Say so, with what waits.
        const status = connector.gatewayStatus(command.gatewayId ?? gatewayId);
        out({
          event: 'wake',
          gatewayId: status.gateway,
          connected: status.openLinks > 0,
          idle: status.idle,
          buffered: status.buffered,
          note: status.openLinks > 0 && !status.idle ? 'the gateway is serving' : 'nothing to send: a dormant gateway redials by itself and then gets its buffer replayed',
        });
        return;
      }
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
  connector.events.off('media', onMedia);
  await connector.close();
  out({ event: 'stopped', signal });
  return EXIT_CODES.ok;
}

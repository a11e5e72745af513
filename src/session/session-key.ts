/**
 * Session keys (the rules are stated below, with the vectors they must match): the deterministic name of one conversation. Two messages share an agent
 * session exactly when their keys are equal, so the layout must stay byte-identical to the
 * reference's, or existing sessions would split or, worse, merge.
 * @module
 */

/**
 * The fields of a SessionSource that decide its key, under their wire names so a parsed
 * SessionSource can be passed as it is. An empty string counts as absent, like `null`/`undefined`.
 */
export interface SessionKeySource {
  /** Platform name; absent means `relay` (the wire default). */
  readonly platform?: string | null | undefined;
  /** Chat (conversation) id. */
  readonly chat_id?: string | null | undefined;
  /** Chat kind (`dm`, `group`, `channel`, `thread`, ...); absent means `dm` (the wire default). */
  readonly chat_type?: string | null | undefined;
  /** Sender id. */
  readonly user_id?: string | null | undefined;
  /** Stable alternative sender id; preferred over `user_id` when present. */
  readonly user_id_alt?: string | null | undefined;
  /** Thread or topic the message is in. */
  readonly thread_id?: string | null | undefined;
  /** Thread a channel message will be delivered into (Discord auto-threads); ignored in DMs. */
  readonly prospective_thread_id?: string | null | undefined;
  /** Tenant scope (Discord guild, Slack workspace); only Slack's enters the key. */
  readonly scope_id?: string | null | undefined;
}

/** Isolation and namespacing choices for {@link buildSessionKey}. */
export interface SessionKeyOptions {
  /**
   * Outside threads, give each participant of a group or channel a session of their own.
   * @default true
   */
  readonly groupSessionsPerUser?: boolean;
  /**
   * Inside threads, give each participant a session of their own (threads are shared otherwise).
   * @default false
   */
  readonly threadSessionsPerUser?: boolean;
  /**
   * Profile whose namespace prefixes the key; see {@link sessionNamespace}.
   * @default undefined (namespace `agent:main`)
   */
  readonly profile?: string | null | undefined;
}

const DEFAULT_NAMESPACE = 'agent:main';
const WHATSAPP = 'whatsapp';
const SLACK = 'slack';

/** `undefined` for absent and empty values, so every later test is a plain truthiness check. */
function present(value: string | null | undefined): string | undefined {
  return value ? value : undefined;
}

/**
 * The `agent:<name>` prefix of every key of a profile. The default profile keeps `agent:main`, which
 * every historical key uses; a profile literally called `main` becomes `agent:main~` so that it
 * cannot share the default profile's sessions (`~` is not allowed in profile ids).
 * @param profile - Profile id; absent, empty or `default` selects the default namespace.
 */
export function sessionNamespace(profile: string | null | undefined): string {
  if (!profile || profile === 'default') return DEFAULT_NAMESPACE;
  return profile === 'main' ? `${DEFAULT_NAMESPACE}~` : `agent:${profile}`;
}

/**
 * Reduce a WhatsApp JID or phone number to the bare id, so the forms the bridge alternates between
 * (`+15551234567`, `15551234567@s.whatsapp.net`, `15551234567:12@s.whatsapp.net`) name one person.
 * Trims, keeps what precedes `@`, drops a `:device` suffix, then drops one leading `+`.
 * @param id - The identifier; absent gives `""`.
 */
export function normalizeWhatsAppId(id: string | null | undefined): string {
  let bare = (id ?? '').trim();
  const at = bare.indexOf('@');
  if (at >= 0) bare = bare.slice(0, at);
  const device = bare.indexOf(':');
  if (device >= 0) bare = bare.slice(0, device);
  return bare.startsWith('+') ? bare.slice(1) : bare;
}

/**
 * The sender id used to isolate per-user sessions. On WhatsApp it is normalized; an id that
 * normalizes to nothing is kept raw, as the reference does, rather than silently merging senders.
 */
function participantId(source: SessionKeySource, isWhatsApp: boolean): string | undefined {
  const raw = present(source.user_id_alt) ?? present(source.user_id);
  if (raw === undefined || !isWhatsApp) return raw;
  return present(normalizeWhatsAppId(raw)) ?? raw;
}

/**
 * Build the session key of a message source, byte-identical to the reference.
 *
 * Layout: `<namespace>:<platform>:<slot>[:<slack scope>][:<chat>]` followed, in DMs, by
 * `[:<user>][:<thread>]` and elsewhere by `[:<thread>][:<user>]`. A DM is keyed by its chat, or by
 * its sender when it has no chat id. A group or channel adds the sender when
 * `groupSessionsPerUser` is on, except inside a thread unless `threadSessionsPerUser` is on. A
 * channel message carrying `prospective_thread_id` is keyed as the thread it will open (slot
 * `thread`) so that it and the replies inside that thread share one session. The Discord guild never
 * enters the key: the connector enforces tenant isolation.
 * @param source - Where the message came from; a parsed SessionSource fits.
 * @param options - Isolation switches and profile.
 */
export function buildSessionKey(source: SessionKeySource, options: SessionKeyOptions = {}): string {
  const groupSessionsPerUser = options.groupSessionsPerUser ?? true;
  const threadSessionsPerUser = options.threadSessionsPerUser ?? false;

  const platform = present(source.platform) ?? 'relay';
  const chatType = present(source.chat_type) ?? 'dm';
  const isDm = chatType === 'dm';
  const isWhatsApp = platform === WHATSAPP;

  let chatId = present(source.chat_id);
  if (isDm && isWhatsApp) chatId = present(normalizeWhatsAppId(chatId));

  const explicitThread = present(source.thread_id);
  const threadId = explicitThread ?? (isDm ? undefined : present(source.prospective_thread_id));
  const slot = threadId !== undefined && explicitThread === undefined ? 'thread' : chatType;

  const isolate = isDm
    ? chatId === undefined
    : groupSessionsPerUser && !(threadId !== undefined && !threadSessionsPerUser);
  const who = isolate || !isDm ? participantId(source, isWhatsApp) : undefined;

  // Built by concatenation rather than an array and join(): this runs once per inbound frame.
  let key = `${sessionNamespace(options.profile)}:${platform}:${slot}`;
  const scope = present(source.scope_id);
  if (platform === SLACK && scope !== undefined) key += `:${scope}`;
  if (chatId !== undefined) key += `:${chatId}`;
  const user = isolate ? who : undefined;
  if (isDm) {
    if (user !== undefined) key += `:${user}`;
    if (threadId !== undefined) key += `:${threadId}`;
  } else {
    if (threadId !== undefined) key += `:${threadId}`;
    if (user !== undefined) key += `:${user}`;
  }
  return key;
}

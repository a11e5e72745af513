/**
 * Platform names the gateway recognises on the wire. An unknown name becomes `relay` (relay-connector-contract.md §7), so a
 * connector cannot make the gateway invent new session-key namespaces with arbitrary strings.
 * @module
 */

/** Platform names known to the reference gateway, lowercase. */
export const KNOWN_PLATFORMS: ReadonlySet<string> = new Set([
  'local', 'telegram', 'discord', 'whatsapp', 'whatsapp_cloud', 'slack', 'signal', 'mattermost', 'matrix',
  'homeassistant', 'email', 'sms', 'dingtalk', 'api_server', 'webhook', 'msgraph_webhook', 'feishu', 'wecom',
  'wecom_callback', 'weixin', 'bluebubbles', 'qqbot', 'yuanbao', 'relay', 'ntfy', 'google_chat', 'photon',
  'line', 'irc', 'teams', 'raft', 'simplex',
]);

/** The platform assumed when none (or an unknown one) is given. */
export const DEFAULT_PLATFORM = 'relay';

/** Map a wire platform name to a known one: trimmed, lowercased, unknown -> `relay`. */
export function normalizePlatform(value: string | null | undefined): string {
  if (typeof value !== 'string') return DEFAULT_PLATFORM;
  const name = value.trim().toLowerCase();
  return KNOWN_PLATFORMS.has(name) ? name : DEFAULT_PLATFORM;
}

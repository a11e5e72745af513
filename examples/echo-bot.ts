/**
 * A complete embedding example: an echo bot on relay-gateway.
 *
 *   GATEWAY_RELAY_URL=http://127.0.0.1:8080 npx tsx examples/echo-bot.ts
 *
 * Configuration comes from the environment (GATEWAY_RELAY_URL, GATEWAY_RELAY_ID, GATEWAY_RELAY_SECRET, ...).
 */
import { createRelayGateway, resolveRelayConfig, type RelayGateway } from '../src/index.js';

/** Start an echo bot; resolves with the gateway once it is serving. */
export async function startEchoBot(env: Record<string, string | undefined> = process.env): Promise<RelayGateway> {
  const config = resolveRelayConfig({ env });
  if (!config) throw new Error('set GATEWAY_RELAY_URL to the connector base URL');
  const gateway = createRelayGateway({ ...config, logger: console });

  gateway.onMessage(async (event, ctx) => {
    if (ctx.signal.aborted) return; // the user already said /stop
    const text = `echo: ${event.text}`;
    const limit = gateway.capabilities?.maxMessageLength ?? 4096;
    const result = await gateway.send(event.source.chat_id, text.slice(0, limit), { replyTo: event.message_id });
    if (!result.success) console.warn(`reply to ${event.source.chat_id} failed: ${result.error ?? 'unknown'}`);
  });
  gateway.onStateChange((state, info) => console.info(`relay: ${info.previous} -> ${state}`));
  gateway.onDisabled((error) => console.error(`relay disabled: ${error.message}`));

  await gateway.start();
  return gateway;
}

// Run when executed directly; stop gracefully on Ctrl-C.
if (import.meta.url === `file://${process.argv[1]}`) {
  const gateway = await startEchoBot();
  const stop = (): void => void gateway.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

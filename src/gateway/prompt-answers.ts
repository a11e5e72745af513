/**
 * Inbound answers to prompts (protocol-later §3.3). An event carrying a `prompt_response` is consumed
 * here and never reaches the message handler: foreign and repeated presses silently, a press on one
 * of our prompts that no longer waits with a notice to the chat, and a live answer by calling
 * `onPromptResponse` once.
 * @module
 */
import { log, type Logger } from '../logger.js';
import type { MessageEvent } from '../protocol/inbound-event.js';
import { isMalformedPromptResponse } from '../protocol/prompt-response.js';
import type { SendResult } from '../protocol/outbound.js';
import type { JsonObject } from '../protocol/wire-types.js';
import type { PromptAnswer } from './later-op-types.js';
import { STALE_PROMPT_NOTICE, type PromptRegistry } from './prompt-registry.js';

/** What answering needs. */
export interface PromptAnswerDeps {
  readonly prompts: PromptRegistry;
  readonly logger: Logger;
  /** The registered `onPromptResponse` handler, if any. */
  readonly handler: () => ((answer: PromptAnswer) => Promise<void> | void) | undefined;
  /** Sends the stale-prompt notice (a plain `send`). */
  readonly send: (chatId: string, content: string, metadata: JsonObject) => Promise<SendResult>;
  /** Counts each classification, for metrics. */
  readonly count: (kind: 'foreign' | 'already-resolved' | 'stale' | 'resolved' | 'malformed') => void;
}

/**
 * Consume one prompt-response event. Resolves when the handler (if one ran) is done, so a buffered
 * frame is acked after it; the stale notice is sent without waiting for its result.
 */
export function answerPrompt(event: MessageEvent, deps: PromptAnswerDeps): Promise<void> | void {
  const response = event.prompt_response;
  if (response === undefined) return;
  if (isMalformedPromptResponse(response)) {
    deps.count('malformed');
    log(deps.logger, 'warn', 'relay: prompt_response consumed without effect (malformed)', { problem: response.malformed });
    return;
  }
  const classification = deps.prompts.classify(response);
  switch (classification.kind) {
    case 'foreign':
    case 'already-resolved':
      // One press reaches every gateway of the tenant; a repeat is a double click. Neither is news.
      deps.count(classification.kind);
      return;
    case 'stale': {
      deps.count('stale');
      const chatId = event.source.chat_id;
      if (!chatId) return;
      const threadId = event.source.thread_id;
      void deps.send(chatId, STALE_PROMPT_NOTICE, threadId ? { thread_id: threadId } : {}).then((result) => {
        if (!result.success) log(deps.logger, 'debug', 'relay: stale-prompt notice not delivered', { chat_id: chatId, code: result.code, error: result.error });
      });
      return;
    }
    case 'resolve': {
      deps.count('resolved');
      const answer: PromptAnswer = {
        prompt_id: response.prompt_id,
        option_id: response.option_id,
        ...(response.label !== undefined ? { label: response.label } : {}),
        ...(response.prompt_message_id !== undefined ? { prompt_message_id: response.prompt_message_id } : {}),
        prompt_kind: classification.prompt.kind,
        known_option: classification.knownOption,
        source: event.source,
      };
      const handler = deps.handler();
      if (!handler) {
        log(deps.logger, 'warn', 'relay: prompt answered but no onPromptResponse handler is registered', { prompt_id: answer.prompt_id, option_id: answer.option_id });
        return;
      }
      const failed = (error: unknown): void => log(deps.logger, 'error', 'relay: onPromptResponse handler failed', { prompt_id: answer.prompt_id, error: String(error) });
      try {
        const running = handler(answer);
        // Resolved already, so a redelivery would be a silent repeat: a failing handler is logged, not retried.
        if (running && typeof running.then === 'function') return running.then(undefined, failed);
      } catch (error) {
        failed(error);
      }
      return;
    }
  }
}

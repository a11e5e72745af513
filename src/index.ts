/**
 * relay-gateway: the gateway side of the relay <-> connector WebSocket protocol.
 *
 * This entry exports the protocol core (schemas, codec, session keys, upgrade auth, dial URL,
 * configuration), the connection machine, the transport and the dev connector.
 * @module
 */

// Errors
export {
  ConfigError,
  FrameTooLargeError,
  GatewayStoppedError,
  InvalidArgumentError,
  InvalidStateError,
  ProtocolValidationError,
  RelayDisabledError,
  RelayGatewayError,
  type RelayErrorCode,
  type ValidationIssue,
} from './errors.js';

// Protocol: descriptor and capabilities
export {
  CONTRACT_VERSION,
  DEFAULT_MAX_MESSAGE_LENGTH,
  LEGACY_SUPPORTED_OPS,
  descriptorFromPlatformEntry,
  descriptorSchema,
  parseDescriptor,
  type CapabilityDescriptor,
  type CapabilityDescriptorInput,
  type LenUnit,
  type PlatformEntry,
  type RuntimeCapabilityFlags,
} from './protocol/descriptor.js';
export { capabilitiesOf, codePointLength, utf16Length, type Capabilities } from './protocol/capabilities.js';

// Protocol: inbound events and session sources
export {
  CHAT_TYPES,
  createSessionSource,
  parseSessionSource,
  sessionSourceToWire,
  sessionSourceWireSchema,
  type SessionSource,
  type SessionSourceInit,
} from './protocol/session-source.js';
export {
  MESSAGE_TYPES,
  inboundEventToWire,
  inboundEventWireSchema,
  parseInboundEvent,
  type MessageEvent,
  type MessageEventInit,
  type MessageType,
} from './protocol/inbound-event.js';
export { DEFAULT_PLATFORM, KNOWN_PLATFORMS, normalizePlatform } from './protocol/platforms.js';

// Protocol: outbound actions, passthrough and frames
export {
  OUTBOUND_OPS,
  TRANSPORT_ERRORS,
  editAction,
  followUpAction,
  getChatInfoAction,
  outboundActionSchema,
  sendAction,
  toChatInfo,
  toSendResult,
  typingAction,
  type ChatAddressedAction,
  type ChatInfo,
  type EditAction,
  type FollowUpAction,
  type GetChatInfoAction,
  type OutboundAction,
  type OutboundOp,
  type SendAction,
  type SendResult,
  type TypingAction,
} from './protocol/outbound.js';
export { decodeForwardBody, passthroughForwardSchema, type PassthroughForward } from './protocol/passthrough.js';
export {
  connectorFrameSchemas,
  gatewayFrameSchema,
  gatewayFrameSchemas,
  goingIdleFrame,
  helloFrame,
  inboundAckFrame,
  interruptFrame,
  outboundFrame,
  parseConnectorFrame,
  type ConnectorFrame,
  type ConnectorFrameParse,
  type ConnectorFrameType,
  type DescriptorFrame,
  type GatewayFrame,
  type GoingIdleAckFrame,
  type GoingIdleFrame,
  type HelloFrame,
  type InboundAckFrame,
  type InboundFrame,
  type InterruptFrame,
  type InterruptInboundFrame,
  type OutboundFrame,
  type OutboundResultFrame,
  type PassthroughForwardFrame,
} from './protocol/frames.js';
export type { JsonObject } from './protocol/wire-types.js';

// Frame codec
export { encodeFrame } from './codec/frame-encoder.js';
export {
  DEFAULT_MAX_LINE_BYTES,
  createFrameDecoder,
  type DecodedFrame,
  type FrameDecoder,
  type FrameDecoderOptions,
  type FrameDecoderStats,
  type FramePayload,
  type MalformedLineInfo,
  type MalformedReason,
} from './codec/frame-decoder.js';

// Session keys, auth, dial URL, configuration
export * from './session/session-key.js';
export * from './auth/upgrade-token.js';
export { toDialUrl } from './transport/dial-url.js';
export {
  describeRelayConfig,
  resolveRelayConfig,
  type RelayConfig,
  type RelayConfigSource,
  type RelayConfigSummary,
  type ResolveRelayConfigOptions,
} from './config/resolve-relay-config.js';

// Logging
export { silentLogger, type LogFields, type Logger, type LogLevel } from './logger.js';

// Connection lifecycle (machine)
export {
  DEFAULT_CONNECTION_SETTINGS,
  REVOKED_REASON,
  connectionMachine,
  createConnectionMachine,
  socketActorId,
  type ConnectionMachine,
  type ConnectionMachineDeps,
  type ConnectionMachineInput,
} from '../machines/connection.machine.js';
export type {
  CloseRecord,
  ConnectionContext,
  ConnectionEvent,
  ConnectionSettings,
  ConnectionStateName,
  SocketCommand,
  SocketEvent,
  SocketInput,
  UserEvent,
  IntakeEvent,
  IntakeState,
} from '../machines/connection.types.js';
export { CLOSE_RULES, CLOSE_UNAUTHORIZED, REASON_EXPIRED, classifyClose, closeRuleFor, type CloseAction, type CloseFacts, type CloseRule } from '../machines/close-classification.js';
export { DEFAULT_BACKOFF, backoffDelay, backoffStep, type BackoffPolicy } from '../machines/backoff.js';
export { IGNORED_EVENTS } from '../machines/ignored-events.js';
export { CONNECTION_STATE_NAMES, connectionStateOf, connectionStatePathOf, machinePathOf } from '../machines/public-state.js';

// Transport
export {
  createRelayConnection,
  type ConnectionMetrics,
  type Delivery,
  type DeliveryRouter,
  type RelayConnection,
  type RelayConnectionOptions,
  type Redial,
  type StateChange,
  DEFAULT_MAX_QUEUED_INBOUND,
  DEFAULT_MAX_QUEUED_INBOUND_BYTES,
} from './transport/relay-connection.js';
export { DEFAULT_DEDUPE_WINDOW } from './transport/delivery-ledger.js';
export { classifyCloseCause, classifyFailure, type LinkCause, type LinkCauseKind } from './transport/link-cause.js';
export type { RequestOutcome } from './transport/pending-requests.js';
export type { WebSocketFactory } from './transport/socket-actor.js';

// Dev connector
export {
  ANONYMOUS,
  startDevConnector,
  type BufferedFrame,
  type DevConnector,
  type DevConnectorFaults,
  type DevConnectorOptions,
  type LinkRecord,
  type ReceivedFrame,
} from './dev-connector/dev-connector.js';
export { delay, fail, never, succeed, type OutboundPolicy, type OutboundReply } from './dev-connector/outbound-policy.js';

// Gateway API
export {
  createRelayGateway,
  type ChatInfoResult,
  type GatewayMetrics,
  type MessageContext,
  type PassthroughContext,
  type RelayGateway,
  type SendOptions,
  type StateChangeInfo,
} from './gateway/create-relay-gateway.js';
export type {
  InspectObserver,
  ReconnectOptions,
  RelayGatewayOptions,
  SessionKeyConfig,
  TimeoutOptions,
} from './gateway/gateway-options.js';
export { ScopeMemory, DEFAULT_SCOPE_MEMORY_SIZE, type ChatScope } from './gateway/scope-memory.js';
export type {
  DeclineNotice,
  DraftOptions,
  MetadataOptions,
  PromptAnswer,
  PromptOptionSpec,
  PromptOptions,
  PromptResult,
  ReactOptions,
  SendMediaOptions,
  TaskCardChunk,
  TaskCardOptions,
  ThreadCreateOptions,
  ThreadCreateResult,
  ThreadRenameOptions,
} from './gateway/later-op-types.js';
export type { AutoThread } from './gateway/auto-threads.js';
export { STALE_PROMPT_NOTICE } from './gateway/prompt-registry.js';
export { DRAFT_SEAL_AMBIGUOUS_ERROR, DRAFT_SEAL_CANCELLED_ERROR } from './gateway/draft-streams.js';

// Later protocol: identities, op gating, declines, media
export { IdentitySet, resolveIdentities, type Identity, type IdentityResolution, type IdentitySource } from './identity/identities.js';
export { LEGACY_OPS, supportsOp } from './protocol/op-gating.js';
export { EGRESS_DECLINED_CODE, isEgressDecline, type EgressDeclineCandidate } from './protocol/egress-decline.js';
export { RESULT_CODES, type KnownResultCode, type ResultCode } from './protocol/outbound.js';
export { MEDIA_KINDS, PROMPT_KINDS, type MediaKind, type PromptKind } from './protocol/later-ops.js';
export { MAX_MEDIA_BYTES } from './transport/media-upload.js';
export { discordInteractionToEvent } from './adapter/discord-interaction.js';

// Demo, CLI (the visualizer is its own entry: relay-gateway/visualizer)
export { runDemo, type DemoOptions, type DemoResult } from './demo/run-demo.js';
export type { FrameTapEvent, FrameTapListener } from './transport/frame-tap.js';
export { runCli } from './cli/run-cli.js';
export type { CliIo } from './cli/cli-io.js';
export { EXIT_CODES, type ExitCode } from './cli/exit-codes.js';

/**
 * The `relay-gateway` command line: argument parsing (commander) and the mapping of outcomes to
 * exit codes. Each command lives in its own module; this one only wires them.
 * @module
 */
import { Command, CommanderError, InvalidArgumentError as CommanderArgumentError, Option } from 'commander';
import type { z } from 'zod';
import { ConfigError, RelayGatewayError } from '../errors.js';
import { toValidationIssues } from '../protocol/validation.js';
import type { CliIo } from './cli-io.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { connectFlagsSchema, millisecondsArgSchema, portArgSchema, resolveConnectSettings } from './connect-settings.js';
import { runConnect } from './connect-command.js';
import { DEFAULT_DEV_GATEWAY_ID, runDevConnector } from './dev-connector-command.js';
import { runDemoCommand } from './demo-command.js';
import { parseRelayPlatformSetting } from '../config/relay-settings.js';
import { DEFAULT_CONNECTION_SETTINGS } from '../../machines/connection.machine.js';
import { DEFAULT_OUTBOUND_TIMEOUT_MS } from '../transport/relay-connection.js';
import { packageVersion } from '../package-version.js';
import { runVisualizeTrace } from './visualize.js';

/** Commander argument parser backed by a zod schema; the message says what was expected. */
function zodArg<T>(schema: z.ZodType<T, string>): (value: string) => T {
  return (value) => {
    const result = schema.safeParse(value, { reportInput: true });
    if (result.success) return result.data;
    throw new CommanderArgumentError(`expected ${toValidationIssues(result.error)[0]?.expected ?? 'a valid value'}`);
  };
}

const ms = zodArg(millisecondsArgSchema);
const port = zodArg(portArgSchema);

/** The platform name rules of the library, reported as a commander argument error. */
function platformArg(value: string): string {
  try {
    return parseRelayPlatformSetting(value, '--platform');
  } catch (error) {
    throw new CommanderArgumentError(error instanceof Error ? error.message.replace(/^--platform: /u, '') : 'invalid platform');
  }
}

/** `--visualize` takes an optional port. */
function visualizeOption(): Option {
  return new Option('--visualize [port]', 'serve the live visualizer on 127.0.0.1 (port 0 = any free port)').argParser(port);
}

/** `--visualize-control`: the page's lifecycle buttons. */
function visualizeControlOption(): Option {
  return new Option('--visualize-control', "with --visualize: lifecycle buttons (reconnect now, go idle, stop), guarded by a random token in the printed URL");
}

/** An address to bind the health server to: an IP address or a host name. */
function hostArg(value: string): string {
  const host = value.trim();
  if (host === '' || /[\s/?#@]/u.test(host)) throw new CommanderArgumentError('expected an IP address or a host name');
  return host;
}

const seconds = (ms: number): string => `${ms / 1000} s`;

/** Secrets on the command line end up in `ps` and shell history; refuse them with a pointer. */
function refuseSecretFlag(argv: readonly string[]): string | undefined {
  const flag = argv.find((arg) => arg === '--secret' || arg.startsWith('--secret='));
  return flag === undefined ? undefined : '--secret: a secret is never accepted as a flag (it would show in ps); use --secret-file FILE or GATEWAY_RELAY_SECRET';
}

/**
 * Run the CLI with `argv` (without the node and script paths). Resolves with the exit code; never
 * calls `process.exit` itself, so it can run in-process.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const usageError = (message: string): ExitCode => {
    io.stderr(`relay-gateway: ${message}`);
    return EXIT_CODES.usage;
  };
  const refused = refuseSecretFlag(argv);
  if (refused) return usageError(refused);

  let outcome: Promise<ExitCode> | undefined;
  const program = new Command()
    .name('relay-gateway')
    .description('Gateway side of the relay <-> connector WebSocket protocol')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (text) => io.stdout(text.trimEnd()), writeErr: (text) => io.stderr(text.trimEnd()) });

  program
    .command('connect')
    .description('connect a gateway to a connector and serve until SIGINT/SIGTERM (exit 0), revocation (exit 3) or an unexpected end (exit 1)')
    .option('--url <url>', 'connector base URL (else GATEWAY_RELAY_URL, else gateway.relay_url in --config)')
    .option('--platforms <list>', 'identities, one hello each: comma-separated platform names, the first is the primary, e.g. "telegram,discord" (else GATEWAY_RELAY_PLATFORMS, else GATEWAY_RELAY_PLATFORM, else gateway.relay_identities in --config, else "relay"); wins over --platform/--bot-id')
    .option('--bot-ids <json>', 'bot ids (and user names) for the platform list, as a JSON object, e.g. \'{"telegram":{"botId":"t-9","username":"my_bot"}}\' (else GATEWAY_RELAY_BOT_IDS); a platform without an entry gets ""')
    .option('--platform <platform>', 'a single identity instead of a list: its platform (else GATEWAY_RELAY_PLATFORM, default "relay")')
    .option('--bot-id <id>', 'a single identity instead of a list: its bot id (else GATEWAY_RELAY_BOT_ID, default "")')
    .option('--gateway-id <id>', 'gateway id for upgrade auth (else GATEWAY_RELAY_ID, else gateway.relay_id)')
    .option('--secret-file <file>', 'file holding the shared secret (else GATEWAY_RELAY_SECRET, else gateway.relay_secret)')
    .option('--config <file>', 'YAML config file (lowest precedence)')
    .option('--no-reconnect', 'end (exit 1) instead of reconnecting after an unexpected close')
    .option('--echo', 'reply "echo: <text>" to every inbound message, in the chat it came from, cut to that chat\'s length limit; "/prompt <question>" gets an approve/deny prompt instead where the chat supports prompts; prompt answers are never echoed')
    .option('--json', 'one JSON object per line on stdout instead of a readable log on stderr (events: state, inbound, reply, prompt, decline, interrupt, disabled, visualizer, health, error)')
    .option('--handshake-timeout <ms>', `descriptor wait after hello (default: ${DEFAULT_CONNECTION_SETTINGS.handshakeTimeoutMs}, ${seconds(DEFAULT_CONNECTION_SETTINGS.handshakeTimeoutMs)})`, ms)
    .option('--outbound-timeout <ms>', `wait for an outbound_result (default: ${DEFAULT_OUTBOUND_TIMEOUT_MS}, ${seconds(DEFAULT_OUTBOUND_TIMEOUT_MS)})`, ms)
    .option('--ping-interval <ms>', `keepalive: ping after this much silence (default: ${DEFAULT_CONNECTION_SETTINGS.pingIntervalMs}, ${seconds(DEFAULT_CONNECTION_SETTINGS.pingIntervalMs)})`, ms)
    .option('--pong-timeout <ms>', `keepalive: pong wait before the link counts as dead (default: ${DEFAULT_CONNECTION_SETTINGS.pongTimeoutMs}, ${seconds(DEFAULT_CONNECTION_SETTINGS.pongTimeoutMs)})`, ms)
    .option('--health-port <port>', 'serve GET /healthz (200 while serving, else 503) and GET /metrics (Prometheus) on this port (0 = any free port)', port)
    .option('--health-host <host>', 'address the health server binds (default: 127.0.0.1)', hostArg)
    .addOption(visualizeOption())
    .addOption(visualizeControlOption())
    .action((rawFlags: Record<string, unknown>) => {
      const flags = connectFlagsSchema.parse(rawFlags);
      const settings = resolveConnectSettings(flags, io.env);
      outcome = runConnect(settings, io);
    });

  program
    .command('dev-connector')
    .description('run the dev connector on 127.0.0.1, controlled from stdin (type "help")')
    .option('--port <n>', 'port (0 = any free port)', port, 0)
    .option('--platform <platform>', 'platform of the descriptor', platformArg, 'relay')
    .option('--secret-file <file>', 'require upgrades signed with this secret')
    .option('--gateway-id <id>', 'gateway id accepted with the secret', DEFAULT_DEV_GATEWAY_ID)
    .option('--json', 'JSON lines on stdout')
    .option('--no-stdin', 'do not read commands from stdin (run detached; stop with a signal); by default the end of stdin stops it')
    .option(
      '--descriptors <file>',
      'one descriptor per platform: a YAML or JSON file mapping platform -> {max_message_length, len_unit, supported_ops, supports_edit, supports_draft_streaming, ...}',
    )
    .action((flags: { port: number; platform: string; secretFile?: string; gatewayId: string; json?: boolean; stdin: boolean; descriptors?: string }) => {
      outcome = runDevConnector(
        {
          port: flags.port,
          platform: flags.platform,
          secretFile: flags.secretFile,
          gatewayId: flags.gatewayId,
          json: flags.json === true,
          readStdin: flags.stdin,
          ...(flags.descriptors !== undefined ? { descriptorsFile: flags.descriptors } : {}),
        },
        io,
      );
    });

  program
    .command('demo')
    .description('the scripted lifecycle story on the embedded dev connector (exit 0 only if it went as scripted)')
    .option('--json', 'JSON lines instead of the readable timeline')
    .option('--pause <ms>', 'pause between chapters', ms)
    .addOption(visualizeOption())
    .addOption(visualizeControlOption())
    .action((flags: { json?: boolean; pause?: number; visualize?: boolean | number; visualizeControl?: boolean }) => {
      const visualizePort = flags.visualize === undefined || flags.visualize === false ? null : flags.visualize === true ? 0 : flags.visualize;
      if (flags.visualizeControl && visualizePort === null) throw new ConfigError('--visualize-control', 'needs --visualize');
      outcome = runDemoCommand({ json: flags.json === true, visualizePort, visualizeControl: flags.visualizeControl === true, pauseMs: flags.pause }, io);
    });

  program
    .command('visualize')
    .description('replay a recorded trace (from the page, or a failing test under test-results/traces/) in the visualizer, offline, until SIGINT/SIGTERM')
    .requiredOption('--trace <file>', 'trace file (JSON, format relay-gateway-trace v1)')
    .option('--port <n>', 'port on 127.0.0.1 (0 = any free port)', port, 0)
    .option('--json', 'print the URL as a JSON line')
    .action((flags: { trace: string; port: number; json?: boolean }) => {
      outcome = runVisualizeTrace({ trace: flags.trace, port: flags.port, json: flags.json === true }, io);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    if (!outcome) {
      program.outputHelp({ error: true });
      return EXIT_CODES.usage;
    }
    return await outcome;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successful exits; every other commander error is a usage error.
      return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    }
    if (error instanceof RelayGatewayError && (error.code === 'ERR_CONFIG_INVALID' || error.code === 'ERR_INVALID_ARGUMENT')) {
      return usageError(error.message);
    }
    io.stderr(`relay-gateway: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT_CODES.unexpected;
  }
}

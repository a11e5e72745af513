/**
 * A connector for the race campaign whose every decision waits for fast-check's scheduler: a `ws`
 * server on 127.0.0.1:0 that speaks the wire contract with hand-written JSON lines (like
 * plain-connector.ts), except that nothing it sends goes out on its own. A descriptor after a
 * `hello`, the replay of its buffer, a `going_idle_ack`, an `outbound_result`, a close: each is a
 * task given to the run's `fc.Scheduler`, sent when the scheduler releases it. The sockets stay
 * real; only the moment each frame is written is the scheduler's.
 *
 * It also keeps the invariants the campaign checks at the connector's side: how many sockets are
 * open at once (counted at the server), and which upgrades arrived after a mark (a stop).
 * @module
 */
import { Socket, type AddressInfo } from 'node:net';
import type { Scheduler } from 'fast-check';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { inboundFrame, PLAIN_DESCRIPTOR } from './plain-connector.js';

type Json = Record<string, unknown>;

/** One connection from the gateway, as the race connector sees it. */
export interface RaceLink {
  /** 1 for the first upgrade, then 2, 3, ... */
  readonly id: number;
  readonly socket: WebSocket;
  /** Frames from the gateway on this link, in order. */
  readonly frames: Json[];
  /** The descriptor went out on this link. */
  handshaken: boolean;
  /** A `going_idle_ack` went out on this link: new inbound is buffered, not sent. */
  idle: boolean;
  /** The server saw this socket close. */
  closed: boolean;
}

/** How the connector answers an `outbound`: one result, two (the second is late), or never. */
export type ResultPolicy = 'result' | 'twice' | 'never';

/** Options of {@link startRaceConnector}. */
export interface RaceConnectorOptions {
  /** Answer `going_idle` (a scheduled `going_idle_ack`) or never. @default 'ack' */
  readonly idleAck?: 'ack' | 'never';
  /** How the `n`th outbound (0-based, in arrival order) is answered. @default always 'result' */
  readonly answer?: (n: number) => ResultPolicy;
  /** Told about every upgrade (after the link is counted), e.g. to schedule a close on it. */
  readonly onUpgrade?: (link: RaceLink, connector: RaceConnector) => void;
}

/** An inbound event the connector holds until it is acked. */
export interface HeldInbound {
  readonly bufferId: string;
  readonly messageId: string;
}

/** A running race connector. */
export interface RaceConnector {
  /** Base URL for the gateway (it appends `/relay`). */
  readonly url: string;
  readonly links: readonly RaceLink[];
  /**
   * Most sockets open at the server at the same time so far (the one-socket rule wants 1). A socket
   * counts from its upgrade until the gateway's side of it is gone (its TCP end or close arrived).
   */
  readonly maxOpen: number;
  /** Upgrades accepted while another socket was still open at the server: `link n while m open`. */
  readonly overlaps: readonly string[];
  /** Upgrades accepted since {@link RaceConnector.mark} was called (every one when it was not). */
  readonly upgradesSinceMark: number;
  /** Of the upgrades since the mark, those whose gateway side is not gone yet. */
  readonly upgradesAfterMarkStillOpen: number;
  /**
   * Wait until every link accepted since the mark has its gateway side gone (the gateway closes what
   * it no longer wants), at most `timeoutMs`; never rejects.
   */
  settleEnds(timeoutMs?: number): Promise<void>;
  /** Inbound events held for the gateway (buffered), oldest first. */
  held(): readonly HeldInbound[];
  /** Start counting upgrades from now (a stop has resolved: any upgrade after it is a fault). */
  mark(): void;
  /** Hand the scheduler of the current run; every decision from now on is a task of it. */
  use(scheduler: Scheduler): void;
  /**
   * Give the scheduler one decision: `action` runs when the scheduler releases the task labelled
   * `label`. The returned promise resolves once it ran.
   */
  decide(label: string, action: () => void | Promise<void>): Promise<void>;
  /**
   * Send inbound events: live on the newest handshaken link that is neither closed nor idle, else
   * held with a `bufferId` and replayed after the next handshake (until acked). Returns where they went.
   */
  push(messageIds: readonly string[]): 'live' | 'held';
  /** Terminate the newest open socket (no close frame: the gateway sees 1006). False when none is open. */
  drop(): boolean;
  /** Close the newest open socket with `code` and `reason`. False when none is open. */
  closeLink(code: number, reason?: string): boolean;
  /** The newest link that is still open at the server, if any. */
  openLink(): RaceLink | undefined;
  /**
   * Let what was sent arrive: on an open link, a WebSocket ping and its pong (the gateway's reader has
   * then read everything sent before it, and the connector everything the gateway wrote before the
   * ping arrived); without one, the next turn of the event loop. Never rejects.
   */
  settle(): Promise<void>;
  /** Resolves at the next thing that happens here (an upgrade, a frame, a close, a decision offered). */
  nextActivity(): Promise<void>;
  close(): Promise<void>;
}

const line = (frame: Json): string => `${JSON.stringify(frame)}\n`;

/** Start a race connector. Close it with {@link RaceConnector.close} (each run closes its own). */
export async function startRaceConnector(options: RaceConnectorOptions = {}): Promise<RaceConnector> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/relay' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const links: RaceLink[] = [];
  const overlaps: string[] = [];
  const buffer = new Map<string, HeldInbound>();
  let bufferCounter = 0;
  let open = 0;
  let maxOpen = 0;
  let upgradesSinceMark = 0;
  let markedAt = 0;
  let outboundCount = 0;
  // Links whose gateway side is gone: its TCP end (the gateway's FIN) or the close arrived. The
  // server's own 'close' comes a turn or more later, after the gateway may rightly have dialled again.
  const ended = new Set<number>();
  let scheduler: Scheduler | undefined;
  let waiters: Array<() => void> = [];
  const notify = (): void => {
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
  };

  const sendOn = (link: RaceLink, ...frames: Json[]): void => {
    if (link.socket.readyState === WebSocket.OPEN) link.socket.send(frames.map(line).join(''));
  };

  const decide = (label: string, action: () => void | Promise<void>): Promise<void> => {
    const s = scheduler;
    if (!s) throw new Error('race connector: no scheduler in use (call use() first)');
    // The action runs inside the release (the task's act), so a waitNext(1) returns after it ran.
    const task = s.schedule(Promise.resolve(label), label, undefined, async (release) => {
      await release();
      await action();
    });
    notify();
    return task.then(() => undefined);
  };

  const replay = (link: RaceLink): void => {
    if (link.closed || link.idle || !link.handshaken) return;
    const frames = [...buffer.values()].map((held) => inboundFrame('c1', held.messageId, { messageId: held.messageId, bufferId: held.bufferId }));
    if (frames.length > 0) sendOn(link, ...frames);
  };

  const onFrame = (link: RaceLink, frame: Json): void => {
    link.frames.push(frame);
    switch (frame.type) {
      case 'hello':
        // Several identities would say hello several times; one descriptor per link is what this needs.
        if (link.frames.filter((f) => f.type === 'hello').length > 1) return;
        void decide(`descriptor L${link.id}`, () => {
          if (link.closed || link.handshaken) return;
          sendOn(link, { type: 'descriptor', descriptor: PLAIN_DESCRIPTOR });
          link.handshaken = true;
          if (buffer.size > 0) void decide(`replay L${link.id}`, () => replay(link));
        });
        return;
      case 'going_idle':
        if ((options.idleAck ?? 'ack') === 'never') return;
        void decide(`going_idle_ack L${link.id}`, () => {
          if (link.closed) return;
          sendOn(link, { type: 'going_idle_ack' });
          link.idle = true;
        });
        return;
      case 'inbound_ack':
        buffer.delete(String(frame.bufferId));
        return;
      case 'outbound': {
        const policy = options.answer?.(outboundCount) ?? 'result';
        outboundCount++;
        const requestId = String(frame.requestId);
        const text = (frame.action as Json | undefined)?.content;
        const content = typeof text === 'string' ? text : requestId;
        const result = { type: 'outbound_result', requestId, result: { success: true, message_id: content } };
        if (policy === 'never') return;
        void decide(`result ${content} L${link.id}`, () => sendOn(link, result));
        if (policy === 'twice') void decide(`result again ${content} L${link.id}`, () => sendOn(link, result));
        return;
      }
      default:
        return;
    }
  };

  server.on('connection', (socket, request) => {
    const link: RaceLink = { id: links.length + 1, socket, frames: [], handshaken: false, idle: false, closed: false };
    const stillOpen = links.filter((l) => !ended.has(l.id));
    if (stillOpen.length > 0) overlaps.push(`link ${link.id} accepted while link ${stillOpen.map((l) => l.id).join(', ')} still open`);
    links.push(link);
    open++;
    maxOpen = Math.max(maxOpen, open);
    const end = (): void => {
      if (ended.has(link.id)) return;
      ended.add(link.id);
      open--;
      notify();
    };
    request.socket.once('end', end);
    request.socket.once('close', end);
    upgradesSinceMark++;
    let partial = '';
    socket.on('message', (data: RawData) => {
      partial += Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8');
      let end = partial.indexOf('\n');
      while (end !== -1) {
        const text = partial.slice(0, end);
        partial = partial.slice(end + 1);
        if (text.trim()) onFrame(link, JSON.parse(text) as Json);
        end = partial.indexOf('\n');
      }
      notify();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      link.closed = true;
      end();
    });
    options.onUpgrade?.(link, connector);
    notify();
  });

  const openLink = (): RaceLink | undefined => links.findLast((l) => !l.closed && l.socket.readyState === WebSocket.OPEN);
  const port = (server.address() as AddressInfo).port;

  const connector: RaceConnector = {
    url: `http://127.0.0.1:${port}`,
    links,
    overlaps,
    get maxOpen() {
      return maxOpen;
    },
    get upgradesSinceMark() {
      return upgradesSinceMark;
    },
    held: () => [...buffer.values()],
    get upgradesAfterMarkStillOpen() {
      return links.slice(markedAt).filter((l) => !ended.has(l.id)).length;
    },
    async settleEnds(timeoutMs = 3000) {
      const stillOpen = (): boolean => links.slice(markedAt).some((l) => !ended.has(l.id));
      if (!stillOpen()) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      let timedOut = false;
      void timeout.then(() => (timedOut = true));
      while (stillOpen() && !timedOut) await Promise.race([connector.nextActivity(), timeout]);
      clearTimeout(timer);
    },
    mark() {
      upgradesSinceMark = 0;
      markedAt = links.length;
    },
    use(s) {
      scheduler = s;
    },
    decide,
    push(messageIds) {
      const live = links.findLast((l) => l.handshaken && !l.idle && !l.closed && l.socket.readyState === WebSocket.OPEN);
      if (live) {
        sendOn(live, ...messageIds.map((id) => inboundFrame('c1', id, { messageId: id })));
        return 'live';
      }
      for (const messageId of messageIds) {
        const bufferId = `held-${++bufferCounter}`;
        buffer.set(bufferId, { bufferId, messageId });
      }
      return 'held';
    },
    drop() {
      const link = openLink();
      if (!link) return false;
      link.socket.terminate();
      return true;
    },
    closeLink(code, reason = '') {
      const link = openLink();
      if (!link) return false;
      link.socket.close(code, reason);
      return true;
    },
    openLink,
    settle() {
      const link = openLink();
      if (!link) return new Promise<void>((resolve) => setImmediate(resolve));
      return new Promise<void>((resolve) => {
        const done = (): void => {
          link.socket.off('pong', done);
          link.socket.off('close', done);
          resolve();
        };
        link.socket.once('pong', done);
        link.socket.once('close', done);
        try {
          link.socket.ping();
        } catch {
          done();
        }
      });
    },
    nextActivity: () => new Promise<void>((resolve) => waiters.push(resolve)),
    async close() {
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      notify();
    },
  };
  return connector;
}

/** Counts of `process.getActiveResourcesInfo()` by type (`Timeout`, `TCPSocketWrap`, ...). */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/**
 * The resources active now beyond `baseline`, as `type +n` lines (empty when none), with the TCP
 * sockets open then (`socket 127.0.0.1:a -> :b`) to say whose they are. `Immediate` is not compared:
 * one lives a single turn, and the test runner queues its own at any time. Handles finish closing in the event
 * loop's close phase, and a loaded machine may need a few polls for a peer's FIN, so turns of the loop
 * are let pass (setImmediate, not a timer: a timer would count itself) for at most `graceMs` first.
 */
export async function leakedResources(baseline: Record<string, number>, graceMs = 1000): Promise<string[]> {
  const extra = (): string[] =>
    Object.entries(activeResources())
      // An Immediate lives one turn; the test runner queues its own (console batching) at any time.
      .filter(([type, count]) => type !== 'Immediate' && count > (baseline[type] ?? 0))
      .map(([type, count]) => `${type} +${count - (baseline[type] ?? 0)}`);
  const deadline = performance.now() + graceMs;
  let left = extra();
  while (left.length > 0 && performance.now() < deadline) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    left = extra();
  }
  if (left.length === 0) return left;
  // Private but stable for decades: the only way to say which sockets they are.
  const handles = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.() ?? [];
  const sockets = handles
    .filter((h): h is Socket => h instanceof Socket && h.remotePort !== undefined)
    .map((h) => `socket ${h.localAddress ?? '?'}:${h.localPort ?? '?'} -> :${h.remotePort ?? '?'}${h.destroyed ? ' (destroyed)' : ''}`);
  return [...left, ...sockets];
}

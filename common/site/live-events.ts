import type { Request, Response } from 'express';

/** A topic a console page can follow: one word, so it can name an SSE event. */
const TOPIC = /^[a-z][a-z0-9-]{0,31}$/;

/** What one SSE event says: which parts of a topic changed. Pages re-fetch their fragment; they never trust it for content. */
export interface LiveChange {
  id: number;
  topic: string;
  /** What happened, e.g. "push", "rollback", "approved", "state", "placed" (deduplicated, in order). */
  kinds: string[];
  /** What it happened to: partner ids, order numbers (deduplicated, in order). */
  subjects: string[];
  at: string;
}

export interface LiveEventsOptions {
  /** Changes of one topic within this window go out as one event (a push writes its row several times). */
  coalesceMs?: number;
  /** A comment line this often keeps proxies from closing an idle stream and finds closed sessions. */
  heartbeatMs?: number;
  /** Streams open at once; more are refused (503) rather than holding sockets without bound. */
  maxStreams?: number;
}

interface Stream {
  res: Response;
  /** False once the console session behind the stream has ended (logout, expiry): the stream is closed. */
  stillAllowed: () => boolean;
}

/**
 * The console's live channel: services publish what changed, open console
 * pages receive it as server-sent events and re-fetch the fragment it
 * concerns. One hub per site (on the SiteContext); it holds no history, so a
 * page that reconnects re-fetches everything it shows.
 */
export class LiveEvents {
  readonly coalesceMs: number;
  heartbeatMs: number;
  readonly maxStreams: number;
  private readonly streams = new Set<Stream>();
  private readonly listeners = new Set<(c: LiveChange) => void>();
  private readonly pending = new Map<string, { kinds: Set<string>; subjects: Set<string> }>();
  private flushTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private seq = 0;
  private closed = false;

  constructor(o: LiveEventsOptions = {}) {
    this.coalesceMs = o.coalesceMs ?? 100;
    this.heartbeatMs = o.heartbeatMs ?? 15_000;
    this.maxStreams = o.maxStreams ?? 200;
  }

  /** Says that something of `topic` changed. Never throws: a console that cannot be told must not fail the change itself. */
  publish(topic: string, kind: string, subject?: string | null): void {
    // Nobody watching (the usual case on a busy shop): no set, no timer per order.
    if (this.closed || (this.streams.size === 0 && this.listeners.size === 0) || !TOPIC.test(topic)) return;
    let p = this.pending.get(topic);
    if (!p) {
      p = { kinds: new Set(), subjects: new Set() };
      this.pending.set(topic, p);
    }
    p.kinds.add(kind);
    if (subject) p.subjects.add(subject);
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), this.coalesceMs);
      this.flushTimer.unref();
    }
  }

  /** Changes as they go out (tests, and any in-process consumer). Returns the unsubscribe function. */
  subscribe(fn: (c: LiveChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** Answers one GET with an event stream; the caller has checked the console session, and says how to re-check it. */
  serve(req: Request, res: Response, stillAllowed: () => boolean): void {
    if (this.closed || this.streams.size >= this.maxStreams) {
      res.status(503).set('Retry-After', '5').type('text/plain').send('The live channel is not available now; the page still works when reloaded.\n');
      return;
    }
    res.status(200);
    res.set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    // The browser waits this long before reconnecting after a dropped stream.
    res.write(`retry: 2000\n: live ${new Date().toISOString()}\n\n`);
    const s: Stream = { res, stillAllowed };
    this.streams.add(s);
    const drop = () => this.streams.delete(s);
    req.on('close', drop);
    res.on('close', drop);
    this.startHeartbeat();
  }

  /** Ends every stream (at shutdown: an open stream would otherwise hold the server open until the shutdown timeout). */
  close(): void {
    this.closed = true;
    clearTimeout(this.flushTimer);
    clearInterval(this.heartbeat);
    for (const s of this.streams) s.res.end();
    this.streams.clear();
  }

  private flush(): void {
    this.flushTimer = undefined;
    const at = new Date().toISOString();
    const changes = [...this.pending].map(([topic, p]): LiveChange => ({ id: ++this.seq, topic, kinds: [...p.kinds], subjects: [...p.subjects], at }));
    this.pending.clear();
    for (const c of changes) {
      const frame = `id: ${c.id}\nevent: ${c.topic}\ndata: ${JSON.stringify(c)}\n\n`;
      for (const s of this.streams) this.write(s, frame);
      for (const fn of this.listeners) {
        try {
          fn(c);
        } catch {
          // A listener's failure is its own; the others still hear the change.
        }
      }
    }
  }

  private write(s: Stream, frame: string): void {
    if (!s.stillAllowed()) {
      s.res.end();
      this.streams.delete(s);
      return;
    }
    s.res.write(frame);
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      if (this.streams.size === 0) {
        clearInterval(this.heartbeat);
        this.heartbeat = undefined;
        return;
      }
      for (const s of this.streams) this.write(s, `: heartbeat ${new Date().toISOString()}\n\n`);
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }
}

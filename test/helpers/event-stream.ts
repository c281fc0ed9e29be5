import { get, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** One server-sent event frame: its event name, JSON data, or a comment line. */
export interface Frame {
  event?: string;
  data?: { topic: string; kinds: string[]; subjects: string[] };
  comment?: string;
}

/** An open event stream, read frame by frame as the browser's EventSource would. */
export interface Stream {
  res: IncomingMessage;
  frames: Frame[];
  ended: boolean;
  waitFor(pred: (f: Frame) => boolean, ms?: number): Promise<Frame>;
  close(): void;
}

export function openStream(url: string, cookie?: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers: { accept: 'text/event-stream', ...(cookie ? { cookie } : {}) } }, (res) => {
      const frames: Frame[] = [];
      let buf = '';
      const s: Stream = {
        res,
        frames,
        ended: false,
        async waitFor(pred, ms = 5000) {
          const end = Date.now() + ms;
          for (;;) {
            const f = frames.find(pred);
            if (f) return f;
            if (Date.now() > end) throw new Error(`no such frame in time; got ${JSON.stringify(frames)}`);
            await sleep(20);
          }
        },
        close: () => req.destroy(),
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const f: Frame = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) f.comment = line.slice(1).trim();
            else if (line.startsWith('event: ')) f.event = line.slice(7);
            else if (line.startsWith('data: ')) f.data = JSON.parse(line.slice(6)) as Frame['data'];
          }
          frames.push(f);
        }
      });
      res.on('end', () => (s.ended = true));
      res.on('close', () => (s.ended = true));
      resolve(s);
    });
    req.on('error', reject);
  });
}

import type { EntryFilter, EntryPageRequest, StoredEntry } from '../store/log-store.js';

/** A signed checkpoint of a log as this site holds it, with the witness's cosignature when there is one. */
export interface SourceCheckpoint {
  size: number;
  root: Buffer;
  time: string;
  /** The signed note, exactly as signed (what `tieup audit` checks). */
  note: string;
  /** A cosignature line for this very checkpoint, or null (a main site's own log has no witness). */
  cosignature: string | null;
  /** Who cosigned (the witness's name), when cosigned. */
  witness: string | null;
}

/**
 * One log the console can browse: the site's own, or (on the main site) a
 * partner's as witnessed. Each site's logs module says which it has; a
 * partner's console has only its own, so it can never show anyone else's.
 */
export interface LogSource {
  site: string;
  /** How the console names it: "this site", "partner, witnessed here". */
  label: string;
  browse(filter: EntryFilter, page: EntryPageRequest): StoredEntry[];
  entry(index: number): StoredEntry | undefined;
  latestCheckpoint(): SourceCheckpoint | undefined;
  /** RFC 6962 audit path of entry `index` in the tree of `size` (a signed checkpoint's size). */
  inclusionProof(index: number, size: number): Buffer[];
}

export interface LogSources {
  /** This site's id: the log shown when none is chosen. */
  own: string;
  list(): LogSource[];
}

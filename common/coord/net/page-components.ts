import { componentsOfSource, type ComponentList } from '../index.js';

/**
 * The component list of a job-method page, from its Markdown source (the
 * format is common/coord/job-page.ts: front matter, or a fenced components
 * block). Null for an ordinary page; a RangeError naming the mistake for a
 * list that does not read.
 */
export function componentsOfPage(source: string): { title: string; list: ComponentList } | null {
  return componentsOfSource(source);
}

import assert from 'node:assert/strict';
import { navMenus, type NavItem } from '../common/site/console-routes.js';

const NAV = [
  { href: '/admin/', title: 'Site and peers', group: 'Network' as const },
  { href: '/admin/partners', title: 'Partners', group: 'Network' as const },
  { href: '/admin/paid', title: 'Paid content', group: 'Content' as const },
  { href: '/admin/paid/rankings', title: 'Rankings and banners', group: 'Content' as const },
  { href: '/admin/planned', title: 'Planned pages', group: 'Content' as const },
  { href: '/admin/planned/shares', title: 'Planner shares', group: 'Money' as const },
  { href: '/admin/fees', title: 'Fees', group: 'Money' as const },
  { href: '/admin/logs', title: 'Access logs', group: 'Logs' as const },
];

/** The titles marked current: links, and menus as "menu:<title>". */
function marked(items: NavItem[]): string[] {
  return items.flatMap((i) => ('items' in i ? [...(i.current ? [`menu:${i.title}`] : []), ...i.items.filter((l) => l.current).map((l) => l.title)] : i.current ? [i.title] : []));
}

describe('console header: the page shown is marked, with the menu it sits in', () => {
  it('marks the longest link that is the page or a folder above it, and only that one', () => {
    assert.deepEqual(marked(navMenus(NAV, '/admin/paid')), ['menu:Content', 'Paid content']);
    assert.deepEqual(marked(navMenus(NAV, '/admin/paid/items/trail-guide')), ['menu:Content', 'Paid content']);
    assert.deepEqual(marked(navMenus(NAV, '/admin/paid/rankings')), ['menu:Content', 'Rankings and banners']);
    // A page under a link of another menu marks that menu only.
    assert.deepEqual(marked(navMenus(NAV, '/admin/planned/shares/statements')), ['menu:Money', 'Planner shares']);
    assert.deepEqual(marked(navMenus(NAV, '/admin/partners/north')), ['menu:Network', 'Partners']);
    // A one-link group is a plain link.
    assert.deepEqual(marked(navMenus(NAV, '/admin/logs/entries/3')), ['Access logs']);
  });

  it('marks the console home only on the home page, and nothing on a path that merely starts like a link', () => {
    assert.deepEqual(marked(navMenus(NAV, '/admin/')), ['menu:Network', 'Site and peers']);
    assert.deepEqual(marked(navMenus(NAV, '/admin')), ['menu:Network', 'Site and peers']);
    assert.deepEqual(marked(navMenus(NAV, '/admin/paidx')), []);
    assert.deepEqual(marked(navMenus(NAV, '/admin/account')), []);
    assert.deepEqual(marked(navMenus(NAV)), []);
  });
});

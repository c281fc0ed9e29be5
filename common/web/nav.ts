/**
 * The console header's menus: each navigation entry names the one it belongs
 * to (NavEntry.group), so the header stays one row however many capabilities
 * a site has. A menu with a single entry shows as a plain link.
 */
export const NAV_GROUPS = ['Network', 'Orders', 'Content', 'Money', 'Messages', 'Logs'] as const;
export type NavGroup = (typeof NAV_GROUPS)[number];

import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { noticesConfig } from './config.js';
import { noticesErrors } from './errors.js';
import { NoticeService } from './notice-service.js';
import { NoticeStore } from './notice-store.js';
import { noticesApi, noticesPages } from './notices-pages.js';

/**
 * The notice outbox: every notice to a person (invitations, statements,
 * reports, re-payment requests, ...) is stored first, then delivered by SMTP
 * e-mail and signed webhook until delivered, and shown in the recipient
 * party's portal inbox. Other capabilities call `use(noticesModule).send(...)`.
 */
export const noticesModule = defineModule<NoticeService>({
  name: 'notices',
  config: noticesConfig,
  errors: [noticesErrors],
  migrations: [{ namespace: 'notices', dir: fromRoot('main-site/notices/migrations') }],
  views: [fromRoot('main-site/notices/views')],
  nav: [{ path: '/notices', title: 'Notices', group: 'Messages' }],
  create: ({ ctx }) => new NoticeService(ctx, new NoticeStore(ctx.db)),
  consoleApi: (router, notices) => router.use(noticesApi(notices)),
  consolePages: (router, notices) => router.use(noticesPages(notices)),
  start: (notices) => notices.start(),
  close: (notices) => notices.close(),
});

export { NoticeService, WEBHOOK_JWS_TYPE, type NoticeRecipient, type NoticeView, type PartyAddress, type PartyResolver, type SendNotice, type WebhookBody } from './notice-service.js';
export { NoticeStore, type NoticeChannel, type NoticeFilter, type NoticeState } from './notice-store.js';
export { noticesConfig } from './config.js';

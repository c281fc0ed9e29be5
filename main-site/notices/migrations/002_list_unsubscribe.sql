-- A notice to a mailing list's member (news, docs/news.md) carries its one-click
-- unsubscribe URL, sent as List-Unsubscribe with List-Unsubscribe-Post (RFC 8058).
ALTER TABLE notices ADD COLUMN list_unsubscribe TEXT;

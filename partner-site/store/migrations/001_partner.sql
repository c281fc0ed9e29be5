-- Partner-site tables arrive with their capabilities (staged releases, orders, logs).
-- This first version only marks the namespace as started.
SELECT 1;

-- Main-site tables arrive with their capabilities (releases, orders, logs, fees).
-- This first version only marks the namespace as started.
SELECT 1;

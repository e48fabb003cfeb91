-- The home page's counts: cases due soon or overdue in a community without scanning its cases.
CREATE INDEX cases_scope_deadline ON cases (community_id, deadline_ms);
-- Open alarms of a community by severity.
CREATE INDEX alarms_scope_open ON alarms (community_id, closed, severity);

-- The resolve hold and the shape of an alert in Alertmanager.
--
-- slo_states: clear_since is, while an SLO tickets or pages, since when no
-- alert window pair has fired, and page_clear_since, while it pages, since
-- when no page pair has; the alert steps down once one of them is older
-- than the SLO's resolveAfter. ticket_since is when the alert's ticket
-- opened (it stays open under a page), escalated_at when it last became a
-- page: the instant its deploy is matched to.
ALTER TABLE slo_states
	ADD COLUMN clear_since      timestamptz,
	ADD COLUMN page_clear_since timestamptz,
	ADD COLUMN ticket_since     timestamptz,
	ADD COLUMN escalated_at     timestamptz;

-- A ticket open now opened with its state.
UPDATE slo_states SET ticket_since = since WHERE state = 'ticket';

-- slo_transitions: the alert's ticket_since and escalated_at as they stood
-- for the transition; for one that ends the alert, those of the alert it
-- ends.
ALTER TABLE slo_transitions
	ADD COLUMN ticket_since timestamptz,
	ADD COLUMN escalated_at timestamptz;

-- slo_settings stays, read only for SLOs that set no minEvents of their
-- own: guards set before minEvents was part of the journey keep applying.
COMMENT ON TABLE slo_settings IS 'Legacy minimum-traffic guards; journeys.SLO.minEvents wins when set.';

-- A group's early-index policy (what an MI VM does when a message with a higher CSN reaches it at an index it is
-- not due to checkpoint at), handed to hosts with the group's configuration; and the plan a claimed recovery
-- carries out, kept with its event so that any management server can resume it after a crash.
-- Only vmqsc_ tables change; existing rows get the protocol's default policy and no plan.

ALTER TABLE vmqsc_protection_group
  ADD COLUMN early_index_policy VARCHAR(32) NOT NULL DEFAULT 'ADVANCE_AND_LOG'
    COMMENT 'ADVANCE_AND_LOG or FORCE_CHECKPOINT (the protocol''s EarlyIndexPolicy)'
    AFTER recovery_policy;

ALTER TABLE vmqsc_recovery_event
  ADD COLUMN plan MEDIUMTEXT NULL
    COMMENT 'the claimed recovery plan as JSON (VM numbers in member order); NULL for a claim without a plan'
    AFTER rolled_back,
  ADD KEY i_vmqsc_recovery_event__state (state);

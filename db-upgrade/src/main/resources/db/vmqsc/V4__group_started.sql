-- When a group's protection started: the wall-clock time of its base boundary 0, which every host counts its
-- boundaries from. NULL until the group is enabled.
ALTER TABLE vmqsc_protection_group
  ADD COLUMN started_ms BIGINT NULL COMMENT 'wall-clock ms of base boundary 0; NULL until enabled' AFTER line_index;

-- The plugin's own tables in CloudStack's `cloud` database (or the standalone `vmqsc` database).
-- CloudStack conventions: a numeric id for joins, a public uuid for the API, created/removed timestamps,
-- and soft delete (removed IS NOT NULL) for anything an admin might still want to see in history.
-- Every table name starts with vmqsc_ so nothing here can collide with CloudStack's core tables.

-- A protection group: the VMs that are checkpointed together and share one recovery line.
CREATE TABLE vmqsc_protection_group (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  uuid            VARCHAR(40)  NOT NULL,
  name            VARCHAR(255) NOT NULL,
  base_period_ms  BIGINT       NOT NULL COMMENT 'T0, the base checkpoint period',
  recovery_policy VARCHAR(16)  NOT NULL COMMENT 'AUTOMATIC: recover on host failure; MANUAL: wait for an admin',
  line_index      BIGINT       NULL     COMMENT 'index of the current recovery line; NULL before the first line',
  state_version   BIGINT       NOT NULL DEFAULT 0 COMMENT 'bumped by every change to the group''s protocol state',
  created         DATETIME(3)  NOT NULL,
  removed         DATETIME(3)  NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_vmqsc_protection_group__uuid (uuid),
  CONSTRAINT ck_vmqsc_protection_group__base_period CHECK (base_period_ms > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A VM in a group, with its checkpoint class (SI or MI_k) and the host it runs on.
CREATE TABLE vmqsc_group_member (
  id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  uuid           VARCHAR(40)  NOT NULL,
  group_id       BIGINT UNSIGNED NOT NULL,
  vm_uuid        VARCHAR(255) NOT NULL COMMENT 'the VM as the cloud names it',
  vm_class       VARCHAR(16)  NOT NULL COMMENT 'SI or MI_k with k >= 2',
  host_uuid      VARCHAR(255) NULL,
  incarnation    INT          NOT NULL DEFAULT 0 COMMENT 'bumped each time the VM is rolled back',
  rollback_sent_counts MEDIUMTEXT NULL COMMENT 'per channel, messages sent at the line of the last rollback',
  created        DATETIME(3)  NOT NULL,
  removed        DATETIME(3)  NULL,
  -- A VM may be an active member of one group only; removed rows keep their history.
  active_vm_uuid VARCHAR(255) AS (IF(removed IS NULL, vm_uuid, NULL)) STORED,
  PRIMARY KEY (id),
  UNIQUE KEY uk_vmqsc_group_member__uuid (uuid),
  UNIQUE KEY uk_vmqsc_group_member__active_vm (active_vm_uuid),
  KEY i_vmqsc_group_member__group (group_id, removed),
  KEY i_vmqsc_group_member__vm (vm_uuid),
  KEY i_vmqsc_group_member__host (host_uuid),
  CONSTRAINT fk_vmqsc_group_member__group FOREIGN KEY (group_id) REFERENCES vmqsc_protection_group (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A checkpoint of one VM at one index (CSN). STAGED: on its host only; STABLE: on stable storage;
-- COLLECTED: behind the recovery line and deleted; DISCARDED: taken by an execution a recovery rolled back.
-- Collected and discarded rows stay, soft-deleted, for history.
CREATE TABLE vmqsc_checkpoint (
  id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  uuid           VARCHAR(40)   NOT NULL,
  group_id       BIGINT UNSIGNED NOT NULL,
  member_id      BIGINT UNSIGNED NOT NULL,
  csn            BIGINT        NOT NULL,
  incarnation    INT           NOT NULL,
  forced         BOOLEAN       NOT NULL,
  state          VARCHAR(16)   NOT NULL,
  size_bytes     BIGINT        NOT NULL,
  location       VARCHAR(1024) NOT NULL,
  content_digest VARCHAR(128)  NOT NULL,
  position       BIGINT        NOT NULL COMMENT 'the guest''s deterministic position at the boundary',
  received       BIGINT        NOT NULL COMMENT 'messages received in all at the boundary',
  sent_counts    MEDIUMTEXT    NOT NULL COMMENT 'messages sent to each group VM at this boundary, comma separated',
  received_counts MEDIUMTEXT   NOT NULL COMMENT 'messages received from each group VM at this boundary',
  created        DATETIME(3)   NOT NULL,
  removed        DATETIME(3)   NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_vmqsc_checkpoint__uuid (uuid),
  UNIQUE KEY uk_vmqsc_checkpoint__member_csn (member_id, incarnation, csn),
  KEY i_vmqsc_checkpoint__group_state (group_id, state),
  CONSTRAINT fk_vmqsc_checkpoint__group FOREIGN KEY (group_id) REFERENCES vmqsc_protection_group (id),
  CONSTRAINT fk_vmqsc_checkpoint__member FOREIGN KEY (member_id) REFERENCES vmqsc_group_member (id),
  CONSTRAINT ck_vmqsc_checkpoint__csn CHECK (csn >= 0),
  CONSTRAINT ck_vmqsc_checkpoint__size CHECK (size_bytes >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A stable receive-log segment: what an MI VM received in the interval that ended at boundary `csn`
-- while it was not due for a checkpoint.
CREATE TABLE vmqsc_log_segment (
  id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  uuid           VARCHAR(40)   NOT NULL,
  group_id       BIGINT UNSIGNED NOT NULL,
  member_id      BIGINT UNSIGNED NOT NULL,
  first_csn      BIGINT        NOT NULL COMMENT 'the interval starts at boundary first_csn',
  csn            BIGINT        NOT NULL COMMENT 'and ends at boundary csn',
  incarnation    INT           NOT NULL,
  state          VARCHAR(16)   NOT NULL,
  size_bytes     BIGINT        NOT NULL,
  location       VARCHAR(1024) NOT NULL,
  content_digest VARCHAR(128)  NOT NULL,
  position       BIGINT        NOT NULL COMMENT 'the guest''s deterministic position at the boundary',
  received       BIGINT        NOT NULL COMMENT 'messages received in all at the boundary',
  sent_counts    MEDIUMTEXT    NOT NULL,
  received_counts MEDIUMTEXT   NOT NULL,
  created        DATETIME(3)   NOT NULL,
  removed        DATETIME(3)   NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_vmqsc_log_segment__uuid (uuid),
  UNIQUE KEY uk_vmqsc_log_segment__member_csn (member_id, incarnation, csn),
  KEY i_vmqsc_log_segment__group_state (group_id, state),
  CONSTRAINT fk_vmqsc_log_segment__group FOREIGN KEY (group_id) REFERENCES vmqsc_protection_group (id),
  CONSTRAINT fk_vmqsc_log_segment__member FOREIGN KEY (member_id) REFERENCES vmqsc_group_member (id),
  CONSTRAINT ck_vmqsc_log_segment__range CHECK (first_csn >= 0 AND first_csn < csn)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A late message (sent before a boundary, received after it) that the receiver's host wrote to stable storage:
-- the messages a recovery line leaves in transit are replayed from here.
CREATE TABLE vmqsc_logged_message (
  id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  uuid           VARCHAR(40)   NOT NULL,
  group_id       BIGINT UNSIGNED NOT NULL,
  from_member_id BIGINT UNSIGNED NOT NULL,
  to_member_id   BIGINT UNSIGNED NOT NULL,
  seq            BIGINT        NOT NULL COMMENT 'position of the message on its channel, from 1',
  csn            BIGINT        NOT NULL COMMENT 'the sender''s index when it sent the message',
  incarnation    INT           NOT NULL COMMENT 'the sender''s incarnation',
  size_bytes     INT           NOT NULL,
  digest         BIGINT        NOT NULL,
  rsn            BIGINT        NOT NULL COMMENT 'the receiver''s receive sequence number for it',
  position       BIGINT        NOT NULL COMMENT 'the receiver''s position when it was delivered',
  epoch          BIGINT        NOT NULL COMMENT 'the receiver''s index when it was delivered',
  receiver_incarnation INT     NOT NULL COMMENT 'the receiver''s incarnation then: its rsn means nothing to a later one',
  location       VARCHAR(1024) NOT NULL,
  created        DATETIME(3)   NOT NULL,
  removed        DATETIME(3)   NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_vmqsc_logged_message__uuid (uuid),
  UNIQUE KEY uk_vmqsc_logged_message__channel_seq (from_member_id, to_member_id, incarnation, seq),
  KEY i_vmqsc_logged_message__group (group_id, removed),
  CONSTRAINT fk_vmqsc_logged_message__group FOREIGN KEY (group_id) REFERENCES vmqsc_protection_group (id),
  CONSTRAINT fk_vmqsc_logged_message__from FOREIGN KEY (from_member_id) REFERENCES vmqsc_group_member (id),
  CONSTRAINT fk_vmqsc_logged_message__to FOREIGN KEY (to_member_id) REFERENCES vmqsc_group_member (id),
  CONSTRAINT ck_vmqsc_logged_message__seq CHECK (seq >= 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A recovery line the group reached; older lines are soft-deleted when a newer one is recorded.
CREATE TABLE vmqsc_recovery_line (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  uuid        VARCHAR(40)  NOT NULL,
  group_id    BIGINT UNSIGNED NOT NULL,
  line_index  BIGINT       NOT NULL,
  created     DATETIME(3)  NOT NULL,
  removed     DATETIME(3)  NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_vmqsc_recovery_line__uuid (uuid),
  UNIQUE KEY uk_vmqsc_recovery_line__group_index (group_id, line_index),
  CONSTRAINT fk_vmqsc_recovery_line__group FOREIGN KEY (group_id) REFERENCES vmqsc_protection_group (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- One row per VM of a line, naming the checkpoint that VM restores at that line.
CREATE TABLE vmqsc_recovery_line_entry (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  line_id       BIGINT UNSIGNED NOT NULL,
  member_id     BIGINT UNSIGNED NOT NULL,
  checkpoint_id BIGINT UNSIGNED NOT NULL,
  csn           BIGINT          NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_vmqsc_recovery_line_entry__line_member (line_id, member_id),
  CONSTRAINT fk_vmqsc_recovery_line_entry__line FOREIGN KEY (line_id) REFERENCES vmqsc_recovery_line (id),
  CONSTRAINT fk_vmqsc_recovery_line_entry__member FOREIGN KEY (member_id) REFERENCES vmqsc_group_member (id),
  CONSTRAINT fk_vmqsc_recovery_line_entry__checkpoint FOREIGN KEY (checkpoint_id) REFERENCES vmqsc_checkpoint (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A recovery: what failed, what was rolled back, what was replayed, how it ended and how long it took.
CREATE TABLE vmqsc_recovery_event (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  uuid            VARCHAR(40)  NOT NULL,
  group_id        BIGINT UNSIGNED NOT NULL,
  failure_kind    VARCHAR(16)  NOT NULL COMMENT 'VM or HOST',
  failed_ref      VARCHAR(255) NOT NULL COMMENT 'the uuid of the failed VM or host',
  line_index      BIGINT       NULL     COMMENT 'the line the group rolled back to',
  rolled_back     MEDIUMTEXT   NOT NULL COMMENT 'uuids of the VMs rolled back, comma separated',
  replayed_messages BIGINT     NOT NULL DEFAULT 0,
  state           VARCHAR(16)  NOT NULL COMMENT 'RUNNING, SUCCEEDED or FAILED',
  outcome         TEXT         NULL,
  owner           VARCHAR(255) NOT NULL COMMENT 'the management server that runs the recovery',
  started         DATETIME(3)  NOT NULL,
  finished        DATETIME(3)  NULL,
  duration_ms     BIGINT       NULL,
  created         DATETIME(3)  NOT NULL,
  removed         DATETIME(3)  NULL,
  -- At most one running recovery per group and failure: a second manager's claim fails on this key.
  running_key     VARCHAR(300) AS (IF(state = 'RUNNING', CONCAT(group_id, '/', failed_ref), NULL)) STORED,
  PRIMARY KEY (id),
  UNIQUE KEY uk_vmqsc_recovery_event__uuid (uuid),
  UNIQUE KEY uk_vmqsc_recovery_event__running (running_key),
  KEY i_vmqsc_recovery_event__group (group_id, created),
  CONSTRAINT fk_vmqsc_recovery_event__group FOREIGN KEY (group_id) REFERENCES vmqsc_protection_group (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

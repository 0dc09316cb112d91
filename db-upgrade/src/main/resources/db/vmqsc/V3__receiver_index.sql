-- One name for a VM's index everywhere: the receiver's index at delivery is `receiver_index`, as in the code.
ALTER TABLE vmqsc_logged_message
  CHANGE COLUMN epoch receiver_index BIGINT NOT NULL COMMENT 'the receiver''s index when it was delivered';

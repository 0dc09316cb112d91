-- Causal logging: a late message says how many messages its sender had received when it sent it, so a recovery
-- can tell whether a VM rebuilt past its stable state sends it again. 0 where the hosts do not practise it.
ALTER TABLE vmqsc_logged_message
  ADD COLUMN sender_received BIGINT NOT NULL DEFAULT 0 COMMENT 'messages the sender had received when it sent it';

-- The host that took each checkpoint: a VM's first checkpoint on a host stores its whole image there, later ones
-- only what changed, so the storage view tells full from incremental bytes by it. NULL for checkpoints recorded
-- before version 5.
ALTER TABLE vmqsc_checkpoint
  ADD COLUMN host_uuid VARCHAR(255) NULL COMMENT 'the host whose report recorded it; NULL before version 5' AFTER forced;

-- Causal logging across recoveries: per ended incarnation of a VM, how many of the receipts it made the VM's
-- current execution still holds (the restored state's receive count, lowered by every later restore). A receipt a
-- host carried off before a recovery rebuilt its VM past it still names the VM's state. NULL: never rolled back,
-- or rolled back before version 7 (earlier incarnations' receipts are then not trusted).
ALTER TABLE vmqsc_group_member
  ADD COLUMN kept_receipts MEDIUMTEXT NULL COMMENT 'per ended incarnation, receipts the current execution holds'
  AFTER rollback_sent_counts;

package org.vmqsc.sim;

/** What one run counted. Plain counters, filled by the simulator. */
public final class SimReport {
  public long checkpointsBasic;
  public long checkpointsForced;
  public long logSegments;
  public long messagesSent;
  public long messagesDelivered;
  /** Receive-log entries plus cross-host sender copies held in host memory. */
  public long volatileLogged;
  /** Distinct messages written to stable storage (log segments and late messages). */
  public long stableLogged;
  public long lateMessages;
  /** Acknowledgement messages between hosts (one per sender host per base period at most). */
  public long acknowledgements;
  public long hostRecoveries;
  public long vmRecoveries;
  public long rolledBackTotal;
  public long rolledBackMax;
  public long replayed;
  public long duplicatesDropped;
  /** Sends a rebuilt guest made again on its way to where it failed: the relay recognised and suppressed them. */
  public long replayedSendsSuppressed;
  /** Causal logging: receipts carried between hosts, VMs rebuilt past their stable state, sends made again. */
  public long receiptsCarried;
  public long restoredPastStableState;
  public long sentAgain;
  /** Receipts taken again whose message a sender rebuilt with the receiver made again (never carried anywhere). */
  public long takenFromSendsMadeAgain;
  /** Managers that died during a recovery (fault injection), each recovery then resumed by another. */
  public long managerCrashes;
  /** Of those: a host the dead manager had restored a VM on died too before the next manager took over. */
  public long restoreHostsLostInCrashes;
  public long staleDropped;
  public long lostInNetwork;
  public long lineIndex;
  public long failuresSkipped;
  public long recoveriesChecked;
  public long latestStateChecks;
  /** Plans the brute force found a later consistent recoverable state for (safe, not maximal), and the first. */
  public long notLatest;
  public String firstNotLatest;
  /** Live migrations carried out; those a host failure cut short; those not made (VM down or paused, no quiet moment). */
  public long migrations;
  public long migrationsFailed;
  public long migrationsSkipped;
  /** Of those not made: the VM's writes were never all stable during the two base periods the manager kept asking. */
  public long migrationsNeverQuiet;
  /** Frames displaced by a migration: at a host their receiver had left, or ahead of their channel (resent in order). */
  public long movedDropped;
  /** Migrated VMs that then wrote a checkpoint or log segment on their new host. */
  public long boundariesAfterMigration;

  public double eta() {
    return messagesSent == 0 ? 0 : (double) stableLogged / messagesSent;
  }

  public double rolledBackPerRecovery() {
    return hostRecoveries == 0 ? 0 : (double) rolledBackTotal / hostRecoveries;
  }

  public void add(SimReport o) {
    checkpointsBasic += o.checkpointsBasic;
    checkpointsForced += o.checkpointsForced;
    logSegments += o.logSegments;
    messagesSent += o.messagesSent;
    messagesDelivered += o.messagesDelivered;
    volatileLogged += o.volatileLogged;
    stableLogged += o.stableLogged;
    lateMessages += o.lateMessages;
    acknowledgements += o.acknowledgements;
    hostRecoveries += o.hostRecoveries;
    vmRecoveries += o.vmRecoveries;
    rolledBackTotal += o.rolledBackTotal;
    rolledBackMax = Math.max(rolledBackMax, o.rolledBackMax);
    replayed += o.replayed;
    duplicatesDropped += o.duplicatesDropped;
    replayedSendsSuppressed += o.replayedSendsSuppressed;
    managerCrashes += o.managerCrashes;
    restoreHostsLostInCrashes += o.restoreHostsLostInCrashes;
    staleDropped += o.staleDropped;
    lostInNetwork += o.lostInNetwork;
    failuresSkipped += o.failuresSkipped;
    recoveriesChecked += o.recoveriesChecked;
    latestStateChecks += o.latestStateChecks;
    notLatest += o.notLatest;
    if (firstNotLatest == null) firstNotLatest = o.firstNotLatest;
    migrations += o.migrations;
    migrationsFailed += o.migrationsFailed;
    migrationsSkipped += o.migrationsSkipped;
    migrationsNeverQuiet += o.migrationsNeverQuiet;
    movedDropped += o.movedDropped;
    boundariesAfterMigration += o.boundariesAfterMigration;
  }

  /** The short report {@code simulate} prints. */
  public String format() {
    return String.format(
        "checkpoints: %d (basic %d, forced %d), log segments %d%n"
            + "messages: sent %d, volatile-logged %d, stable-logged %d (late %d), eta %.4f; acknowledgements %d%n"
            + "recoveries: %d host (VMs rolled back per recovery %.2f, max %d), %d VM, messages replayed %d%n"
            + "dropped: %d duplicates, %d stale (replayed sends suppressed: %d); lost on the wire to failed hosts: %d; final line %d%n",
        checkpointsBasic + checkpointsForced, checkpointsBasic, checkpointsForced, logSegments,
        messagesSent, volatileLogged, stableLogged, lateMessages, eta(), acknowledgements,
        hostRecoveries, rolledBackPerRecovery(), rolledBackMax, vmRecoveries, replayed,
        duplicatesDropped, staleDropped, replayedSendsSuppressed, lostInNetwork, lineIndex)
        + (migrations + migrationsFailed + migrationsSkipped == 0 ? "" : String.format(
            "migrations: %d (%d cut short by a host failure, %d not made: %d with writes never all stable),"
                + " frames dropped at a VM's old host %d%n",
            migrations, migrationsFailed, migrationsSkipped, migrationsNeverQuiet, movedDropped));
  }
}

package org.vmqsc.agent.node;

/**
 * A host refuses to hand a VM out now (it changed nothing): the VM has checkpoints or log records on their way to
 * stable storage, which its new host could not finish if this one failed. Asking again later succeeds.
 */
public final class MigrationRefusedException extends IllegalStateException {

  public MigrationRefusedException(String why) {
    super(why);
  }
}

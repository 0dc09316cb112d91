package org.vmqsc.plugin.command;

/**
 * Everything the catalog still counts on is stored at the locations listed: the host deletes, from its staging store
 * and from stable storage, what else is older than the grace given. Body: {@code ReconcileOrder}; no group.
 */
public class ReconcileStorageCommand extends VmqscCommand {

  protected ReconcileStorageCommand() {
  }

  public ReconcileStorageCommand(String body) {
    super("", body);
  }
}

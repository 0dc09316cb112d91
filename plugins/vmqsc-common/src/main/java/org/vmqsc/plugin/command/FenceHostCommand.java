package org.vmqsc.plugin.command;

/** Stop every protected VM on the host at once: its VMs are about to run elsewhere. Body: {@code GroupRef}. */
public class FenceHostCommand extends VmqscCommand {

  protected FenceHostCommand() {
  }

  public FenceHostCommand(String group, String body) {
    super(group, body);
  }
}

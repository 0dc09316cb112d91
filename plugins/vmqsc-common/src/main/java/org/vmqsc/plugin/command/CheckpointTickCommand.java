package org.vmqsc.plugin.command;

/** Sent every base period: the host's node passes the boundaries its clock has reached (taking the checkpoints and log writes due) and answers with the reports it gathered since the last tick. Body: {@code GroupRef}; answer: {@code Reports}. */
public class CheckpointTickCommand extends VmqscCommand {

  protected CheckpointTickCommand() {
  }

  public CheckpointTickCommand(String group, String body) {
    super(group, body);
  }
}

package org.vmqsc.plugin.command;

/** The payloads the host keeps of some messages. Body: {@code PayloadsRequest}; answer: a list of {@code Payload}. */
public class FetchPayloadsCommand extends VmqscCommand {

  protected FetchPayloadsCommand() {
  }

  public FetchPayloadsCommand(String group, String body) {
    super(group, body);
  }
}

package org.vmqsc.plugin.command;

import com.cloud.agent.api.Answer;
import com.cloud.agent.api.Command;

/**
 * A host's answer to a {@link VmqscCommand}: success with the result as JSON in the agents' wire format (empty when
 * the order returns nothing), or failure with the reason in {@code details}. {@code notNow} marks a refusal the
 * manager should ask again later (a VM that cannot migrate until its writes are stable).
 */
public class VmqscAnswer extends Answer {

  private String body;
  private boolean notNow;

  /** For CloudStack's deserialisation. */
  protected VmqscAnswer() {
  }

  private VmqscAnswer(Command command, boolean success, String details, String body, boolean notNow) {
    super(command, success, details);
    this.body = body;
    this.notNow = notNow;
  }

  public static VmqscAnswer done(Command command, String body) {
    return new VmqscAnswer(command, true, null, body, false);
  }

  public static VmqscAnswer refused(Command command, String reason) {
    return new VmqscAnswer(command, false, reason, null, false);
  }

  public static VmqscAnswer notNow(Command command, String reason) {
    return new VmqscAnswer(command, false, reason, null, true);
  }

  public String getBody() {
    return body;
  }

  public boolean isNotNow() {
    return notNow;
  }
}

package org.vmqsc.agent.xen;

import java.time.Duration;
import java.time.Instant;

/**
 * A finished XAPI task: when XAPI created and finished it, and its result (XAPI writes a returned reference as
 * {@code <value>OpaqueRef:…</value>}).
 */
public record TaskOutcome(Instant created, Instant finished, String result) {

  /** How long XAPI worked on the task, by XAPI's own clock. */
  public Duration span() {
    return Duration.between(created, finished);
  }

  /** The reference the task returned, without XAPI's {@code <value>} wrapping. */
  public String resultReference() {
    String r = result == null ? "" : result.trim();
    if (r.startsWith("<value>") && r.endsWith("</value>")) {
      r = r.substring("<value>".length(), r.length() - "</value>".length());
    }
    return r;
  }
}

package org.vmqsc.agent.xen;

import java.io.IOException;
import java.util.List;

/** XAPI refused a call or a task failed; {@code errorDescription} is XAPI's own (its first item the error code). */
public final class XapiException extends IOException {

  private final List<String> errorDescription;

  public XapiException(String message, List<String> errorDescription, Throwable cause) {
    super(message + (errorDescription.isEmpty() ? "" : ": " + String.join(" ", errorDescription)), cause);
    this.errorDescription = List.copyOf(errorDescription);
  }

  /** XAPI's error code, such as {@code SR_FULL}; empty when XAPI gave none. */
  public String code() {
    return errorDescription.isEmpty() ? "" : errorDescription.get(0);
  }

  public List<String> errorDescription() {
    return errorDescription;
  }
}

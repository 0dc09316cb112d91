package org.vmqsc.agent.log;

import java.io.IOException;

/** Stored log data that does not verify: truncated, damaged or not a log record at all. */
public final class CorruptLogException extends IOException {

  public CorruptLogException(String location, String why) {
    super("log record " + location + " is damaged: " + why);
  }
}

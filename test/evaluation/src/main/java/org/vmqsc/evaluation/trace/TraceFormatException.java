package org.vmqsc.evaluation.trace;

/** A trace file that cannot be read: says which file, which line, and why. */
public final class TraceFormatException extends IllegalArgumentException {
  private final String file;
  private final int line;

  public TraceFormatException(String file, int line, String reason) {
    super(file + ":" + line + ": " + reason);
    this.file = file;
    this.line = line;
  }

  public String file() { return file; }
  public int line() { return line; }
}

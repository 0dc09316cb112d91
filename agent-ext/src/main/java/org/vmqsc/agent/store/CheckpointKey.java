package org.vmqsc.agent.store;

import java.util.regex.Pattern;

/** Names one checkpoint of one VM. Both parts become file names, so they are restricted to a safe alphabet. */
public record CheckpointKey(String vmId, String checkpointId) implements Comparable<CheckpointKey> {

  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  public CheckpointKey {
    requireSafe("VM id", vmId);
    requireSafe("checkpoint id", checkpointId);
  }

  private static void requireSafe(String what, String value) {
    if (value == null || !SAFE.matcher(value).matches()) {
      throw new IllegalArgumentException(what + " '" + value
          + "' is not valid: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
  }

  @Override public int compareTo(CheckpointKey other) {
    int byVm = vmId.compareTo(other.vmId);
    return byVm != 0 ? byVm : checkpointId.compareTo(other.checkpointId);
  }

  @Override public String toString() {
    return vmId + "/" + checkpointId;
  }
}

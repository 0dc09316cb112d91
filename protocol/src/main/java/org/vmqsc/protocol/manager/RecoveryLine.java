package org.vmqsc.protocol.manager;

import java.util.Arrays;

/**
 * A consistent global state every VM can be brought back to: each VM's state at base boundary {@code index},
 * rebuilt from its checkpoint {@code checkpointOf[vm]} (CSN <= index, stable) plus, for an MI VM between its own
 * checkpoints, its stable log segments up to the index.
 */
public record RecoveryLine(long index, long[] checkpointOf) {

  public RecoveryLine {
    checkpointOf = checkpointOf.clone();
  }

  public long checkpointOf(int vm) {
    return checkpointOf[vm];
  }

  @Override public long[] checkpointOf() {
    return checkpointOf.clone();
  }

  @Override public boolean equals(Object o) {
    return o instanceof RecoveryLine l && index == l.index && Arrays.equals(checkpointOf, l.checkpointOf);
  }

  @Override public int hashCode() {
    return Long.hashCode(index) * 31 + Arrays.hashCode(checkpointOf);
  }

  @Override public String toString() {
    return "line " + index + " " + Arrays.toString(checkpointOf);
  }
}

package org.vmqsc.agent.log;

import java.util.Arrays;
import org.vmqsc.protocol.LogEntry;

/**
 * A received message with its determinant and its payload: what a log segment or an in-transit record holds on
 * stable storage, and what a replay hands back to the guest.
 */
public record LoggedMessage(LogEntry entry, byte[] payload) {

  public LoggedMessage {
    if (entry == null) throw new IllegalArgumentException("a logged message needs its log entry");
    payload = payload == null ? new byte[0] : payload.clone();
  }

  @Override public byte[] payload() {
    return payload.clone();
  }

  @Override public boolean equals(Object o) {
    return o instanceof LoggedMessage m && entry.equals(m.entry) && Arrays.equals(payload, m.payload);
  }

  @Override public int hashCode() {
    return entry.hashCode() * 31 + Arrays.hashCode(payload);
  }
}

package org.vmqsc.plugin.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.vmqsc.agent.log.StableMessageStore;
import org.vmqsc.agent.node.HostNode;
import org.vmqsc.agent.node.LogWriter;

/** Writes the log records a node selects to the stable message store, then tells the node where they are. */
final class StableLogWriter implements LogWriter {

  private final String group;
  private final StableMessageStore store;
  private HostNode node;

  StableLogWriter(String group, StableMessageStore store) {
    this.group = group;
    this.store = store;
  }

  void attach(HostNode node) {
    this.node = node;
  }

  @Override public void write(LogWrite write) {
    try {
      String location = write instanceof LogWrite.Segment s
          ? store.writeSegment(group, s.record(), s.entries())
          : store.writeInTransit(group, ((LogWrite.InTransit) write).message());
      node.onLogStable(write, location);
    } catch (IOException e) {
      throw new UncheckedIOException("a log write of group " + group + " failed", e);
    }
  }
}

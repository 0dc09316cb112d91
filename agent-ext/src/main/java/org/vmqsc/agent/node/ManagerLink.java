package org.vmqsc.agent.node;

import java.util.List;

/** Reports up to the manager: one batch at a time, as the node produces them. */
public interface ManagerLink {

  void report(String groupId, List<NodeReport> batch);
}

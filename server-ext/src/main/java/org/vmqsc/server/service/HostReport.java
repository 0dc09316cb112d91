package org.vmqsc.server.service;

import java.util.List;

/**
 * What one host tells the manager about one group at once: the checkpoints and log segments it staged or made
 * stable, and the late messages it wrote to stable storage. Hosts send one batch per boundary or completion, and
 * the manager records a batch in one transaction.
 */
public record HostReport(String hostUuid, String groupUuid, List<BoundaryReport> boundaries,
                         List<LoggedMessageReport> loggedMessages) {

  public HostReport {
    if (hostUuid == null || hostUuid.isBlank()) throw Checks.invalid("a host report needs the host's uuid");
    if (groupUuid == null || groupUuid.isBlank()) throw Checks.invalid("a host report needs the group's uuid");
    boundaries = List.copyOf(boundaries == null ? List.of() : boundaries);
    loggedMessages = List.copyOf(loggedMessages == null ? List.of() : loggedMessages);
  }

  public boolean isEmpty() {
    return boundaries.isEmpty() && loggedMessages.isEmpty();
  }
}

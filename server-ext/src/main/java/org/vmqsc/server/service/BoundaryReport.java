package org.vmqsc.server.service;

import static org.vmqsc.server.service.Checks.invalid;

import java.util.Arrays;
import org.vmqsc.protocol.BoundaryKind;

/**
 * What a host reports for one VM at one base boundary: a checkpoint (CSN = {@code index}) or, for an MI VM not due
 * at that index, the log segment of the interval that ended there. Reported once when staged on the host and once
 * more when on stable storage ({@code stable}, with the stable {@code location}); the same report may arrive twice,
 * late or out of order.
 *
 * @param sentTo       per VM of the group (in the group's numbering), messages this VM had sent to it
 * @param receivedFrom per VM of the group, messages this VM had received from it
 */
public record BoundaryReport(String vmUuid, BoundaryKind kind, long index, int incarnation, boolean forced,
                             boolean stable, long sizeBytes, String location, String contentDigest,
                             long position, long received, long[] sentTo, long[] receivedFrom) {

  public BoundaryReport {
    if (vmUuid == null || vmUuid.isBlank()) throw invalid("a report needs the VM's uuid");
    if (kind == null) throw invalid("a report needs its kind (CHECKPOINT or LOG_SEGMENT)");
    if (index < 0) throw invalid("index (CSN) must be >= 0, got " + index);
    if (kind == BoundaryKind.LOG_SEGMENT && index == 0) throw invalid("a log segment ends at an index >= 1");
    if (kind == BoundaryKind.LOG_SEGMENT && forced) throw invalid("only checkpoints are forced");
    if (incarnation < 0) throw invalid("incarnation must be >= 0, got " + incarnation);
    if (sizeBytes < 0) throw invalid("size must be >= 0 bytes, got " + sizeBytes);
    if (location == null || location.isBlank()) throw invalid("a report needs the location of what it stored");
    if (contentDigest == null || contentDigest.isBlank()) throw invalid("a report needs the content digest");
    if (position < 0 || received < 0) throw invalid("position and received must be >= 0");
    if (sentTo == null || receivedFrom == null || sentTo.length != receivedFrom.length) {
      throw invalid("sentTo and receivedFrom must both have one counter per VM of the group");
    }
    if (Arrays.stream(sentTo).anyMatch(c -> c < 0) || Arrays.stream(receivedFrom).anyMatch(c -> c < 0)) {
      throw invalid("message counters must be >= 0");
    }
    sentTo = sentTo.clone();
    receivedFrom = receivedFrom.clone();
  }

  /** The same report, now on stable storage at {@code stableLocation}. */
  public BoundaryReport asStable(String stableLocation) {
    return new BoundaryReport(vmUuid, kind, index, incarnation, forced, true, sizeBytes, stableLocation,
        contentDigest, position, received, sentTo, receivedFrom);
  }

  @Override public long[] sentTo() { return sentTo.clone(); }

  @Override public long[] receivedFrom() { return receivedFrom.clone(); }

  @Override public boolean equals(Object o) {
    return o instanceof BoundaryReport r && vmUuid.equals(r.vmUuid) && kind == r.kind && index == r.index
        && incarnation == r.incarnation && forced == r.forced && stable == r.stable && sizeBytes == r.sizeBytes
        && location.equals(r.location) && contentDigest.equals(r.contentDigest) && position == r.position
        && received == r.received && Arrays.equals(sentTo, r.sentTo) && Arrays.equals(receivedFrom, r.receivedFrom);
  }

  @Override public int hashCode() {
    return vmUuid.hashCode() * 31 + Long.hashCode(index);
  }

  @Override public String toString() {
    return (kind == BoundaryKind.CHECKPOINT ? "checkpoint " : "log segment ") + vmUuid + "@" + index
        + (incarnation > 0 ? " inc " + incarnation : "") + (stable ? " stable" : " staged");
  }
}

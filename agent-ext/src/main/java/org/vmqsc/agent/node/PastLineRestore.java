package org.vmqsc.agent.node;

import java.util.List;
import org.vmqsc.protocol.recovery.VmRestore;

/**
 * One VM to rebuild past its stable state (causal logging): its restore, and where on stable storage its
 * checkpoint and the log segments up to its recovered boundary lie. A host rebuilds all of those it is given in
 * one order together (see {@link HostNode#restorePastLine}).
 */
public record PastLineRestore(VmRestore restore, String checkpointLocation, List<String> segmentLocations) {

  public PastLineRestore {
    if (!restore.isExtended()) throw new IllegalArgumentException("VM " + restore.vm() + " is not rebuilt past its stable state");
    segmentLocations = List.copyOf(segmentLocations);
  }
}

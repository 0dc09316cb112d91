package org.vmqsc.server.api;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.vmqsc.server.failure.FailureDetector;

/** listHosts over the failure detector's leases; names come from whoever registered the agents. */
public final class FailureDetectorHosts implements HostDirectory {

  private final FailureDetector detector;
  private final Clock clock;
  private final Function<String, String> nameOf;

  public FailureDetectorHosts(FailureDetector detector, Clock clock, Function<String, String> nameOf) {
    this.detector = detector;
    this.clock = clock;
    this.nameOf = nameOf;
  }

  @Override
  public List<Host> hosts() {
    List<Host> out = new ArrayList<>();
    for (String uuid : detector.knownHosts()) {
      var leaseEnd = detector.leaseEnd(uuid).orElse(null);
      LeaseState state;
      if (detector.isFailed(uuid)) {
        state = LeaseState.FAILED;
      } else if (leaseEnd != null && !clock.instant().isBefore(leaseEnd)) {
        state = LeaseState.EXPIRED; // ended, but the coordinator's loop has not asked expired() yet
      } else {
        state = LeaseState.ACTIVE;
      }
      out.add(new Host(uuid, nameOf.apply(uuid), state, detector.epoch(uuid), leaseEnd));
    }
    return out;
  }

  @Override
  public java.time.Duration lease() {
    return detector.lease();
  }
}

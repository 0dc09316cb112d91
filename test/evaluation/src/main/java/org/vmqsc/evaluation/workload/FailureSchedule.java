package org.vmqsc.evaluation.workload;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.vmqsc.evaluation.Failure;
import org.vmqsc.evaluation.Placement;

/**
 * The failures every protocol recovers from: a number of VM crashes and host crashes at uniformly random times after
 * the first base period (before it there is nothing but the initial state to lose), on random VMs and hosts.
 */
public final class FailureSchedule {
  private FailureSchedule() {}

  public static List<Failure> random(Placement placement, double basePeriod, double duration, int vmFailures,
                                     int hostFailures, long seed) {
    Random r = new Random(seed * 1_000_003L + 11);
    List<Failure> out = new ArrayList<>();
    double from = Math.min(basePeriod, duration / 2);
    for (int i = 0; i < vmFailures; i++) {
      out.add(new Failure(from + r.nextDouble() * (duration - from), Failure.Kind.VM, r.nextInt(placement.vms())));
    }
    for (int i = 0; i < hostFailures; i++) {
      out.add(new Failure(from + r.nextDouble() * (duration - from), Failure.Kind.HOST, r.nextInt(placement.hosts())));
    }
    out.sort(Comparator.comparingDouble(Failure::time));
    return out;
  }
}

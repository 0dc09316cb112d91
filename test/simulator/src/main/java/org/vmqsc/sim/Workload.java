package org.vmqsc.sim;

import java.util.List;
import org.vmqsc.protocol.VmClass;

/**
 * Who sends to whom and how often: {@code rate(classes, i, j)} is the mean number of messages VM i sends to VM j
 * per base period (a Poisson process while the guest's state does not change).
 */
public interface Workload {

  double rate(List<VmClass> classes, int from, int to);

  String name();

  /** Every VM sends {@code perVm} messages per base period, to the others uniformly. */
  static Workload uniform(double perVm) {
    return new Workload() {
      @Override public double rate(List<VmClass> classes, int from, int to) {
        return from == to ? 0 : perVm / (classes.size() - 1);
      }
      @Override public String name() { return "uniform"; }
    };
  }

  /**
   * The paper's setting (section 5): SI and MI VMs; an SI VM receives from SI VMs at {@code a1} and from MI VMs at
   * {@code b1}, an MI VM receives from SI VMs at {@code a2} and from MI VMs at {@code b2} (per base period). With
   * a1:a2 = 2:1, b1:b2 = 2:1, a2:b2 = 2:1 and as many SI as MI_2 VMs, eta = 1/6.
   */
  static Workload paper(double a1, double a2, double b1, double b2) {
    return new Workload() {
      @Override public double rate(List<VmClass> classes, int from, int to) {
        if (from == to) return 0;
        boolean fromSi = classes.get(from).isSingleInterval();
        boolean toSi = classes.get(to).isSingleInterval();
        // The rate a receiver gets from a class, spread over that class's senders (the receiver excluded).
        long senders = classes.stream().filter(c -> c.isSingleInterval() == fromSi).count() - (fromSi == toSi ? 1 : 0);
        double perReceiver = toSi ? (fromSi ? a1 : b1) : (fromSi ? a2 : b2);
        return perReceiver / senders;
      }
      @Override public String name() { return "paper"; }
    };
  }

  /** SI VMs talk {@code heavy} times more than MI VMs, the way an admin would assign classes. */
  static Workload skewed(double siPerVm, double miPerVm) {
    return new Workload() {
      @Override public double rate(List<VmClass> classes, int from, int to) {
        if (from == to) return 0;
        return (classes.get(from).isSingleInterval() ? siPerVm : miPerVm) / (classes.size() - 1);
      }
      @Override public String name() { return "skewed"; }
    };
  }
}

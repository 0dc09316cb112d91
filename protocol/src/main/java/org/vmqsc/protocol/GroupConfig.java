package org.vmqsc.protocol;

import java.util.List;

/**
 * A protection group: the base period T0 and the class of each VM. VMs are numbered 0..size()-1 inside a group;
 * the numbering is the group's own and says nothing about placement.
 *
 * @param basePeriod T0, in whatever time unit the caller uses (the protocol itself never reads a clock)
 */
public record GroupConfig(long basePeriod, List<VmClass> classes, EarlyIndexPolicy earlyIndexPolicy) {

  public GroupConfig {
    if (basePeriod <= 0) throw new IllegalArgumentException("base period T0 must be > 0, got " + basePeriod);
    if (classes == null || classes.isEmpty()) throw new IllegalArgumentException("a group needs at least one VM");
    classes = List.copyOf(classes);
    if (earlyIndexPolicy == null) earlyIndexPolicy = EarlyIndexPolicy.ADVANCE_AND_LOG;
  }

  public GroupConfig(long basePeriod, List<VmClass> classes) {
    this(basePeriod, classes, EarlyIndexPolicy.ADVANCE_AND_LOG);
  }

  public int size() {
    return classes.size();
  }

  public VmClass classOf(int vm) {
    return classes.get(vm);
  }
}

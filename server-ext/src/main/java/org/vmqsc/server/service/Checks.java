package org.vmqsc.server.service;

import org.vmqsc.protocol.VmClass;
import org.vmqsc.server.service.ServiceException.Reason;

/** The catalog's input checks, each with a message that says what was wrong. */
public final class Checks {

  private Checks() {}

  public static ServiceException invalid(String message) {
    return new ServiceException(Reason.INVALID, message);
  }

  public static String name(String name) {
    if (name == null || name.isBlank()) throw invalid("a group needs a name");
    if (name.length() > 255) throw invalid("a group name has at most 255 characters");
    return name.trim();
  }

  public static long basePeriodMs(long basePeriodMs) {
    if (basePeriodMs <= 0) throw invalid("base period T0 must be > 0 ms, got " + basePeriodMs);
    return basePeriodMs;
  }

  /** A group's start: a wall-clock time in ms after 2000-01-01 and before 2200. */
  public static long startedMs(long startedMs) {
    if (startedMs < 946_684_800_000L || startedMs > 7_258_118_400_000L) {
      throw invalid("a group's start must be a wall-clock time in ms (2000..2200), got " + startedMs);
    }
    return startedMs;
  }

  /** The longest VM class the catalog stores (its vm_class column). */
  public static final int VM_CLASS_MAX_CHARS = 16;

  /**
   * Canonical spelling of a VM class ("SI", "MI_3", "MI_4@2"); MI_0 and MI_1 are refused (use SI for every
   * boundary), and so are phases outside 0..k-1, a phase on SI, and classes too long for the catalog's column.
   */
  public static String vmClass(String text) {
    String canonical;
    try {
      canonical = VmClass.parse(text).toString();
    } catch (IllegalArgumentException e) {
      throw invalid("vmclass: " + e.getMessage());
    }
    if (canonical.length() > VM_CLASS_MAX_CHARS) {
      throw invalid("vmclass: " + canonical + " is too long: a VM class has at most " + VM_CLASS_MAX_CHARS
          + " characters (" + VmClass.SYNTAX + ")");
    }
    return canonical;
  }

  /**
   * A started group keeps its VMs' classes: the line keeper and the planner read each VM's recorded boundaries by
   * its class, so a class changed under a running group would misread the boundaries recorded before the change.
   */
  public static ServiceException classFixed(String vmUuid, String groupUuid) {
    return new ServiceException(Reason.WRONG_STATE, "cannot change the class of VM " + vmUuid + " in group "
        + groupUuid + ": its protection has started, and the recovery line reads the checkpoints recorded so far by"
        + " each VM's class, so classes are fixed while the group runs; create a new group with the new classes");
  }

  public static String uuid(String what, String value) {
    if (value == null || value.isBlank()) throw invalid(what + " uuid is missing");
    if (value.length() > 255) throw invalid(what + " uuid has at most 255 characters");
    return value;
  }
}

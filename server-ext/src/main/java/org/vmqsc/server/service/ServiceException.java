package org.vmqsc.server.service;

/** A request the catalog refuses; {@link #reason()} says which kind, the message says what exactly. */
public final class ServiceException extends RuntimeException {

  public enum Reason {
    /** No such group, or it was deleted. */
    UNKNOWN_GROUP,
    /** No such VM in any group (or not in the group named). */
    UNKNOWN_VM,
    /** The VM already belongs to a group. */
    DUPLICATE_VM,
    /** A value out of range: T0 <= 0, a class that is not SI or MI_k (k >= 2), a negative CSN, ... */
    INVALID,
    /** A report that contradicts one already recorded (same VM, CSN and incarnation, different content). */
    CONFLICTING_REPORT,
    /** The request does not fit the group's state (no recovery line yet, membership frozen, ...). */
    WRONG_STATE,
    /** No such recovery event. */
    UNKNOWN_RECOVERY
  }

  private final Reason reason;

  public ServiceException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}

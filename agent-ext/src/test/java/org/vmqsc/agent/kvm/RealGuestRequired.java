package org.vmqsc.agent.kvm;

import static org.junit.Assert.fail;

import org.junit.Assume;

/**
 * Tests that run the lab guest under libvirt: they skip with one line saying why where it cannot run, and fail with
 * {@code CI=true}, where the machine is set up for it.
 */
final class RealGuestRequired {

  private RealGuestRequired() {}

  static void check(String test) {
    String reason = LabGuest.unavailableReason().orElse(null);
    if (reason != null) {
      System.out.println(test + " skipped: " + reason);
      if ("true".equals(System.getenv("CI"))) {
        fail("CI=true but no real guest: " + reason);
      }
    }
    Assume.assumeTrue("skipped: " + reason, reason == null);
  }
}

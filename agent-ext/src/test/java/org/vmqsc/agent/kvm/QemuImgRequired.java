package org.vmqsc.agent.kvm;

import static org.junit.Assert.fail;

import java.io.IOException;
import org.junit.Assume;

/** Tests on real qcow2 files need {@code qemu-img}: they skip with one line without it, and fail with {@code CI=true}. */
final class QemuImgRequired {

  private QemuImgRequired() {}

  static void check(String test) {
    boolean present;
    try {
      present = new ProcessBuilder("qemu-img", "--version").start().waitFor() == 0;
    } catch (IOException | InterruptedException e) {
      present = false;
    }
    if (!present) {
      System.out.println(test + " skipped: no qemu-img (run .ci/setup-kvm.sh)");
      if ("true".equals(System.getenv("CI"))) fail("CI=true but no qemu-img");
    }
    Assume.assumeTrue(present);
  }
}

package org.vmqsc.agent.kvm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.libvirt.jna.Libvirt;

/**
 * The tiny real guest of the test tier and the KVM benchmark: a Debian cloud kernel with a busybox init (built by
 * {@code .ci/setup-kvm.sh}) under QEMU's software emulation. It fills part of its memory with random data, rewrites
 * a "hot" part of it in place every tick, and prints {@code GUEST-TICK <n>} on its serial port, which is a file
 * here: the counter tells from which moment a restored guest continues.
 */
public final class LabGuest implements AutoCloseable {

  public static final String URI = "qemu:///system";
  // Whole lines only: a guest destroyed mid-line leaves half of one, which must not read as a smaller number.
  private static final Pattern TICK = Pattern.compile("GUEST-TICK (\\d+)\\r?\\n");
  // Keeps the callback reachable for as long as libvirt may call it.
  private static final Libvirt.VirErrorCallback QUIET = (userData, error) -> { };

  /** Shape of the guest. */
  public record Spec(String name, int memoryMiB, int fillMiB, int hotKiB, double tickSeconds) {}

  private final Connect connect;
  private final Spec spec;
  private final Path serialLog;

  private LabGuest(Connect connect, Spec spec, Path serialLog) {
    this.connect = connect;
    this.spec = spec;
    this.serialLog = serialLog;
  }

  /** Where the setup script put the kernel and initramfs. */
  public static Path guestDir() {
    String dir = System.getenv("VMQSC_GUEST_DIR");
    return Path.of(dir != null && !dir.isBlank() ? dir : "/var/tmp/vmqsc-guest");
  }

  /** Why real guests cannot run here, or empty when they can. One line, for a test skip or a benchmark refusal. */
  public static Optional<String> unavailableReason() {
    Path dir = guestDir();
    if (!Files.isRegularFile(dir.resolve("vmlinuz")) || !Files.isRegularFile(dir.resolve("initrd.img"))) {
      return Optional.of("no lab guest in " + dir + " (run .ci/setup-kvm.sh as root to build it and start libvirtd)");
    }
    try {
      Connect connect = connect();
      connect.close();
      return Optional.empty();
    } catch (LinkageError e) {
      return Optional.of("libvirt is not installed (" + e.getMessage() + "); run .ci/setup-kvm.sh");
    } catch (LibvirtException e) {
      return Optional.of("cannot reach libvirtd at " + URI + " (" + e.getMessage() + "); run .ci/setup-kvm.sh");
    }
  }

  /** A connection to the system libvirtd, with libvirt's own stderr error printing turned off. */
  public static Connect connect() throws LibvirtException {
    Connect.setErrorCallback(QUIET);
    return new Connect(URI);
  }

  /** Starts a transient guest (it vanishes when destroyed), replacing any leftover of the same name. */
  public static LabGuest start(Connect connect, Spec spec) throws IOException {
    return start(connect, spec, xml -> xml);
  }

  /** Like {@link #start(Connect, Spec)}, from the domain XML as changed by {@code edit} (devices a test adds). */
  static LabGuest start(Connect connect, Spec spec, UnaryOperator<String> edit) throws IOException {
    Path runDir = guestDir().resolve("run");
    Files.createDirectories(runDir);
    runDir.toFile().setExecutable(true, false);  // QEMU (user libvirt-qemu) writes the serial log in here
    runDir.toFile().setReadable(true, false);
    Path serial = runDir.resolve(spec.name() + ".serial");
    try {
      destroyIfRunning(connect, spec.name());
      Files.deleteIfExists(serial);
      connect.domainCreateXML(edit.apply(domainXml(spec, serial)), 0);
    } catch (LibvirtException e) {
      throw new IOException("could not start lab guest " + spec.name() + ": " + e.getMessage(), e);
    }
    return new LabGuest(connect, spec, serial);
  }

  static String domainXml(Spec spec, Path serial) {
    Path dir = guestDir();
    return "<domain type='qemu'>"
        + "<name>" + spec.name() + "</name>"
        + "<memory unit='MiB'>" + spec.memoryMiB() + "</memory>"
        + "<vcpu>1</vcpu>"
        + "<os><type arch='x86_64' machine='pc'>hvm</type>"
        + "<kernel>" + dir.resolve("vmlinuz") + "</kernel>"
        + "<initrd>" + dir.resolve("initrd.img") + "</initrd>"
        + "<cmdline>console=ttyS0 quiet vmqsc.fill_mib=" + spec.fillMiB() + " vmqsc.hot_kib=" + spec.hotKiB()
        + " vmqsc.tick=" + spec.tickSeconds() + "</cmdline></os>"
        + "<on_crash>destroy</on_crash>"
        + "<devices>"
        + "<serial type='file'><source path='" + serial + "' append='on'/><target port='0'/></serial>"
        + "<memballoon model='none'/>"
        + "</devices></domain>";
  }

  private static void destroyIfRunning(Connect connect, String name) {
    try {
      Domain domain = connect.domainLookupByName(name);
      if (domain.isActive() == 1) {
        domain.destroy();
      }
    } catch (LibvirtException noSuchDomain) {
      // nothing to clean up
    }
  }

  public Spec spec() {
    return spec;
  }

  public String name() {
    return spec.name();
  }

  /** Every tick printed so far, in order (a restored guest prints older numbers again). */
  public List<Integer> ticks() throws IOException {
    List<Integer> ticks = new ArrayList<>();
    if (!Files.exists(serialLog)) {
      return ticks;
    }
    Matcher m = TICK.matcher(new String(Files.readAllBytes(serialLog), StandardCharsets.ISO_8859_1));
    while (m.find()) {
      ticks.add(Integer.parseInt(m.group(1)));
    }
    return ticks;
  }

  private String kernelPanic() throws IOException {
    if (!Files.exists(serialLog)) {
      return null;
    }
    String log = new String(Files.readAllBytes(serialLog), StandardCharsets.ISO_8859_1);
    int at = log.indexOf("Kernel panic");
    if (at < 0) {
      return null;
    }
    int end = log.indexOf('\n', at);
    return log.substring(at, end < 0 ? log.length() : end).trim();
  }

  public int lastTick() throws IOException {
    List<Integer> ticks = ticks();
    return ticks.isEmpty() ? 0 : ticks.get(ticks.size() - 1);
  }

  /** Waits until the serial log holds at least {@code count} ticks in total. */
  public void awaitTickCount(int count, long timeoutMillis) throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (ticks().size() < count) {
      String panic = kernelPanic();
      if (panic != null) {
        throw new IOException("lab guest " + name() + " crashed: " + panic + " (serial log " + serialLog + ")");
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IOException("lab guest " + name() + " printed " + ticks().size() + " ticks in " + timeoutMillis
            + " ms, expected " + count + "; serial log " + serialLog);
      }
      Thread.sleep(50);
    }
  }

  @Override public void close() {
    destroyIfRunning(connect, spec.name());
  }
}

package org.libvirt;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import org.libvirt.jna.ConnectionPointer;
import org.libvirt.jna.DomainPointer;

/**
 * Calls libvirt-java 0.5.4 does not bind: reading the domain XML stored in a save image, restoring an image with a
 * changed domain XML ({@code virsh restore --xml}), a domain's run state without a job, and a QMP command that hands
 * QEMU a file descriptor. It lives in this package
 * because the connection's and domain's pointers are not public; it uses its own JNA interface on the same library.
 */
public final class ExtraCalls {

  /** {@code VIR_DOMAIN_SAVE_RUNNING}: start the restored domain running, whatever state the image recorded. */
  public static final int RESTORE_RUNNING = 2;
  /** {@code VIR_DOMAIN_SAVE_PAUSED}: leave the restored domain paused, whatever state the image recorded. */
  public static final int RESTORE_PAUSED = 4;
  /** {@code VIR_DOMAIN_RUNNING}. */
  public static final int STATE_RUNNING = 1;

  interface Virt extends Library {
    Virt INSTANCE = Native.load("virt", Virt.class);

    int virDomainRestoreFlags(ConnectionPointer conn, String from, String dxml, int flags);

    Pointer virDomainSaveImageGetXMLDesc(ConnectionPointer conn, String file, int flags);

    int virDomainGetState(DomainPointer domain, IntByReference state, IntByReference reason, int flags);
  }

  interface VirtQemu extends Library {
    VirtQemu INSTANCE = Native.load("virt-qemu", VirtQemu.class);

    int virDomainQemuMonitorCommandWithFiles(DomainPointer domain, String cmd, int ninfiles, int[] infiles,
        IntByReference noutfiles, PointerByReference outfiles, PointerByReference result, int flags);
  }

  private ExtraCalls() {}

  /**
   * Runs a QMP command with one file descriptor passed along ({@code virDomainQemuMonitorCommandWithFiles}, libvirt
   * 8.2): QEMU gets its own copy of {@code fd} (the caller still closes its own). Returns QEMU's reply.
   */
  public static String monitorCommandWithFile(Domain domain, String command, int fd) throws LibvirtException {
    PointerByReference result = new PointerByReference();
    ErrorHandler.processError(VirtQemu.INSTANCE.virDomainQemuMonitorCommandWithFiles(domain.vdp, command, 1,
        new int[] {fd}, null, null, result, 0));
    Pointer reply = result.getValue();
    try {
      return reply.getString(0, "UTF-8");
    } finally {
      org.libvirt.Library.free(reply);
    }
  }

  /** The domain XML stored in a save image ({@code VIR_DOMAIN_SAVE_IMAGE_XML_SECURE}: 1, so the XML is complete). */
  public static String domainXml(Connect connect, String file) throws LibvirtException {
    Pointer xml = ErrorHandler.processError(Virt.INSTANCE.virDomainSaveImageGetXMLDesc(connect.vcp, file, 1));
    try {
      return xml.getString(0, "UTF-8");
    } finally {
      org.libvirt.Library.free(xml);
    }
  }

  /** Restores a save image with {@code dxml} in place of its stored domain XML (same ABI; disk sources may differ). */
  public static void restore(Connect connect, String file, String dxml, int flags) throws LibvirtException {
    ErrorHandler.processError(Virt.INSTANCE.virDomainRestoreFlags(connect.vcp, file, dxml, flags));
  }

  /**
   * The domain's state as libvirt keeps it ({@code virDomainGetState}): unlike a QMP command, it needs no job, so it
   * answers while a snapshot job holds the domain; libvirt updates it from QEMU's STOP and RESUME events.
   */
  public static int state(Domain domain) throws LibvirtException {
    IntByReference state = new IntByReference();
    IntByReference reason = new IntByReference();
    ErrorHandler.processError(Virt.INSTANCE.virDomainGetState(domain.vdp, state, reason, 0));
    return state.getValue();
  }
}

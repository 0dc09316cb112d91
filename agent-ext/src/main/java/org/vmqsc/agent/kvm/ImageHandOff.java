package org.vmqsc.agent.kvm;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import org.vmqsc.agent.driver.Capture;
import org.vmqsc.agent.driver.ImageConsumer;
import org.vmqsc.agent.driver.MappedImageFile;

/**
 * Where one snapshot's image goes: to the caller's consumer after the snapshot, from a file (libvirt's snapshot
 * job, a pre-copy snapshot, QEMU writing a file it was handed), or, where QEMU's stream reaches the agent itself,
 * to the consumer on a thread of its own while QEMU still writes it ({@link #begin}): the engine's work then
 * overlaps QEMU's instead of following it, and the image never waits in a file.
 */
final class ImageHandOff {

  private final String vmId;
  private final ImageConsumer consumer;
  private ImagePipe pipe;
  private Capture capture;
  private Thread thread;
  /** What the consumer threw; read after {@link Thread#join}. */
  private Throwable consumerFailure;

  ImageHandOff(String vmId, ImageConsumer consumer) {
    this.vmId = vmId;
    this.consumer = consumer;
  }

  /** Starts the consumer on the image as it arrives in {@code pipe}; {@code capture} is final by now. */
  void begin(ImagePipe pipe, Capture capture) {
    this.pipe = pipe;
    this.capture = capture;
    thread = new Thread(() -> {
      try (InputStream in = pipe.stream()) {
        consumer.accept(in, capture);
      } catch (Throwable t) {
        consumerFailure = t;
      }
    }, "image-store-" + vmId);
    thread.setDaemon(true);
    thread.start();
  }

  /** Whether the consumer was started while the snapshot ran. */
  boolean begun() {
    return thread != null;
  }

  /** The capture the consumer was given by {@link #begin}; null before. */
  Capture capture() {
    return capture;
  }

  /** Gives a consumer not begun the image in {@code file}, after the snapshot (read through a mapping). */
  void consumeFile(java.nio.file.Path file, Capture capture) throws IOException {
    try (InputStream in = MappedImageFile.open(file)) {
      consumer.accept(in, capture);
    }
  }

  /**
   * The snapshot ended (it failed if {@code snapshotFailure} is not null): the consumer begun reads the image's end,
   * or a failure, and is waited for. Throws the snapshot's failure (the consumer's suppressed in it), else the
   * consumer's; returns the capture the consumer was given.
   */
  Capture end(Throwable snapshotFailure) throws IOException {
    if (snapshotFailure == null) {
      pipe.succeed();
    } else {
      pipe.fail(snapshotFailure instanceof IOException io ? io
          : new IOException(snapshotFailure.toString(), snapshotFailure));
    }
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
        pipe.fail(new InterruptedIOException("the checkpoint of " + vmId + " was interrupted"));
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
    if (snapshotFailure != null) {
      if (consumerFailure != null) snapshotFailure.addSuppressed(consumerFailure);
      throw rethrown(snapshotFailure);
    }
    if (consumerFailure != null) throw rethrown(consumerFailure);
    if (interrupted) throw new InterruptedIOException("the checkpoint of " + vmId + " was interrupted");
    return capture;
  }

  /** {@code t} thrown as it is where it can be, else as an IOException. */
  static IOException rethrown(Throwable t) {
    if (t instanceof IOException io) return io;
    if (t instanceof RuntimeException r) throw r;
    if (t instanceof Error e) throw e;
    return new IOException(t.toString(), t);
  }
}

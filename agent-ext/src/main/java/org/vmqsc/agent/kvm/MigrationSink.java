package org.vmqsc.agent.kvm;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where QEMU's migration stream reaches the agent, to go on to the engine through an {@link ImagePipe} without a
 * file between: a Unix socket a QMP {@code migrate} to {@code unix:} connects to, where the guest has a monitor of
 * the agent's own (which cannot pass a file descriptor: {@code getfd} needs one sent along with the command); else
 * the read end of a {@link KernelPipe} whose write end QEMU holds ({@code migrate} to {@code fd:}). The socket
 * listens before the cut, in the folder of the guest's monitor socket (only QEMU's user and root can enter it), so
 * the connection costs the pause no more than QEMU's own connect.
 */
final class MigrationSink implements Closeable {

  private final String uri;
  private final Path socket;
  private final ServerSocketChannel server;
  private final ReadableByteChannel pipeEnd;
  private Thread copier;
  private volatile IOException failure;
  private volatile long copied;

  private MigrationSink(String uri, Path socket, ServerSocketChannel server, ReadableByteChannel pipeEnd) {
    this.uri = uri;
    this.socket = socket;
    this.server = server;
    this.pipeEnd = pipeEnd;
  }

  static MigrationSink listen(Path socket) throws IOException {
    Files.deleteIfExists(socket);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      server.bind(UnixDomainSocketAddress.of(socket));
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));  // QEMU connects
    } catch (IOException | RuntimeException e) {
      server.close();
      Files.deleteIfExists(socket);
      throw e;
    }
    return new MigrationSink("unix:" + socket, socket, server, null);
  }

  /** The read end of a pipe whose write end QEMU holds under the name {@code uri} gives ({@code fd:NAME}). */
  static MigrationSink ofPipe(ReadableByteChannel readEnd, String uri) {
    return new MigrationSink(uri, null, null, readEnd);
  }

  /** The URI QEMU's {@code migrate} takes. */
  String uri() {
    return uri;
  }

  /** Whether QEMU holds a descriptor of it by name (to be closed there when the cut is dropped). */
  boolean heldByQemu() {
    return pipeEnd != null;
  }

  /**
   * Accepts QEMU's connection (or takes the pipe's read end) on a thread of its own and passes all QEMU sends into
   * {@code pipe}, until it closes.
   * Once the pipe's reader gives up (the engine failed: a full store, a broken chunk) or the snapshot failed, the
   * stream is still read to its end and dropped: a background snapshot must run to its end. Closing it early would
   * fail QEMU's migration while the guest may be waiting on the write protection of a page not saved yet, the same
   * clean-up as a cancel, which can hang QEMU 7.2; and a stream nobody reads stalls the snapshot, and with it every
   * guest write to a page not yet saved.
   */
  void streamInto(ImagePipe pipe) {
    copier = new Thread(() -> {
      try (ReadableByteChannel in = server != null ? server.accept() : pipeEnd) {
        copied = pipe.readFrom(in);
      } catch (IOException e) {
        failure = e;
      }
    }, "migration-sink");
    copier.setDaemon(true);
    copier.start();
  }

  /** Waits for the stream's end (QEMU closes it once the migration completed); fails if copying it failed. */
  void awaitEnd(long timeoutMillis) throws IOException {
    try {
      copier.join(timeoutMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while QEMU's memory stream was copied", e);
    }
    if (copier.isAlive()) throw new IOException("QEMU's memory stream did not end in " + timeoutMillis + " ms");
    if (failure != null) throw new IOException("reading QEMU's memory stream failed: " + failure.getMessage(), failure);
    if (copied == 0) throw new IOException("QEMU sent no memory stream");
  }

  @Override public void close() {
    try {
      if (server != null) server.close();  // a copier still waiting in accept() ends with an error
      else if (copier == null) pipeEnd.close();  // else the copier closes it at the stream's end
    } catch (IOException ignored) {
      // closing anyway
    }
    try {
      if (socket != null) Files.deleteIfExists(socket);
    } catch (IOException ignored) {
      // in the guest's monitor folder, cleared with it
    }
  }
}

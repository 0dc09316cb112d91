package org.vmqsc.agent.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Crash-safe, owner-only file writes. Checkpoint files hold guest memory, keys included, so nothing is ever
 * readable by other users; and nothing is ever visible half-written.
 */
public final class SafeFiles {

  /** Temporary files carry this suffix; a store removes any it finds when it opens (left by a crash). */
  public static final String TEMP_SUFFIX = ".partial";

  static final FileAttribute<Set<PosixFilePermission>> OWNER_FILE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
  static final FileAttribute<Set<PosixFilePermission>> OWNER_DIR =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  private SafeFiles() {}

  /** Creates a directory (and parents) readable by the owner only. */
  public static Path ownerOnlyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Path parent = dir.toAbsolutePath().getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        ownerOnlyDirectory(parent);
      }
      try {
        Files.createDirectory(dir, OWNER_DIR);
      } catch (FileAlreadyExistsException raced) {
        // another thread made it; fine
      }
    }
    return dir;
  }

  /** Creates a new, empty file readable and writable by the owner only. */
  public static Path createOwnerOnlyFile(Path file) throws IOException {
    return Files.createFile(file, OWNER_FILE);
  }

  /**
   * Writes {@code bytes} to {@code target}: a temporary file in the same directory, fsync, atomic rename, fsync of
   * the directory. On any failure the temporary file is removed and the target is untouched.
   */
  public static void writeAtomically(Path target, byte[] bytes) throws IOException {
    writeAtomically(target, out -> {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        out.write(buffer);
      }
    });
  }

  /** What {@link #writeAtomically(Path, Contents)} writes: all of the file, to the channel it is given. */
  public interface Contents {
    void writeTo(FileChannel out) throws IOException;
  }

  /** {@link #writeAtomically(Path, byte[])} of contents written by {@code contents}, as they are made. */
  public static void writeAtomically(Path target, Contents contents) throws IOException {
    Path temp = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + TEMP_SUFFIX);
    try {
      try (FileChannel out = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
          OWNER_FILE)) {
        contents.writeTo(out);
        out.force(true);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDirectory(target.getParent());
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
  }

  /**
   * Deletes {@code root} and everything under it; nothing when it does not exist. Another thread may delete files in
   * it meanwhile (a checkpoint's temporary file as its owner closes): a file or folder found gone is what this
   * delete wanted anyway, so it is passed over, never an error.
   */
  public static void deleteTree(Path root) throws IOException {
    Files.walkFileTree(root, new PastVanishedFiles() {
      @Override public FileVisitResult visitFile(Path file, BasicFileAttributes a) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null && !(e instanceof NoSuchFileException)) {
          throw e;
        }
        Files.deleteIfExists(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /** Makes a rename or delete in {@code dir} durable. */
  public static void syncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  /** True when an I/O error means the disk is full (Java gives no error code, only the OS message). */
  public static boolean isDiskFull(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String message = t.getMessage();
      if (message != null && (message.contains("No space left on device") || message.contains("Disk quota exceeded"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The regular files under {@code dir}. In a directory other hosts share, they create, rename and delete files
   * while this walk runs: one that vanishes between its listing and its attributes is skipped, not an error.
   */
  public static List<Path> regularFiles(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    Files.walkFileTree(dir, new PastVanishedFiles() {
      @Override public FileVisitResult visitFile(Path file, BasicFileAttributes a) {
        if (a.isRegularFile()) {
          out.add(file);
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return out;
  }

  /**
   * A temporary file nobody wrote for an hour: its writer died. In a shared directory a younger one may be another
   * host's write under way.
   */
  public static boolean abandoned(Path temp) throws IOException {
    try {
      return Files.getLastModifiedTime(temp).toMillis() < System.currentTimeMillis() - 3_600_000L;
    } catch (NoSuchFileException gone) {
      return false;
    }
  }

  /** A walk of a folder others change meanwhile: a file found gone between its listing and its visit is passed over. */
  private abstract static class PastVanishedFiles extends SimpleFileVisitor<Path> {
    @Override public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
      if (e instanceof NoSuchFileException) {
        return FileVisitResult.CONTINUE;
      }
      throw e;
    }
  }
}

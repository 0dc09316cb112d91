package org.vmqsc.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * What borg stores for the second of two versions of one image, with the chunker parameters given (borg's
 * {@code fixed,4096}: one chunk per page) and lz4 compression, as the engine compresses: how much the repository's
 * segment files grow with the second archive — its new chunks and its metadata (the list of its chunks), as the
 * engine's figure counts new chunks and the manifest. Needs {@code borg} (Debian's {@code borgbackup}); the
 * folder's repository and copies are the caller's to delete.
 */
final class BorgComparison {

  private BorgComparison() {}

  static boolean available() {
    return ImageFileBench.installed("borg");
  }

  /** The bytes borg adds to a repository holding {@code first} when {@code second} is backed up under its name. */
  static long secondVersionBytes(Path dir, byte[] first, byte[] second, String chunkerParams)
      throws IOException, InterruptedException {
    Path repo = dir.resolve("borg-repo");
    Path image = dir.resolve("memory.img");
    run(dir, List.of("borg", "init", "--encryption=none", repo.toString()));
    Files.write(image, first);
    create(dir, repo, "first", chunkerParams);
    long before = segmentBytes(repo);
    Files.write(image, second);
    create(dir, repo, "second", chunkerParams);
    return segmentBytes(repo) - before;
  }

  private static void create(Path dir, Path repo, String archive, String chunkerParams)
      throws IOException, InterruptedException {
    run(dir, List.of("borg", "create", "--compression", "lz4", "--chunker-params", chunkerParams,
        repo + "::" + archive, "memory.img"));
  }

  private static long segmentBytes(Path repo) throws IOException {
    try (Stream<Path> files = Files.walk(repo.resolve("data"))) {
      return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }

  private static String run(Path dir, List<String> command) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
        .redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().put("BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK", "yes");
    builder.environment().put("BORG_BASE_DIR", dir.resolve("borg-home").toString());
    Process process = builder.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) throw new IOException(String.join(" ", command) + " failed (exit " + process.exitValue() + ")");
    return out;
  }
}

package org.vmqsc.agent.kvm;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * qcow2 backing chains of checkpointed disks, handled with {@code qemu-img}.
 *
 * <p>A chain, oldest first: the disk's own file, then one overlay per checkpoint. Each checkpoint freezes the file
 * that was active until then; that file with everything below it is the checkpoint's disk state. Backing file names
 * are relative (the overlays are created next to the file they sit on), so a chain can be copied to another directory
 * as it is.
 */
public final class DiskChains {

  private static final long TIMEOUT_SECONDS = 120;

  /** One file of a chain, as {@code qemu-img info} reports it. */
  public record Layer(Path file, String format, long virtualSize, Path backing, String backingFormat) {

    public Layer(Path file, String format, long virtualSize, Path backing) {
      this(file, format, virtualSize, backing, null);
    }
  }

  /** One file's own header (its backing file is not opened, and need not exist). */
  static Layer layer(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("disk file " + file + " does not exist");
    }
    JsonObject o = JsonParser.parseString(run(List.of("qemu-img", "info", "-U", "--output=json", file.toString())))
        .getAsJsonObject();
    Path backing = o.has("backing-filename")
        ? file.toAbsolutePath().resolveSibling(o.get("backing-filename").getAsString()).normalize() : null;
    String backingFormat = o.has("backing-filename-format") ? o.get("backing-filename-format").getAsString() : null;
    return new Layer(file, o.get("format").getAsString(), o.get("virtual-size").getAsLong(), backing, backingFormat);
  }

  /**
   * Deletes {@code frozen} and the files below it in its own folder that {@code dir} holds copies of (by name),
   * newest first, down to the first one without a copy: once copied, a layer QEMU's backup wrote is needed only
   * there. A layer not copied yet (a checkpoint that failed after its disk cut) stays for the next copy.
   */
  static void deleteCopied(Path frozen, Path dir) throws IOException {
    Path layer = frozen;
    while (layer != null && Files.isRegularFile(layer) && Files.isRegularFile(dir.resolve(layer.getFileName()))) {
      Path backing = layer(layer).backing();
      Files.delete(layer);
      layer = backing;
    }
  }

  /** Creates an empty qcow2 file of {@code virtualSize} bytes, with no backing file. */
  static void createEmpty(Path file, long virtualSize) throws IOException {
    run(List.of("qemu-img", "create", "-q", "-f", "qcow2", file.toString(), Long.toString(virtualSize)));
  }

  private DiskChains() {}

  /**
   * The chain under {@code top}, top first. Works on files a running QEMU has open (it reads with {@code -U}); fails
   * with the missing file's name when a backing file is gone.
   */
  public static List<Layer> chain(Path top) throws IOException {
    if (!Files.isRegularFile(top)) {
      throw new IOException("disk file " + top + " does not exist");
    }
    String json;
    try {
      json = run(List.of("qemu-img", "info", "-U", "--backing-chain", "--output=json", top.toString()));
    } catch (IOException e) {
      throw missingLayer(top, e);
    }
    JsonElement parsed = JsonParser.parseString(json);
    JsonArray array = parsed.isJsonArray() ? parsed.getAsJsonArray() : new JsonArray();
    if (parsed.isJsonObject()) {
      array.add(parsed);
    }
    List<Layer> layers = new ArrayList<>();
    for (JsonElement e : array) {
      JsonObject o = e.getAsJsonObject();
      Path file = Path.of(o.get("filename").getAsString());
      Path backing = o.has("full-backing-filename") ? Path.of(o.get("full-backing-filename").getAsString())
          : o.has("backing-filename") ? file.resolveSibling(o.get("backing-filename").getAsString()) : null;
      layers.add(new Layer(file, o.get("format").getAsString(), o.get("virtual-size").getAsLong(), backing));
    }
    Layer last = layers.get(layers.size() - 1);
    if (last.backing() != null) {  // qemu-img stops quietly at a missing backing file in some versions
      throw new IOException("the disk chain under " + top + " is incomplete: " + last.backing() + " is missing");
    }
    return layers;
  }

  /** Walks the chain one file at a time to name the file that is missing; qemu-img names it as the header does. */
  private static IOException missingLayer(Path top, IOException failure) {
    Path file = top;
    try {
      for (int depth = 0; depth < 10_000; depth++) {
        JsonObject o = JsonParser.parseString(run(List.of("qemu-img", "info", "-U", "--output=json",
            file.toString()))).getAsJsonObject();
        if (!o.has("backing-filename")) {
          break;
        }
        Path backing = file.toAbsolutePath().resolveSibling(o.get("backing-filename").getAsString()).normalize();
        if (!Files.exists(backing)) {
          return new IOException("the disk chain under " + top + " is incomplete: " + backing
              + " is missing (the backing file of " + file + ")", failure);
        }
        file = backing;
      }
    } catch (IOException | RuntimeException ignored) {
      // fall back to qemu-img's own words
    }
    return failure;
  }

  /**
   * Creates an empty qcow2 overlay on {@code backing} without opening it (a running QEMU holds its lock); the
   * backing file is named relative to the overlay's directory.
   */
  static void createOverlay(Path overlay, Path backing, String backingFormat, long virtualSize) throws IOException {
    String name = relativeName(overlay, backing);
    run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", backingFormat, "-b", name, "-u",
        overlay.toString(), Long.toString(virtualSize)));
  }

  /** Writes what the page cache holds of {@code disk} to its device (fdatasync); on failure, QEMU's flush does. */
  static void flushQuietly(Path disk) {
    try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(disk,
        java.nio.file.StandardOpenOption.READ)) {
      channel.force(false);
    } catch (IOException | RuntimeException ignored) {
      // QEMU flushes it itself as it stops the guest
    }
  }

  /** A new file name next to {@code disk}: its stem (without earlier checkpoint suffixes), a tag and a random part. */
  static Path overlayNextTo(Path disk, String tag) {
    String name = disk.getFileName().toString();
    int dot = name.indexOf('.');
    String stem = dot > 0 ? name.substring(0, dot) : name;
    return disk.resolveSibling(stem + "." + tag + "-" + UUID.randomUUID().toString().substring(0, 8) + ".qcow2");
  }

  private static String relativeName(Path from, Path backing) {
    Path dir = from.toAbsolutePath().getParent();
    return dir.relativize(backing.toAbsolutePath()).toString();
  }

  /**
   * Copies a frozen file into {@code dir} under its own name, its backing file named by file name only. A chain is
   * copied oldest first; a layer below that has no copy in {@code dir} yet is copied first, down to one that has (or
   * the chain's bottom). That happens when a checkpoint's memory snapshot failed after its disk cut: the disks went
   * on to a new layer that no checkpoint copied, and the next frozen file names it as its backing file. Copying it
   * then is right: the layers below it that {@code dir} holds read as they did when frozen, since a collection merges
   * only layers under the oldest kept checkpoint, and a running guest's layers are above its line. Returns the copy.
   */
  public static Path copyFrozen(Path frozen, Path dir) throws IOException {
    Files.createDirectories(dir);
    Path copied = dir.resolve(frozen.getFileName());
    if (Files.isRegularFile(copied)) return copied;  // copied already, below a later layer (frozen files never change)
    java.util.Deque<Layer> toCopy = new java.util.ArrayDeque<>();
    // One file at a time: a layer whose backing file has its copy in dir already needs nothing below it here.
    Layer layer = layer(frozen);
    toCopy.push(layer);
    while (layer.backing() != null && !Files.exists(dir.resolve(layer.backing().getFileName()))) {
      layer = layer(layer.backing());
      toCopy.push(layer);
    }
    Path copy = null;
    while (!toCopy.isEmpty()) {
      copy = copyLayer(toCopy.pop(), dir);
    }
    return copy;
  }

  private static Path copyLayer(Layer layer, Path dir) throws IOException {
    Path copy = dir.resolve(layer.file().getFileName());
    // Two checkpoints of one guest may copy the same missing layer at once: each through its own partial file.
    Path partial = dir.resolve(layer.file().getFileName() + "." + UUID.randomUUID().toString().substring(0, 8)
        + ".partial");
    Files.copy(layer.file(), partial, StandardCopyOption.REPLACE_EXISTING);
    try {
      if (layer.backing() != null) {
        String format = layer.backingFormat() != null ? layer.backingFormat() : layer(layer.backing()).format();
        run(List.of("qemu-img", "rebase", "-q", "-u", "-f", layer.format(), "-F", format, "-b",
            layer.backing().getFileName().toString(), partial.toString()));
      }
      Files.move(partial, copy, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(partial);
    }
    return copy;
  }

  /** What collection would do under one top: the layers to merge away, and where they go. */
  record Plan(Layer oldestKept, Layer base, List<Layer> removable) {}

  /**
   * Plans the collection of a chain: every file below the oldest kept one goes, except the chain's bottom file,
   * into which they are merged (it is the disk's own volume). Null when there is nothing to remove.
   */
  static Plan plan(List<Layer> chain, Collection<Path> keep) throws IOException {
    Set<Path> kept = new HashSet<>();
    for (Path k : keep) {
      kept.add(k.toAbsolutePath().normalize());
    }
    int oldest = -1;
    for (int i = 0; i < chain.size(); i++) {
      if (kept.contains(chain.get(i).file().toAbsolutePath().normalize())) {
        oldest = i;
      }
    }
    if (oldest < 0) {
      return null;  // nothing kept in this chain: keep it whole rather than guess
    }
    List<Layer> below = chain.subList(oldest + 1, chain.size());
    if (below.size() < 2) {
      return null;
    }
    return new Plan(chain.get(oldest), below.get(below.size() - 1), List.copyOf(below.subList(0, below.size() - 1)));
  }

  /**
   * Collects a chain no QEMU has open (a copy on stable storage, or the disks of a stopped VM): the files below the
   * oldest of {@code keep} are merged into the bottom file ({@code qemu-img commit}) and deleted, and the oldest kept
   * file is rebased onto the bottom file ({@code -u}: its content is unchanged). The kept checkpoints' chains read
   * exactly as before. Returns the deleted files.
   */
  public static List<Path> collect(Path top, Collection<Path> keep) throws IOException {
    Plan plan = plan(chain(top), keep);
    if (plan == null) {
      return List.of();
    }
    Layer newest = plan.removable().get(0);
    run(List.of("qemu-img", "commit", "-q", "-f", newest.format(), "-b", plan.base().file().toString(),
        newest.file().toString()));
    run(List.of("qemu-img", "rebase", "-q", "-u", "-f", plan.oldestKept().format(), "-F", plan.base().format(), "-b",
        relativeName(plan.oldestKept().file(), plan.base().file()), plan.oldestKept().file().toString()));
    List<Path> removed = new ArrayList<>();
    for (Layer layer : plan.removable()) {
      Files.deleteIfExists(layer.file());
      removed.add(layer.file());
    }
    return removed;
  }

  static String run(List<String> command) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out;
    try {
      out = process.getInputStream().readAllBytes();
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    }
    String text = new String(out, StandardCharsets.UTF_8);
    if (process.exitValue() != 0) {
      throw new IOException(command.get(0) + " " + command.get(1) + " failed: " + text.trim());
    }
    return text;
  }
}

package org.vmqsc.agent.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongConsumer;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.CheckpointStore;
import org.vmqsc.agent.store.ChunkCodec;
import org.vmqsc.agent.store.ChunkGuard;
import org.vmqsc.agent.store.ChunkHasher;
import org.vmqsc.agent.store.ChunkWriter;
import org.vmqsc.agent.store.ChunkRef;
import org.vmqsc.agent.store.CorruptChunkException;
import org.vmqsc.agent.store.Manifest;
import org.vmqsc.agent.store.MissingChunkException;
import org.vmqsc.agent.store.SafeFiles;
import org.vmqsc.agent.store.StoreFullException;

/**
 * Turns a memory image into a checkpoint (chunks + manifest) and back.
 *
 * <p>Storing: cut the image into chunks, skip chunks of zeros, hash the rest, and write only chunks the store does
 * not already hold (so a VM's second checkpoint stores what changed since its first), compressed. The manifest is
 * written last; until then the checkpoint does not exist.
 *
 * <p>Restoring: every chunk is read, decompressed and hash-checked before its bytes are written out, and the
 * reassembled image appears under its final name only once every chunk passed.
 */
public final class CheckpointEngine {

  private static final int READ_BUFFER_BYTES = 4 << 20;

  private final CheckpointStore store;
  private final Chunker chunker;

  public CheckpointEngine(CheckpointStore store, Chunker chunker) {
    this.store = store;
    this.chunker = chunker;
  }

  public CheckpointStore store() {
    return store;
  }

  public Chunker chunker() {
    return chunker;
  }

  /**
   * Stores one checkpoint from a memory image stream.
   *
   * @throws CheckpointFailedException when the image cannot be read or the store cannot take it (a full disk);
   *     the store then holds no manifest for {@code key} and nothing this attempt added
   */
  public CheckpointStats store(CheckpointKey key, InputStream image, Map<String, String> attributes)
      throws IOException {
    if (store.manifest(key).isPresent()) {
      throw new IllegalArgumentException("checkpoint " + key + " already exists in " + store.describe());
    }
    try (ChunkGuard.Lease lease = store.guard().open(); ChunkWriter writer = store.openWriter()) {
      return storeChunks(key, image, attributes, lease, writer);
    } catch (IOException | RuntimeException e) {
      // Closing the writer without a commit has already thrown away every chunk this attempt added.
      String reason = e instanceof StoreFullException ? e.getMessage() : e.toString();
      throw new CheckpointFailedException(key, reason, e);
    }
  }

  private CheckpointStats storeChunks(CheckpointKey key, InputStream image, Map<String, String> attributes,
      ChunkGuard.Lease lease, ChunkWriter writer) throws IOException {
    ChunkHasher hasher = new ChunkHasher();
    byte[] zeros = new byte[chunker.maxChunkBytes()];
    byte[] buffer = new byte[Math.max(READ_BUFFER_BYTES, 2 * chunker.maxChunkBytes())];
    List<ChunkRef> refs = new ArrayList<>();
    long imageBytes = 0;
    long zeroBytes = 0;
    long dedupBytes = 0;
    long newRawBytes = 0;
    long storedBytes = 0;
    int newChunks = 0;
    int start = 0;
    int end = 0;
    boolean endOfImage = false;
    while (true) {
      if (!endOfImage && end - start < chunker.maxChunkBytes()) {
        System.arraycopy(buffer, start, buffer, 0, end - start);
        end -= start;
        start = 0;
        while (end < buffer.length) {
          int n = image.read(buffer, end, buffer.length - end);
          if (n < 0) {
            endOfImage = true;
            break;
          }
          end += n;
        }
      }
      if (start == end) {
        break;
      }
      int length = chunker.nextChunk(buffer, start, end - start, endOfImage);
      imageBytes += length;
      if (Arrays.mismatch(buffer, start, start + length, zeros, 0, length) < 0) {
        refs.add(ChunkRef.zeros(length));  // memory exclusion: zeros cost nothing but a manifest entry
        zeroBytes += length;
      } else {
        String hash = hasher.hash(buffer, start, length);
        refs.add(new ChunkRef(hash, length));
        lease.hold(hash);  // before the existence check: see ChunkGuard
        if (writer.has(hash)) {
          dedupBytes += length;
        } else {
          storedBytes += writer.put(hash, ChunkCodec.encode(buffer, start, length));
          newRawBytes += length;
          newChunks++;
        }
      }
      start += length;
    }
    Manifest manifest = new Manifest(Manifest.FORMAT, key.vmId(), key.checkpointId(), System.currentTimeMillis(),
        imageBytes, chunker.name(), attributes, refs);
    writer.commit();  // the chunks must be durable before a manifest names them
    long manifestBytes = store.putManifest(manifest);
    return new CheckpointStats(imageBytes, zeroBytes, dedupBytes, newRawBytes, refs.size(), newChunks,
        storedBytes + manifestBytes, manifestBytes);
  }

  /**
   * Reassembles a checkpoint from {@code source} into {@code target}, checking every chunk first. {@code target}
   * exists only if all of it was verified.
   *
   * @throws RestoreRefusedException naming the checkpoint and the bad chunk when anything does not verify
   */
  public static Manifest restoreToFile(CheckpointKey key, CheckpointStore source, Path target, LongConsumer progress)
      throws IOException {
    Path temp = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + SafeFiles.TEMP_SUFFIX);
    try {
      Manifest manifest;
      try (OutputStream out = Files.newOutputStream(SafeFiles.createOwnerOnlyFile(temp))) {
        manifest = restore(key, source, out, progress);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return manifest;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Streams a verified checkpoint into {@code out}; each chunk is checked before any of its bytes are written. */
  public static Manifest restore(CheckpointKey key, CheckpointStore source, OutputStream out, LongConsumer progress)
      throws IOException {
    Manifest manifest;
    try {
      manifest = source.manifest(key).orElseThrow(() -> new RestoreRefusedException(key, null,
          "no manifest in " + source.describe(), null));
    } catch (RestoreRefusedException e) {
      throw e;
    } catch (IOException e) {
      throw new RestoreRefusedException(key, null, e.getMessage(), e);
    }
    ChunkHasher hasher = new ChunkHasher();
    byte[] zeros = new byte[0];
    long done = 0;
    List<ChunkRef> chunks = manifest.chunks();
    for (int index = 0; index < chunks.size(); index++) {
      ChunkRef ref = chunks.get(index);
      if (ref.isZero()) {
        if (zeros.length < ref.length()) {
          zeros = new byte[ref.length()];
        }
        out.write(zeros, 0, ref.length());
      } else {
        byte[] raw;
        try {
          raw = ChunkCodec.decode(source.readChunk(ref.hash()), ref.hash(), ref.length(), hasher);
        } catch (MissingChunkException | CorruptChunkException e) {
          throw new RestoreRefusedException(key, ref.hash(),
              e.getMessage() + " (chunk #" + index + " at image offset " + done + ")", e);
        }
        out.write(raw);
      }
      done += ref.length();
      if (progress != null) {
        progress.accept(done);
      }
    }
    return manifest;
  }
}

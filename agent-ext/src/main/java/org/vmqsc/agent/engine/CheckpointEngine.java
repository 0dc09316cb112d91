package org.vmqsc.agent.engine;

import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.CheckpointStore;
import org.vmqsc.agent.store.ChunkCodec;
import org.vmqsc.agent.store.ChunkGuard;
import org.vmqsc.agent.store.ChunkHasher;
import org.vmqsc.agent.store.ChunkReader;
import org.vmqsc.agent.store.ChunkWriter;
import org.vmqsc.agent.store.ChunkRef;
import org.vmqsc.agent.store.CorruptChunkException;
import org.vmqsc.agent.store.Manifest;
import org.vmqsc.agent.store.MissingChunkException;
import org.vmqsc.agent.store.SafeFiles;
import org.vmqsc.agent.store.StagingKeys;
import org.vmqsc.agent.store.StoreFullException;

/**
 * Turns a memory image into a checkpoint (chunks + manifest) and back.
 *
 * <p>Storing: cut the image into chunks, skip chunks of zeros, fingerprint the rest (XXH3-128). A chunk whose
 * fingerprint and length this VM's previous checkpoint had keeps that chunk's name without being hashed again.
 * In the host's own staging store every other chunk is named by its {@link StagingKeys staging key} (the VM's
 * namespace and its fingerprint) and SHA-256-hashed only when the flush copies it to stable storage; elsewhere, or
 * with {@code -Dvmqsc.stagingKeys=false}, it is SHA-256-hashed now. Either way it is compressed and written unless
 * the store already holds it. The manifest is written last; until then the checkpoint does not exist.
 *
 * <p>Restoring: every chunk is read, decompressed and checked before its bytes are written out (on up to four
 * threads, see {@link ParallelVerifier}: against its SHA-256 name, or its fingerprint on a store only this host
 * writes), and the reassembled image appears under its final name only once every chunk passed.
 */
public final class CheckpointEngine {

  private static final int READ_BUFFER_BYTES = 4 << 20;
  /**
   * What is read of an image at a time and cut before the next is read: well within a core's second-level cache
   * (256 KiB to 2 MiB on current x86 servers), so the bytes are cut while they are still there.
   */
  public static final int PIECE_BYTES = 256 << 10;
  /**
   * Threads that read and check chunks during a restore, while the guest waits (fewer on a smaller host); the
   * system property {@code vmqsc.restoreThreads} sets another number (benchmarks compare one with several).
   */
  static final int MAX_RESTORE_THREADS = Math.max(1, Integer.getInteger("vmqsc.restoreThreads", 4));

  /**
   * One reused chunk in this many, picked at random, is SHA-256-hashed anyway and must match the name the index
   * gave it: a fingerprint index that does not describe the bytes (a bug, a damaged manifest that still parsed, a
   * crafted XXH3 collision) is noticed and the VM falls back to hashing everything, at about 3 % more hashing.
   */
  static final int AUDIT_ONE_IN = 32;
  private static final SecureRandom AUDIT_SEEDS = new SecureRandom();

  /**
   * How often a reused chunk's stored copy is read back at least: once every this many of its VM's checkpoints (1:
   * at every reuse). The system property {@code vmqsc.readBackEvery} sets another number, from 1 to 126 (one outside
   * is taken as the nearest). See {@link StoredCopies}.
   */
  public static final int READ_BACK_EVERY =
      Math.min(FingerprintIndex.NEVER_CHECKED - 1, Math.max(1, Integer.getInteger("vmqsc.readBackEvery", 4)));
  /**
   * The image is read back in turns by regions of this size: a checkpoint reads back the reused copies of every
   * {@code readBackEvery}-th region, the next checkpoint those of the regions after them. A region's copies mostly
   * lie one after the other in a pack, so the regions not due are not read at all (rotating by chunk instead read
   * every pack window all the same, and saved nothing).
   */
  static final long READ_BACK_REGION_BYTES = 8 << 20;

  private final CheckpointStore store;
  private final ChunkerChoice chunkers;
  private final Fingerprinter fingerprinter;
  /** Per VM, never shared across VMs: a guest that crafts fingerprint collisions can only touch its own checkpoints. */
  private final Map<String, FingerprintIndex> knownChunks = new ConcurrentHashMap<>();
  private final Set<String> untrusted = ConcurrentHashMap.newKeySet();
  /** Blocks of images that checkpoints read and gave back, as many as were in use at once at most. */
  private final Queue<byte[]> spareBlocks = new ConcurrentLinkedQueue<>();
  /** Whether checkpoints cut their images on a thread of their own: forced on or off, or null to decide each time. */
  private volatile Boolean cutAhead = cutAheadProperty();
  /** Whether the host has a core idle right now, asked where the engine decides for itself; tests substitute. */
  private volatile BooleanSupplier idleCore = IdleCores::oneBesidesMine;
  private volatile int blockBytes = READ_BUFFER_BYTES;
  private volatile int readBackEvery = READ_BACK_EVERY;
  private volatile long readBackRegionBytes = READ_BACK_REGION_BYTES;
  /** Whether new chunks are named by staging key in a store only this host writes ({@link StagingKeys#enabled}). */
  private volatile boolean stagingKeys = StagingKeys.enabled();
  /** A staging key holds the chunk's fingerprint, which restores and the flush check as XXH3-128. */
  private final boolean fingerprintsAreXxh3;

  /** Cuts every image with {@code chunker}. */
  public CheckpointEngine(CheckpointStore store, Chunker chunker) {
    this(store, ChunkerChoice.always(chunker), Fingerprinter.xxh3(), true);
  }

  /** Cuts each image with the chunker {@code chunkers} picks for it (see {@link ChunkerChoice}). */
  public CheckpointEngine(CheckpointStore store, ChunkerChoice chunkers) {
    this(store, chunkers, Fingerprinter.xxh3(), true);
  }

  /**
   * With another fingerprint function: tests use a colliding one. Its fingerprints are not the XXH3-128 that a
   * restore and the flush check, so this engine names every new chunk by SHA-256, never by staging key.
   */
  CheckpointEngine(CheckpointStore store, Chunker chunker, Fingerprinter fingerprinter) {
    this(store, ChunkerChoice.always(chunker), fingerprinter, false);
  }

  /**
   * With another fingerprint function, and {@code xxh3} telling whether it stands for the XXH3-128 that staging keys
   * hold: tests pass a colliding one as if it were, to show what a crafted XXH3 collision does to staged chunks.
   */
  CheckpointEngine(CheckpointStore store, ChunkerChoice chunkers, Fingerprinter fingerprinter, boolean xxh3) {
    this.store = store;
    this.chunkers = chunkers;
    this.fingerprinter = fingerprinter;
    this.fingerprintsAreXxh3 = xxh3;
  }

  public CheckpointStore store() {
    return store;
  }

  /**
   * Whether this engine names new chunks by staging key in a store only this host writes (by default as
   * {@link StagingKeys#enabled} says); chunks named either way before stay as they are.
   */
  public CheckpointEngine stagingKeys(boolean on) {
    this.stagingKeys = on;
    return this;
  }

  /**
   * Whether checkpoints cut their images (read, find the cuts, fingerprint) on a thread of their own, ahead of the
   * thread that stores the chunks: on, off, or null to decide per checkpoint (when the host has a core idle right
   * now, except for an incremental that will mostly reuse chunks; the system property {@code vmqsc.cutAhead},
   * {@code true} or {@code false}, sets it at start). The checkpoint is the same either way.
   */
  public CheckpointEngine cutAhead(Boolean on) {
    this.cutAhead = on;
    return this;
  }

  /**
   * Reads a reused chunk's stored copy back at least once every {@code checkpoints} checkpoints of its VM (1: at every
   * reuse); 4 unless the system property {@code vmqsc.readBackEvery} says otherwise.
   */
  public CheckpointEngine readBackEvery(int checkpoints) {
    if (checkpoints < 1 || checkpoints >= FingerprintIndex.NEVER_CHECKED) {
      throw new IllegalArgumentException("readBackEvery must be 1 to " + (FingerprintIndex.NEVER_CHECKED - 1)
          + " checkpoints, not " + checkpoints);
    }
    this.readBackEvery = checkpoints;
    return this;
  }

  public int readBackEvery() {
    return readBackEvery;
  }

  /** What the engine's own choice takes for "a core is idle right now": tests fix it. */
  CheckpointEngine idleCore(BooleanSupplier idle) {
    this.idleCore = idle;
    return this;
  }

  /** Regions of {@code bytes} read back in turns: tests give small images many regions. */
  CheckpointEngine readBackRegionBytes(long bytes) {
    this.readBackRegionBytes = bytes;
    return this;
  }

  /** Blocks of at least {@code bytes} (the chunker may need more): tests cut small images into many blocks. */
  CheckpointEngine blockBytes(int bytes) {
    this.blockBytes = bytes;
    return this;
  }

  private static Boolean cutAheadProperty() {
    String value = System.getProperty("vmqsc.cutAhead", "auto");
    return value.equals("auto") ? null : Boolean.valueOf(value);
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
    FingerprintIndex previous = knownChunks.get(key.vmId());  // only a size hint: read again below
    // A first checkpoint of an image whose size the stream tells (a file) sizes its sets for page-sized chunks:
    // growing them from 16 by doubling cost a tenth of the checkpoint's CPU time.
    int expectedChunks = previous != null ? previous.size()
        : (int) Math.max(16, Math.min(1 << 22, available(image) / 4096));
    try (ChunkGuard.Lease lease = store.guard().open(expectedChunks); ChunkWriter writer = store.openWriter();
        StoredCopies storedCopies = new StoredCopies(key.vmId())) {
      return storeChunks(key, image, attributes, lease, writer, storedCopies, expectedChunks);
    } catch (IOException | RuntimeException e) {
      // Closing the writer without a commit has already thrown away every chunk this attempt added.
      String reason = e instanceof StoreFullException ? e.getMessage() : e.toString();
      throw new CheckpointFailedException(key, reason, e);
    }
  }

  /** What the stream says it holds (a file: its size), or 0 if it cannot tell. */
  private static long available(InputStream image) {
    try {
      return image.available();
    } catch (IOException e) {
      return 0;
    }
  }

  private CheckpointStats storeChunks(CheckpointKey key, InputStream image, Map<String, String> attributes,
      ChunkGuard.Lease lease, ChunkWriter writer, StoredCopies storedCopies, int expectedChunks) throws IOException {
    byte[] head = new byte[ChunkerChoice.HEAD_BYTES];
    int headLength = image.readNBytes(head, 0, head.length);
    Chunker chunker = chunkers.forImage(head, headLength);
    image = new SequenceInputStream(new ByteArrayInputStream(head, 0, headLength), image);
    FingerprintIndex known = knownChunks(key.vmId());
    ImageBlocks blocks = new ImageBlocks(spareBlocks, ImageCutter.blockBytes(chunker, blockBytes));
    ImageCutter cutter = new ImageCutter(image, chunker, known, fingerprinter, blocks);
    ChunkStorer storer =
        new ChunkStorer(key, chunker, lease, writer, storedCopies, expectedChunks, known.sequence() + 1);
    CuttingAhead.BlockStore storeThenGiveBack = cuts -> {
      storer.store(cuts);
      blocks.giveBack(cuts.bytes);
    };
    // An incremental: the VM's previous checkpoint here, cut by the same chunker, predicts this image's chunks.
    boolean incremental = known.size() > 0 && known.chunker().equals(chunker.name());
    boolean ahead = cutsAhead(incremental && !known.storedMostlyAnew());
    if (ahead) {
      CuttingAhead.run(cutter, storeThenGiveBack);
    } else {
      CutBlock cuts;
      while ((cuts = cutter.next()) != null) {
        storeThenGiveBack.store(cuts);
      }
    }
    return storer.finish(attributes, ahead, incremental);
  }

  /**
   * Whether this checkpoint cuts its image on a thread of its own ahead of the thread that stores the chunks: when
   * forced by {@link #cutAhead}; else, unless it is {@code mostlyReused} (an incremental after one that stored less
   * than half its image anew), when the host has a core nothing runs on right now ({@link IdleCores}).
   *
   * <p>Such an incremental stays on one thread: its storer mostly reuses chunks, and there a second thread cost 12-50 %
   * more CPU time for 0.7 of the wall time, while on the agent's own path the engine already waits for QEMU's stream
   * about half the time (agent-ext README, "When").
   */
  private boolean cutsAhead(boolean mostlyReused) {
    Boolean forced = cutAhead;
    if (forced != null) {
      return forced;
    }
    return !mostlyReused && idleCore.getAsBoolean();
  }

  /**
   * Stores the chunks {@link ImageCutter} cut, in image order: reuses those the previous checkpoint had (after
   * checking their stored copies), names and writes the others, and builds the manifest and the next index.
   */
  private final class ChunkStorer {
    private final CheckpointKey key;
    private final Chunker chunker;
    private final ChunkGuard.Lease lease;
    private final ChunkWriter writer;
    private final StoredCopies storedCopies;
    private final String vmPrefix;
    private final boolean stageByKey;
    private final FingerprintIndex next;
    private final List<ChunkRef> refs;
    private final SplittableRandom auditDraw = new SplittableRandom(AUDIT_SEEDS.nextLong());
    /**
     * In turns only in a store this host alone writes: elsewhere a copy's checksum vouches for bytes another host
     * wrote, so every reuse compares it with the memory, as before (agent-ext README, "Reuse reads back").
     */
    private final int readBackEvery = store.writtenOnlyByThisHost() ? CheckpointEngine.this.readBackEvery : 1;
    private final long readBackRegionBytes = CheckpointEngine.this.readBackRegionBytes;
    private final long sequence;
    private final long[] fingerprint = new long[2];
    private final ChunkHasher hasher = new ChunkHasher();
    private final byte[] encoded;
    private long imageBytes;
    private long zeroBytes;
    private long dedupBytes;
    private long newRawBytes;
    private long storedBytes;
    private long sha256Bytes;
    private long stagedBytes;
    private int newChunks;

    ChunkStorer(CheckpointKey key, Chunker chunker, ChunkGuard.Lease lease, ChunkWriter writer,
        StoredCopies storedCopies, int expectedChunks, long sequence) {
      this.key = key;
      this.sequence = sequence;
      this.chunker = chunker;
      this.lease = lease;
      this.writer = writer;
      this.storedCopies = storedCopies;
      // New chunks are named by staging key only in a store no other host writes, and not for a VM whose
      // fingerprints failed an audit (its chunks are all SHA-256-hashed then).
      this.vmPrefix = StagingKeys.prefix(key.vmId());
      this.stageByKey = stagingKeys && fingerprintsAreXxh3 && store.writtenOnlyByThisHost()
          && !untrusted.contains(key.vmId());
      this.next = new FingerprintIndex(chunker.name(), expectedChunks, sequence);
      this.refs = new ArrayList<>(expectedChunks + expectedChunks / 8);
      this.encoded = new byte[ChunkCodec.maxEncodedLength(chunker.maxChunkBytes())];
    }

    void store(CutBlock cuts) throws IOException {
      byte[] buffer = cuts.bytes;
      for (int i = 0; i < cuts.count(); i++) {
        int start = cuts.start(i);
        int length = cuts.length(i);
        imageBytes += length;
        if (cuts.isZero(i)) {
          refs.add(ChunkRef.zeros(length));  // memory exclusion: zeros cost nothing but a manifest entry
          next.addZero(length);
          zeroBytes += length;
          continue;
        }
        fingerprint[0] = cuts.fingerprintLow(i);
        fingerprint[1] = cuts.fingerprintHigh(i);
        storeChunk(buffer, start, length, cuts.knownRef(i), cuts.knownUnchecked(i));
      }
    }

    /**
     * One chunk that is not zeros; {@code knownRef} is the previous checkpoint's entry for it, if it had it, and
     * {@code unchecked} how many checkpoints have reused that entry's stored copy unread.
     */
    private void storeChunk(byte[] buffer, int start, int length, ChunkRef knownRef, int unchecked)
        throws IOException {
      String hash = null;
      boolean staged = false;  // whether hash is a staging key rather than a SHA-256
      boolean readBack = false;
      if (knownRef != null) {
        hash = knownRef.hash();
        staged = knownRef.staged();
      }
      if (hash != null) {
        boolean compare = staged && auditDraw.nextInt(AUDIT_ONE_IN) == 0;
        readBack = compare || readBackDue(unchecked, imageBytes - length);
        lease.hold(hash);  // before the existence check: see ChunkGuard
        if (!writer.has(hash)) {
          hash = null;  // collected since the previous checkpoint: name and store it afresh
        } else if (staged && !store.hasChunk(hash)) {
          hash = null;  // this checkpoint stored it again already, from other bytes of this fingerprint: see below
        } else if (readBack && !storedCopies.intact(hash, staged, compare, buffer, start, length, hasher,
            fingerprint)) {
          hash = null;  // damaged in the store, now dropped: name and store it afresh
        } else if (staged) {
          // The audit of a chunk named by staging key: the name must be this VM's key for the fingerprint (its
          // stored bytes are those written for that fingerprint, and one in AUDIT_ONE_IN was compared above).
          if (!StagingKeys.isKey(hash, vmPrefix, fingerprint[0], fingerprint[1])) {
            untrusted.add(key.vmId());
            throw new IOException("chunk at image offset " + (imageBytes - length) + " has the fingerprint "
                + FingerprintIndex.toHex(fingerprint[0], fingerprint[1]) + " but the index names it " + hash
                + ", not this VM's staging key for it; this VM's checkpoints now SHA-256-hash every chunk");
          }
        } else if (auditDraw.nextInt(AUDIT_ONE_IN) == 0) {
          sha256Bytes += length;
          String actual = hasher.hash(buffer, start, length);
          if (!actual.equals(hash)) {
            untrusted.add(key.vmId());
            throw new IOException("chunk at image offset " + (imageBytes - length) + " has the fingerprint of chunk "
                + hash + " but hashes to " + actual + "; this VM's checkpoints now SHA-256-hash every chunk");
          }
        }
      }
      if (hash != null) {
        dedupBytes += length;  // this VM's previous checkpoint had these bytes: no SHA-256, no write
        refs.add(knownRef);  // the same entry again: nothing to allocate for an unchanged chunk
        next.add(fingerprint[0], fingerprint[1], knownRef, readBack ? 0 : unchecked + 1);
        return;
      }
      // A new chunk, or one the previous checkpoint did not have under this fingerprint
      String fingerprintHex = FingerprintIndex.toHex(fingerprint[0], fingerprint[1]);
      staged = false;
      if (stageByKey) {
        // Named by this VM's staging key: no SHA-256 now, the flush computes it. A key this checkpoint already
        // wrote (the same fingerprint earlier in this image) cannot be read back before the commit, so such a
        // chunk is named by SHA-256 instead: equal bytes are then stored twice, other bytes never share a name.
        String stagingKey = StagingKeys.key(vmPrefix, fingerprintHex);
        lease.hold(stagingKey);
        boolean reused = false;
        if (!writer.has(stagingKey)) {
          hash = stagingKey;
        } else if (store.hasChunk(stagingKey)) {  // from an earlier checkpoint of this VM: compared, not trusted
          hash = stagingKey;
          if (storedCopies.intact(stagingKey, true, true, buffer, start, length, hasher, fingerprint)) {
            dedupBytes += length;
            reused = true;
          }
        }
        if (hash != null) {
          staged = true;
          if (!reused) {
            int encodedLength = ChunkCodec.encode(buffer, start, length, encoded);
            storedBytes += writer.put(hash, encoded, 0, encodedLength);
            newRawBytes += length;
            stagedBytes += length;
            newChunks++;
          }
        }
      }
      if (hash == null) {
        hash = hasher.hash(buffer, start, length);
        sha256Bytes += length;
        lease.hold(hash);
        if (writer.has(hash) && storedCopies.intact(hash, false, false, buffer, start, length, hasher, fingerprint)) {
          dedupBytes += length;
        } else {
          int encodedLength = ChunkCodec.encode(buffer, start, length, encoded);
          storedBytes += writer.put(hash, encoded, 0, encodedLength);
          newRawBytes += length;
          newChunks++;
        }
      }
      ChunkRef ref = staged ? ChunkRef.staged(hash, length, fingerprintHex) : new ChunkRef(hash, length, fingerprintHex);
      refs.add(ref);
      next.add(fingerprint[0], fingerprint[1], ref, 0);  // written now, or its copy read back (or just hashed)
    }

    /**
     * Whether the stored copy of a reused chunk at {@code offset} in the image is read back in this checkpoint: when
     * its region's turn has come, and in any case when {@code unchecked} checkpoints in a row reused it unread and
     * one more would make {@code readBackEvery} (content that moved in the image can miss its regions' turns).
     */
    private boolean readBackDue(int unchecked, long offset) {
      return unchecked + 1 >= readBackEvery
          || Math.floorMod(offset / readBackRegionBytes + sequence, (long) readBackEvery) == 0;
    }

    /** {@code incremental}: whether the VM's previous checkpoint predicted this image's chunks. */
    CheckpointStats finish(Map<String, String> attributes, boolean cutAhead, boolean incremental) throws IOException {
      Manifest manifest = new Manifest(Manifest.FORMAT, key.vmId(), key.checkpointId(), System.currentTimeMillis(),
          imageBytes, chunker.name(), attributes, refs);
      writer.commit();  // the chunks must be durable before a manifest names them
      long manifestBytes = store.putManifest(manifest);
      // A first checkpoint stores everything anew, whatever the next will; an incremental's share tells.
      next.storedMostlyAnew(incremental && 2 * newRawBytes >= imageBytes);
      knownChunks.put(key.vmId(), next);  // only now: the index holds nothing a durable manifest does not
      return new CheckpointStats(imageBytes, zeroBytes, dedupBytes, newRawBytes, refs.size(), newChunks,
          storedBytes + manifestBytes, manifestBytes, sha256Bytes, stagedBytes, storedCopies.readBackNanos,
          storedCopies.readBackBytes, cutAhead);
    }
  }

  /**
   * Reads back the store's copies of the chunks one checkpoint reuses, through one reader kept open for the whole
   * checkpoint: a reused chunk's copy usually follows the one before it in a pack, so most reads are served from
   * the reader's read-ahead instead of opening the pack again per chunk, which cost more than the rest of an
   * unchanged chunk's work.
   */
  private final class StoredCopies implements AutoCloseable {
    private final String vmId;
    private final Set<String> verified;
    private final byte[] scratch = new byte[chunkers.maxChunkBytes()];
    private final long[] storedFingerprint = new long[2];
    private ChunkReader reader;
    /** Time spent reading back and comparing stored copies, for {@link CheckpointStats#readBackNanos}. */
    long readBackNanos;
    /** The image bytes whose stored copies were read back, for {@link CheckpointStats#readBackBytes}. */
    long readBackBytes;

    StoredCopies(String vmId) {
      this.vmId = vmId;
      this.verified = new HashSet<>();  // copies named by SHA-256 only: few once new chunks get staging keys
    }

    /**
     * Whether the store's copy of a chunk this checkpoint is about to reuse holds exactly {@code length} bytes
     * from {@code buffer}: a chunk damaged since it was written must not go on spreading into new checkpoints, which
     * would be reported complete and fail only at flush or restore. The caller asks in turns ({@link
     * #readBackEvery}): a copy reused unread was written or read back within that many of its VM's checkpoints, and
     * one damaged since is found by the time that count comes round. A damaged copy (one that no longer matches the
     * checksum written with it, or no longer hashes to its SHA-256 name, or, named by staging key ({@code
     * staged}), no longer has the fingerprint the key holds) is dropped from the store, and the caller writes the
     * chunk afresh. A chunk this checkpoint's writer added itself, or one named by SHA-256 it already checked, is
     * not read again.
     *
     * <p>Where the store keeps a checksum per copy, a copy that matches it is the bytes written under this name,
     * and that is all this checks unless {@code compare}: for a SHA-256 name those bytes are the chunk's (the name
     * was just computed from the memory, or the audit samples it), for a staging key they have the memory's
     * fingerprint, and only a crafted collision tells them apart, which the callers sample ({@code compare}: the
     * copy is decoded and compared with the memory). A copy without a checksum is always decoded and compared.
     *
     * @throws IOException when the stored copy is intact but holds other bytes (under a staging key, also bytes of
     *     another length that have the key's fingerprint: not damage, which would drop the copy earlier checkpoints
     *     name, but a collision): the fingerprint index does not describe this memory (see {@link #AUDIT_ONE_IN}),
     *     and this VM's checkpoints now hash every chunk
     */
    boolean intact(String hash, boolean staged, boolean compare, byte[] buffer, int start, int length,
        ChunkHasher hasher, long[] fingerprint) throws IOException {
      // A staging key names bytes of one fingerprint, which a guest can craft: checked every time it is read back. The
      // callers found a staged copy in the store just before; a copy named by SHA-256 may be one this checkpoint's
      // writer added, not in the store until the commit.
      if (!staged && (verified.contains(hash) || !store.hasChunk(hash))) {
        return true;
      }
      long started = System.nanoTime();
      readBackBytes += length;
      try {
        return readBack(hash, staged, compare, buffer, start, length, hasher, fingerprint);
      } finally {
        readBackNanos += System.nanoTime() - started;
      }
    }

    private boolean readBack(String hash, boolean staged, boolean compare, byte[] buffer, int start, int length,
        ChunkHasher hasher, long[] fingerprint) throws IOException {
      if (reader == null) {
        reader = store.openReader();
      }
      try {
        ChunkReader.Checksum checksum = reader.checksum(hash);
        if (checksum == ChunkReader.Checksum.DIFFERS) {
          store.dropDamagedChunk(hash);
          return false;
        }
        // A checksum vouches for the bytes as they were written; only in a store this host alone writes were they
        // written by this host, from the bytes the name stands for.
        if (checksum == ChunkReader.Checksum.MATCHES && !compare && store.writtenOnlyByThisHost()) {
          if (!staged) {
            verified.add(hash);
          }
          return true;
        }
        java.nio.ByteBuffer stored = reader.view(hash);
        if (ChunkCodec.holds(stored, hash, length, buffer, start, scratch)) {
          if (!staged) {  // a staged copy is checked every time (above), so remembering it would be wasted
            verified.add(hash);
          }
          return true;
        }
        if (staged) {  // damaged unless the stored bytes still have the fingerprint their key holds
          ChunkCodec.decodeLengthInto(stored, hash, length, scratch, 0);
          fingerprinter.fingerprint(scratch, 0, length, storedFingerprint);
          if (storedFingerprint[0] != fingerprint[0] || storedFingerprint[1] != fingerprint[1]) {
            throw new CorruptChunkException(hash, "content does not match the fingerprint its staging key holds");
          }
        } else {
          ChunkCodec.decodeInto(stored, hash, length, scratch, 0, hasher);  // throws if the stored copy is wrong
        }
      } catch (CorruptChunkException | MissingChunkException damaged) {
        // A copy of another length fails to decode at this one. Under a staging key that may be intact bytes of
        // the same fingerprint and another length, which earlier checkpoints name: dropping them would lose those.
        if (!(staged && damaged instanceof CorruptChunkException && intactOnItsOwn(hash))) {
          store.dropDamagedChunk(hash);
          return false;
        }
      }
      untrusted.add(vmId);
      throw new IOException("a chunk of the image has the fingerprint of chunk " + hash
          + " but other bytes; this VM's checkpoints now SHA-256-hash every chunk");
    }

    /**
     * Whether the stored copy under staging key {@code hash} decodes at its own length to bytes with the fingerprint
     * the key holds: then it is intact, and differs from the image's bytes only by a fingerprint collision.
     */
    private boolean intactOnItsOwn(String hash) throws IOException {
      byte[] raw;
      try {
        raw = ChunkCodec.decodeAnyLength(reader.read(hash), hash);
      } catch (CorruptChunkException | MissingChunkException damaged) {
        return false;
      }
      fingerprinter.fingerprint(raw, 0, raw.length, storedFingerprint);
      int at = hash.length() - 32;
      return storedFingerprint[0] == java.util.HexFormat.fromHexDigitsToLong(hash, at, at + 16)
          && storedFingerprint[1] == java.util.HexFormat.fromHexDigitsToLong(hash, at + 16, at + 32);
    }

    @Override public void close() throws IOException {
      if (reader != null) {
        reader.close();
      }
    }
  }

  /**
   * The VM's index of known chunks: kept in memory between checkpoints, rebuilt from the VM's newest manifest after
   * a restart. Empty for a VM whose fingerprints failed an audit, so its chunks are all SHA-256-hashed.
   */
  private FingerprintIndex knownChunks(String vmId) throws IOException {
    if (untrusted.contains(vmId)) {
      return FingerprintIndex.empty();
    }
    FingerprintIndex index = knownChunks.get(vmId);
    if (index == null) {
      index = newestManifest(vmId).map(FingerprintIndex::of).orElseGet(FingerprintIndex::empty);
      knownChunks.put(vmId, index);
    }
    return index;
  }

  /** The VM's most recently created checkpoint in this store; manifests that do not read back are passed over. */
  private Optional<Manifest> newestManifest(String vmId) throws IOException {
    Manifest newest = null;
    for (CheckpointKey key : store.checkpoints()) {
      if (!key.vmId().equals(vmId)) {
        continue;
      }
      Optional<Manifest> manifest;
      try {
        manifest = store.manifest(key);
      } catch (IOException damaged) {
        continue;  // it only costs this VM's next checkpoint some hashing
      }
      if (manifest.isPresent() && (newest == null || manifest.get().createdAtMillis() > newest.createdAtMillis())) {
        newest = manifest.get();
      }
    }
    return Optional.ofNullable(newest);
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
      try (SparseFileSink sink = new SparseFileSink(SafeFiles.createOwnerOnlyFile(temp))) {
        manifest = restore(key, source, sink, progress);
        sink.finish();
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
    return restore(key, source, ImageSink.of(out), progress);
  }

  private static Manifest restore(CheckpointKey key, CheckpointStore source, ImageSink out, LongConsumer progress)
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
    List<ChunkRef> chunks = manifest.chunks();
    int threads = Math.min(MAX_RESTORE_THREADS, Runtime.getRuntime().availableProcessors());
    long done = 0;
    try (ParallelVerifier verifier = new ParallelVerifier(key, source, chunks, threads)) {
      for (ParallelVerifier.Batch batch = verifier.next(); batch != null; batch = verifier.next()) {
        int at = 0;
        for (int index = batch.firstChunk(); index < batch.endChunk(); index++) {
          ChunkRef ref = chunks.get(index);
          if (ref.isZero()) {
            out.zeros(ref.length());
          } else {
            out.write(batch.bytes(), at, ref.length());
            at += ref.length();
          }
          done += ref.length();
          if (progress != null) {
            progress.accept(done);
          }
        }
      }
    }
    return manifest;
  }
}

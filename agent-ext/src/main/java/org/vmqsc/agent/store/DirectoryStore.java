package org.vmqsc.agent.store;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A checkpoint store in a local directory (the host's staging area) or on a mounted share (secondary storage).
 *
 * <pre>
 *   root/packs/&lt;uuid&gt;.pack     chunks, appended: [32-byte SHA-256][4-byte length][encoded chunk] ...
 *   root/manifests/vm-7/ck-42   one file per checkpoint
 *   root/damaged/&lt;pack&gt;@&lt;offset&gt;   chunks found damaged, never indexed again
 *   root/fossils/&lt;pack&gt;.&lt;millis&gt;.fossil   (shared store) packs a sweep moved aside, see {@link SharedStoreSweeper}
 * </pre>
 *
 * <p>Chunks go into pack files rather than one file each: a checkpoint adds thousands of chunks, and a file plus an
 * fsync per chunk costs far more than hashing and compressing them. A {@link ChunkWriter} appends to its own
 * temporary pack (rolled over every {@value #PACK_LIMIT_BYTES} bytes), fsyncs and renames it on commit; a crash
 * before that leaves only temporary files, which opening the store removes.
 *
 * <p>The pack files are the index: opening a store reads their record headers and rebuilds the in-memory map from
 * hash to location. A {@link Sharing#HOST_PRIVATE} store (the host's staging area) also deletes, when it opens,
 * chunks that no manifest names (a crash between a pack's commit and its manifest). A {@link Sharing#SHARED} store
 * cannot tell another host's checkpoint in progress from debris, so it leaves that to {@link SharedStoreSweeper},
 * looks for packs other hosts added when asked for a chunk it does not know, and forgets packs another host's sweep
 * moved away (a read that finds its pack gone looks again, among the new packs and then among the fossils).
 */
public final class DirectoryStore implements CheckpointStore {

  public static final long UNLIMITED = Long.MAX_VALUE;
  static final long PACK_LIMIT_BYTES = 256L << 20;
  /** A writer's records are written to its pack in batches of this many bytes. */
  private static final int WRITE_BUFFER_BYTES = 256 << 10;
  private static final String PACK_SUFFIX = PackFile.SUFFIX;
  private static final HexFormat HEX = HexFormat.of();
  /** Packs whose live chunks fill less than this share are rewritten by the collector. */
  private static final double REPACK_BELOW = 0.5;

  /** Who writes the store; decides what opening it cleans up. */
  public enum Sharing { HOST_PRIVATE, SHARED }

  /** What opening the store found and cleaned up. */
  public record OpenReport(int partialFilesRemoved, int unreferencedChunksRemoved, int chunks, int manifests,
      List<String> problems) {}

  private final String name;
  private final Path root;
  private final Path packDir;
  private final Path manifestDir;
  /** Packs a sweep moved aside (shared store only): deleted a grace period later unless a manifest names them. */
  private final Path fossilDir;
  /** One empty file per damaged record, named {@code <pack file>@<offset>}: never indexed again. */
  private final Path damagedDir;
  private final Set<String> damaged = ConcurrentHashMap.newKeySet();
  private final long capacityBytes;
  private final Sharing sharing;
  private final Map<String, ChunkLocation> index = new ConcurrentHashMap<>();
  /** Packs whose records are in the index, and the bytes each adds to {@link #usedBytes}. */
  private final Map<Path, Long> indexedPacks = new ConcurrentHashMap<>();
  private final AtomicLong usedBytes = new AtomicLong();
  private final ChunkGuard guard = new ChunkGuard();
  private final OpenReport openReport;
  /** Where a writer rolls over to a new pack: {@link #PACK_LIMIT_BYTES}, less in tests. */
  volatile long packLimitBytes = PACK_LIMIT_BYTES;
  /** Wraps every pack channel a writer opens: as it is, except in tests that make its writes or fsyncs fail. */
  volatile java.util.function.UnaryOperator<FileChannel> packChannels = channel -> channel;

  private DirectoryStore(String name, Path root, long capacityBytes, Sharing sharing) throws IOException {
    this.name = name;
    this.sharing = sharing;
    this.root = SafeFiles.ownerOnlyDirectory(root);
    this.packDir = SafeFiles.ownerOnlyDirectory(root.resolve("packs"));
    this.manifestDir = SafeFiles.ownerOnlyDirectory(root.resolve("manifests"));
    this.damagedDir = SafeFiles.ownerOnlyDirectory(root.resolve("damaged"));
    this.fossilDir = sharing == Sharing.SHARED ? SafeFiles.ownerOnlyDirectory(root.resolve("fossils"))
        : root.resolve("fossils");
    this.capacityBytes = capacityBytes;
    this.openReport = recover();
  }

  /** Opens (or creates) a host-private store. */
  public static DirectoryStore open(String name, Path root) throws IOException {
    return new DirectoryStore(name, root, UNLIMITED, Sharing.HOST_PRIVATE);
  }

  /** Opens (or creates) a host-private store that may occupy at most {@code capacityBytes}. */
  public static DirectoryStore open(String name, Path root, long capacityBytes) throws IOException {
    return new DirectoryStore(name, root, capacityBytes, Sharing.HOST_PRIVATE);
  }

  /** Opens (or creates) a store that other hosts may write too. */
  public static DirectoryStore openShared(String name, Path root) throws IOException {
    return new DirectoryStore(name, root, UNLIMITED, Sharing.SHARED);
  }

  public OpenReport openReport() {
    return openReport;
  }

  public Path root() {
    return root;
  }

  Path packDir() {
    return packDir;
  }

  Path fossilDir() {
    return fossilDir;
  }

  /** True for a store other hosts write too. */
  public boolean isShared() {
    return sharing == Sharing.SHARED;
  }

  /** Where a committed chunk is stored: its pack (named by a random UUID, never reused) and offset there. */
  @Override public Optional<ChunkLocation> locate(String hash) {
    return Optional.ofNullable(index.get(hash));
  }

  @Override public String describe() {
    return name + " store " + root;
  }

  // ---------------------------------------------------------------------------------------------- opening

  private OpenReport recover() throws IOException {
    int partial = 0;
    int manifests = 0;
    List<String> problems = new ArrayList<>();
    List<Path> manifestFiles = new ArrayList<>();
    try (Stream<Path> marks = Files.list(damagedDir)) {
      marks.forEach(mark -> damaged.add(mark.getFileName().toString()));
    }
    {
      for (Path file : SafeFiles.regularFiles(root)) {
        if (file.getFileName().toString().endsWith(SafeFiles.TEMP_SUFFIX)) {
          // A write that never reached its rename; in a shared store, unless it is old, another host's write now.
          if (sharing == Sharing.SHARED && !SafeFiles.abandoned(file)) {
            continue;
          }
          Files.deleteIfExists(file);
          partial++;
        } else if (file.startsWith(manifestDir)) {
          manifestFiles.add(file);
        }
      }
    }
    problems.addAll(indexNewPacks());
    // A damaged record header files its chunk under another hash: the manifest's chunk is then missing, and the
    // misnamed one would look like garbage to the collector. Say so, and collect nothing. A shared store is not
    // scanned: it holds every host's checkpoints, so a host that starts would read them all (minutes, on a store
    // that has run for a while), and it collects nothing there; its checkpoints are verified chunk by chunk when
    // they are read back.
    for (Path file : sharing == Sharing.SHARED ? List.<Path>of() : manifestFiles) {
      Manifest manifest;
      try {
        byte[] bytes = Files.readAllBytes(file);
        manifests++;
        usedBytes.addAndGet(bytes.length);
        manifest = ManifestCodec.decode(bytes, manifestDir.relativize(file).toString());
      } catch (NoSuchFileException gone) {
        continue; // another host deleted it meanwhile (shared store)
      } catch (IOException e) {
        problems.add(e.getMessage());
        continue;
      }
      for (ChunkRef ref : manifest.chunks()) {
        if (!ref.isZero() && !index.containsKey(ref.hash())) {
          problems.add("checkpoint " + manifest.key() + " in " + describe() + " names chunk " + ref.hash()
              + ", which no pack holds (missing, or its record header is damaged)");
          break;
        }
      }
    }
    if (sharing == Sharing.HOST_PRIVATE) {
      forgetMarksOfDeletedPacks();
    }
    int unreferenced = 0;
    if (sharing == Sharing.HOST_PRIVATE && problems.isEmpty()) {
      unreferenced = GarbageCollector.collect(this).chunksDeleted();
    }
    if (sharing == Sharing.SHARED) manifests = manifestFiles.size();
    return new OpenReport(partial, unreferenced, index.size(), manifests, List.copyOf(problems));
  }

  /** Reads the record headers of packs not indexed yet; returns descriptions of damaged packs. */
  synchronized List<String> indexNewPacks() throws IOException {
    List<String> problems = new ArrayList<>();
    List<Path> packs;
    try (Stream<Path> list = Files.list(packDir)) {
      packs = list.filter(p -> p.getFileName().toString().endsWith(PACK_SUFFIX)).sorted().toList();
    }
    for (Path pack : packs) {
      if (indexedPacks.containsKey(pack)) {
        continue;
      }
      PackFile.Contents contents;
      try {
        contents = PackFile.read(pack);
      } catch (NoSuchFileException collected) {
        continue;  // removed by a collector meanwhile
      }
      if (contents.problem() != null) {
        problems.add("pack " + pack.getFileName() + " in " + describe() + " " + contents.problem());
        if (contents.problem().equals(PackFile.NOT_A_PACK)) {
          continue;  // not indexed, so looked at again next time
        }
      }
      for (PackFile.Record record : contents.records()) {
        if (!damaged.contains(mark(pack, record.offset()))) {
          index.putIfAbsent(record.hash(), record.location(pack));
        }
      }
      usedBytes.addAndGet(contents.size());
      indexedPacks.put(pack, contents.size());
    }
    return problems;
  }

  /**
   * Forgets a pack that vanished from {@code packs/} (in a shared store, another host's sweep moved it aside or
   * repacked it): its records leave the index, so that nothing dedups against them and a read looks again.
   */
  synchronized void forgetPack(Path pack) {
    Long size = indexedPacks.remove(pack);
    if (size != null) {
      usedBytes.addAndGet(-size);
    }
    index.values().removeIf(location -> location.pack().equals(pack));
  }

  /**
   * The rare path of a shared store, for a chunk the index lacks even after the new packs were read. First a live
   * pack whose entry for it was dropped with another pack that vanished (two hosts stored the same chunk); then a
   * fossil, a pack a sweep moved aside moments after a flush checked it still existed (see
   * {@link SharedStoreSweeper}): the chunk is read from there until the next sweep renames the pack back. A fossil
   * is never indexed, so that no writer dedups against it.
   */
  private ChunkLocation searchPacks(String hash) throws IOException {
    ChunkLocation live = search(packDir, PACK_SUFFIX, hash);
    if (live != null) {
      index.putIfAbsent(hash, live);
      return live;
    }
    return search(fossilDir, PackFile.FOSSIL_SUFFIX, hash);
  }

  private ChunkLocation search(Path dir, String suffix, String hash) throws IOException {
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
    } catch (NoSuchFileException none) {
      return null;
    }
    for (Path file : files) {
      try {
        for (PackFile.Record record : PackFile.read(file).records()) {
          if (record.hash().equals(hash) && !damaged.contains(PackFile.packName(file) + "@" + record.offset())) {
            return record.location(file);
          }
        }
      } catch (NoSuchFileException moved) {
        // renamed or deleted by a sweep meanwhile
      }
    }
    return null;
  }

  private static String mark(Path pack, long offset) {
    return pack.getFileName() + "@" + offset;
  }

  private void forgetMarksOfDeletedPacks() throws IOException {
    for (String mark : List.copyOf(damaged)) {
      if (!Files.exists(packDir.resolve(mark.substring(0, mark.lastIndexOf('@'))))) {
        Files.deleteIfExists(damagedDir.resolve(mark));
        damaged.remove(mark);
      }
    }
  }

  @Override public void dropDamagedChunk(String hash) throws IOException {
    ChunkLocation location = index.get(hash);
    if (location == null) {
      return;
    }
    String mark = mark(location.pack(), location.offset());
    if (!Files.exists(damagedDir.resolve(mark))) {
      SafeFiles.createOwnerOnlyFile(damagedDir.resolve(mark));
    }
    SafeFiles.syncDirectory(damagedDir);
    damaged.add(mark);
    index.remove(hash, location);
  }

  // ----------------------------------------------------------------------------------------------- chunks

  @Override public boolean hasChunk(String hash) {
    return index.containsKey(hash);
  }

  @Override public Set<String> chunkHashes() {
    return Collections.unmodifiableSet(Set.copyOf(index.keySet()));
  }

  @Override public ChunkWriter openWriter() {
    return new PackWriter(false, true);
  }

  /** A writer of packs without checksums, the format before them: for tests of how such packs are read. */
  ChunkWriter openUnchecksummedWriter() {
    return new PackWriter(false, false);
  }

  /**
   * A collector's writer: copies records as they are ({@link PackWriter#putRecord}) into packs of the format of
   * those it copies from, and points the index at the copies (see {@link #retainOnly}).
   */
  PackWriter openRelocatingWriter(boolean checksummed) {
    return new PackWriter(true, checksummed);
  }

  /**
   * The whole record (header and encoded bytes) at {@code location}, which must name {@code hash}: a collector
   * copying a pack's live records reads them where it found them, whatever the index says, and copies them as they
   * are, checksum included. A copy that rotted is copied with the checksum it no longer matches, so the damage is
   * still found at the next reuse; a copy given a fresh checksum would vouch for bytes nobody checked.
   */
  byte[] readRecord(String hash, ChunkLocation location) throws IOException {
    try (PackReader reader = new PackReader(false)) {
      ByteBuffer record = reader.record(location);
      int at = record.position();
      if (!PackReader.namesHash(record, at, hash) || record.getInt(at + 32) != location.length()) {
        throw new CorruptChunkException(hash, "its record header in pack " + location.pack().getFileName()
            + " is damaged");
      }
      byte[] whole = new byte[record.remaining()];
      record.get(whole);
      return whole;
    } catch (EOFException e) {
      throw new CorruptChunkException(hash, "truncated: its pack " + location.pack().getFileName()
          + " ends before the chunk does");
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>In a shared store, another host's sweep may have moved a pack the index points at: this checks that each
   * pack the index names for these chunks is still in {@code packs/} (one look per pack), forgets those that are
   * not, and reads the packs added since, before it answers.
   */
  @Override public Set<String> notStored(Collection<String> hashes) throws IOException {
    if (sharing == Sharing.HOST_PRIVATE) {
      return CheckpointStore.super.notStored(hashes);
    }
    Map<Path, Boolean> present = new HashMap<>();
    boolean lookAgain = false;
    for (String hash : hashes) {
      ChunkLocation location = index.get(hash);
      if (location == null) {
        lookAgain = true;
      } else if (!present.computeIfAbsent(location.pack(), Files::exists)) {
        lookAgain = true;
      }
    }
    present.forEach((pack, exists) -> {
      if (!exists) {
        forgetPack(pack);
      }
    });
    if (lookAgain) {
      indexNewPacks();
    }
    Set<String> missing = new LinkedHashSet<>();
    for (String hash : hashes) {
      if (!index.containsKey(hash)) {
        missing.add(hash);
      }
    }
    return missing;
  }

  @Override public byte[] readChunk(String hash) throws IOException {
    try (PackReader reader = new PackReader(false)) {
      return reader.read(hash);
    }
  }

  @Override public boolean writtenOnlyByThisHost() {
    return sharing == Sharing.HOST_PRIVATE;
  }

  @Override public ChunkReader openReader() {
    return new PackReader(true);
  }

  /**
   * Reads chunks with positional reads on pack files it keeps open: a restore reads thousands of chunks from a few
   * packs, and opening a pack per chunk cost more than decoding the chunk. A checkpoint's new chunks lie one after
   * the other in its packs, so while requests run on from where the last record ended, each read fetches twice as
   * much ahead as the one before (up to {@value #MAX_READ_AHEAD} bytes), and the records that follow are served
   * from memory; the first request elsewhere drops back to reading just the record.
   */
  private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();

  private final class PackReader implements ChunkReader {

    private static final int MAX_READ_AHEAD = 1 << 20;

    private final Map<Path, FileChannel> open = new HashMap<>();
    /** A reader of many chunks reads ahead into one direct buffer; a single read reads just its record. */
    private final boolean many;
    private ByteBuffer window;
    /**
     * What {@link #view} hands out: a duplicate of {@code window} made once per window ({@code viewOf}), not one per
     * chunk, whose allocation cost more than the chunk's read from the window.
     */
    private ByteBuffer view;
    private ByteBuffer viewOf;
    /** Where the chunk {@link #view} returned last lies. */
    private ChunkLocation viewed;
    private final CRC32C crc = new CRC32C();
    private Path windowPack;
    private long windowStart;  // pack offset of window[0]; the window holds window.limit() bytes
    private long lastRecordEnd = -1;
    private int readAhead;

    PackReader(boolean many) {
      this.many = many;
    }

    @Override public byte[] read(String hash) throws IOException {
      ByteBuffer view = view(hash);
      byte[] encoded = new byte[view.remaining()];
      view.get(encoded);
      return encoded;
    }

    @Override public ByteBuffer view(String hash) throws IOException {
      for (int attempt = 0; attempt < 5; attempt++) {
        ChunkLocation location = index.get(hash);
        if (location == null && !ChunkHasher.isValidHex(hash)) {  // the index holds well-formed names only
          throw new IllegalArgumentException("not a chunk hash: " + hash);
        }
        if (location == null && sharing == Sharing.SHARED) {
          indexNewPacks();  // another host may have added it
          location = index.get(hash);
          if (location == null) {
            location = searchPacks(hash);
          }
        }
        if (location == null) {
          throw new MissingChunkException(hash, describe());
        }
        ByteBuffer record;
        try {
          record = record(location);
        } catch (NoSuchFileException moved) {
          // The collector moved it to a new pack between lookup and open; in a shared store, another host's sweep
          // repacked it or moved its pack aside. Look it up again.
          if (sharing == Sharing.SHARED) {
            forgetPack(location.pack());
          }
          continue;
        } catch (EOFException e) {
          throw new CorruptChunkException(hash, "truncated: its pack " + location.pack().getFileName()
              + " ends before the chunk does");
        }
        int at = record.position();
        if (!namesHash(record, at, hash) || record.getInt(at + 32) != location.length()) {
          throw new CorruptChunkException(hash, "its record header in pack " + location.pack().getFileName()
              + " is damaged");
        }
        viewed = location;
        return record.position(at + PackFile.headerBytes(location.checksummed()));
      }
      throw new MissingChunkException(hash, describe());
    }

    @Override public Checksum checksum(String hash) throws IOException {
      ByteBuffer stored = view(hash);
      if (!viewed.checksummed()) {
        return Checksum.NONE;
      }
      int at = stored.position();
      int written = stored.getInt(at - 4);
      crc.reset();
      crc.update(stored);
      stored.position(at);
      return (int) crc.getValue() == written ? Checksum.MATCHES : Checksum.DIFFERS;
    }

    /** Whether the 32 bytes at {@code buffer[at]} are the SHA-256 {@code hash} (64 lower-case hex digits) names. */
    private static boolean namesHash(ByteBuffer buffer, int at, String hash) {
      int differ = 0;
      for (int i = 0; i < 32; i++) {
        int b = buffer.get(at + i);
        differ |= (hash.charAt(2 * i) ^ HEX_DIGITS[(b >>> 4) & 15]) | (hash.charAt(2 * i + 1) ^ HEX_DIGITS[b & 15]);
      }
      return differ == 0;
    }

    /** The record (header and encoded chunk) at {@code location}, from the window or read into it. */
    private ByteBuffer record(ChunkLocation location) throws IOException {
      int header = PackFile.headerBytes(location.checksummed());
      long start = location.offset() - header;
      int length = header + location.length();
      // The index gives every chunk of a pack the same Path: compare by identity first (Path.equals compares the
      // whole name, byte by byte, which cost a quarter of a restore of page-sized chunks).
      boolean inWindow = location.pack() == windowPack || location.pack().equals(windowPack);
      boolean runsOn = inWindow && start == lastRecordEnd;
      lastRecordEnd = start + length;
      if (!(inWindow && start >= windowStart
          && start + length <= windowStart + window.limit())) {
        readAhead = many && runsOn ? Math.min(MAX_READ_AHEAD, Math.max(64 << 10, 2 * readAhead)) : 0;
        fill(location.pack(), start, length);
      }
      int from = (int) (start - windowStart);
      if (viewOf != window) {
        view = window.duplicate();
        viewOf = window;
      }
      return view.clear().limit(from + length).position(from);
    }

    /** Reads at least {@code length} bytes from {@code start} of a pack, and up to {@link #readAhead} more. */
    private void fill(Path pack, long start, int length) throws IOException {
      windowPack = null;  // until the read has succeeded
      int want = length + readAhead;
      if (!many) {
        window = ByteBuffer.allocate(length);
      } else if (window == null || window.capacity() < want) {
        window = ByteBuffer.allocateDirect(Math.max(want, MAX_READ_AHEAD + PackFile.headerBytes(true) + (64 << 10)));
      }
      window.clear().limit(want);
      FileChannel channel = channel(pack);
      while (window.hasRemaining()) {
        int n = channel.read(window, start + window.position());
        if (n < 0) {
          break;  // the pack ends within the read-ahead, or (if before length) within the record
        }
      }
      if (window.position() < length) {
        throw new EOFException();
      }
      window.flip();
      windowPack = pack;
      windowStart = start;
    }

    private FileChannel channel(Path pack) throws IOException {
      FileChannel channel = open.get(pack);
      if (channel == null) {
        channel = FileChannel.open(pack, StandardOpenOption.READ);
        open.put(pack, channel);
      }
      return channel;
    }

    @Override public void close() throws IOException {
      IOException failed = null;
      for (FileChannel channel : open.values()) {
        try {
          channel.close();
        } catch (IOException e) {
          failed = e;
        }
      }
      open.clear();
      if (failed != null) {
        throw failed;
      }
    }
  }

  /** Appends to temporary packs; see {@link ChunkWriter}. */
  final class PackWriter implements ChunkWriter {
    /** A collector's writer: copies records the index knows ({@link #putRecord}) and points the index at the copies. */
    private final boolean relocating;
    /** The format of its packs: with a checksum per record (always, but for a collector copying older records). */
    private final boolean checksummed;
    private final int header;
    private final CRC32C crc = new CRC32C();
    private final List<Path> temps = new ArrayList<>();
    private final Map<String, ChunkLocation> added = new LinkedHashMap<>();
    private final byte[] rawHash = new byte[32];
    private FileChannel channel;
    /** Records added to the current pack and not written yet: they follow its first {@code written} bytes. */
    private ByteBuffer pending;
    private Path current;
    private long size;  // of the current pack, pending records included
    private long written;
    private long reserved;
    private boolean done;
    /** Why a pack of this writer may not be durable (its fsync failed): it must never be committed then. */
    private IOException failed;

    PackWriter(boolean relocating, boolean checksummed) {
      this.relocating = relocating;
      this.checksummed = checksummed;
      this.header = PackFile.headerBytes(checksummed);
    }

    @Override public boolean has(String hash) {
      return index.containsKey(hash) || added.containsKey(hash);
    }

    @Override public long put(String hash, byte[] encoded, int offset, int length) throws IOException {
      if (done) {
        throw new IllegalStateException("writer already committed or closed");
      }
      if (relocating) {
        throw new IllegalStateException("a collector's writer copies whole records (putRecord)");
      }
      refuseIfFailed();
      if (has(hash)) {
        return 0;
      }
      if (!ChunkHasher.isValidHex(hash)) {  // so the index holds well-formed names only (see PackReader.view)
        throw new IllegalArgumentException("not a chunk hash: " + hash);
      }
      for (int i = 0; i < 32; i++) {  // into one array per writer, not one per chunk
        rawHash[i] = (byte) (HexFormat.fromHexDigit(hash.charAt(2 * i)) << 4
            | HexFormat.fromHexDigit(hash.charAt(2 * i + 1)));
      }
      int checksum = 0;
      if (checksummed) {
        crc.reset();
        crc.update(encoded, offset, length);
        checksum = (int) crc.getValue();
      }
      return append(hash, length, false, checksum, encoded, offset);
    }

    /**
     * Copies a whole record as {@link #readRecord} returned it, in this writer's format (that of the pack it came
     * from): a collector moves records without decoding them, and without vouching for them anew.
     */
    long putRecord(String hash, byte[] record) throws IOException {
      if (!relocating) {
        throw new IllegalStateException("only a collector's writer copies records");
      }
      if (done) {
        throw new IllegalStateException("writer already committed or closed");
      }
      refuseIfFailed();
      if (added.containsKey(hash)) {
        return 0;
      }
      return append(hash, record.length - header, true, 0, record, 0);
    }

    /**
     * Appends the record of a chunk of {@code length} encoded bytes: its header ({@code rawHash}, the length,
     * {@code checksum}) and the bytes from {@code bytes[offset]}; or, when {@code bytes} hold the whole record
     * already ({@code withHeader}, from {@link #putRecord}), just those.
     */
    private long append(String hash, int length, boolean withHeader, int checksum, byte[] bytes, int offset)
        throws IOException {
      long recordBytes = header + length;
      if (channel == null || size + recordBytes > packLimitBytes) {
        try {
          startPack();  // finishes the pack before: a full disk may surface here, writing its last records
        } catch (IOException e) {
          throw full(e, "chunk " + hash);
        }
      }
      reserve(recordBytes, "chunk " + hash);
      reserved += recordBytes;
      long start = size;
      try {
        // Records gather in one direct buffer, written when it is full: a system call per 4 KiB chunk was most of
        // a first checkpoint's system time (a heap buffer is copied into a temporary direct one by the JDK anyway).
        if (pending == null) {
          pending = ByteBuffer.allocateDirect((int) Math.max(recordBytes, WRITE_BUFFER_BYTES));
        }
        if (pending.remaining() < recordBytes) {
          writePending();
          if (pending.capacity() < recordBytes) {
            pending = ByteBuffer.allocateDirect((int) recordBytes);
          }
        }
        if (!withHeader) {
          pending.put(rawHash).putInt(length);
          if (checksummed) {
            pending.putInt(checksum);
          }
        }
        pending.put(bytes, offset, withHeader ? header + length : length);
      } catch (IOException e) {
        reserved -= recordBytes;
        usedBytes.addAndGet(-recordBytes);
        throw full(e, "chunk " + hash);
      }
      size = start + recordBytes;
      added.put(hash, new ChunkLocation(current, start + header, length, checksummed));
      return recordBytes;
    }

    /**
     * Writes the pending records. If the OS refuses (a full disk), the pack is cut back to what was written before
     * and the records stay pending, so the writer loses nothing added before and a later write or the commit tries
     * again.
     */
    private void writePending() throws IOException {
      if (pending == null || pending.position() == 0) {
        return;
      }
      int end = pending.position();
      pending.flip();
      try {
        while (pending.hasRemaining()) {
          channel.write(pending, written + pending.position());
        }
      } catch (IOException e) {
        try {
          channel.truncate(written);  // keep the pack well-formed for what came before
        } catch (IOException ignored) {
          // the commit's fsync or the next open's scan will report a damaged pack
        }
        pending.limit(pending.capacity()).position(end);
        throw e;
      }
      written += end;
      pending.clear();
    }

    private void startPack() throws IOException {
      finishPack();
      String id = UUID.randomUUID().toString();
      current = packDir.resolve(id + PACK_SUFFIX);
      Path temp = packDir.resolve(id + PACK_SUFFIX + SafeFiles.TEMP_SUFFIX);
      byte[] magic = PackFile.magic(checksummed);
      reserve(magic.length, "a new pack");
      reserved += magic.length;
      try {
        channel = packChannels.apply(FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE, StandardOpenOption.READ), SafeFiles.OWNER_FILE));
        temps.add(temp);
        channel.write(ByteBuffer.wrap(magic), 0);
      } catch (IOException e) {
        throw full(e, "a new pack");
      }
      size = magic.length;
      written = size;
    }

    /**
     * fsync and close the pack being written (it stays temporary until commit renames it). A failed fsync leaves
     * the pack's durability unknown (the kernel may have dropped the dirty pages it could not write): the writer is
     * failed then, and refuses any later put or commit.
     */
    private void finishPack() throws IOException {
      if (channel != null) {
        writePending();  // if this fails, the pack stays open with its records pending: the commit may be tried again
        try {
          channel.force(true);
        } catch (IOException e) {
          failed = e;
          throw e;
        } finally {
          channel.close();
          channel = null;
        }
      }
    }

    @Override public void commit() throws IOException {
      if (done) {
        throw new IllegalStateException("writer already committed or closed");
      }
      refuseIfFailed();
      try {
        finishPack();
        for (Path temp : temps) {
          String fileName = temp.getFileName().toString();
          Path pack = temp.resolveSibling(fileName.substring(0, fileName.length() - SafeFiles.TEMP_SUFFIX.length()));
          Files.move(temp, pack, StandardCopyOption.ATOMIC_MOVE);
          indexedPacks.put(pack, Files.size(pack));
        }
        if (!temps.isEmpty()) {
          SafeFiles.syncDirectory(packDir);
        }
      } catch (IOException e) {
        throw full(e, "the commit of new chunks");
      }
      if (relocating) {
        added.forEach(index::put);
      } else {
        added.forEach(index::putIfAbsent);
      }
      temps.clear();
      reserved = 0;
      done = true;
    }

    private void refuseIfFailed() throws IOException {
      if (failed != null) {
        throw new IOException("cannot add to or commit this batch of chunks in " + describe() + ": the fsync of one"
            + " of its packs failed (" + failed.getMessage() + "), so they may not be durable; nothing of it is"
            + " committed, and it must be written again with a new writer", failed);
      }
    }

    @Override public void close() throws IOException {
      if (done) {
        return;
      }
      done = true;
      if (channel != null) {
        channel.close();
        channel = null;
      }
      for (Path temp : temps) {
        Files.deleteIfExists(temp);
      }
      usedBytes.addAndGet(-reserved);
    }
  }

  /**
   * Forgets every chunk not to keep; deletes packs with nothing to keep and rewrites packs that are mostly
   * garbage, so their space comes back. Kept chunks are copied to a new pack and committed before the old pack is
   * deleted.
   */
  @Override public int retainOnly(Predicate<String> keep) throws IOException {
    Map<Path, List<Map.Entry<String, ChunkLocation>>> byPack = new HashMap<>();
    for (Map.Entry<String, ChunkLocation> entry : index.entrySet()) {
      byPack.computeIfAbsent(entry.getValue().pack(), p -> new ArrayList<>()).add(Map.entry(entry.getKey(),
          entry.getValue()));
    }
    int deleted = 0;
    for (Map.Entry<Path, List<Map.Entry<String, ChunkLocation>>> pack : byPack.entrySet()) {
      List<Map.Entry<String, ChunkLocation>> live = pack.getValue().stream().filter(e -> keep.test(e.getKey()))
          .toList();
      int dead = pack.getValue().size() - live.size();
      if (dead == 0) {
        continue;
      }
      long packSize = Files.size(pack.getKey());
      long liveBytes = live.stream()
          .mapToLong(e -> PackFile.headerBytes(e.getValue().checksummed()) + e.getValue().length()).sum();
      if (!live.isEmpty() && liveBytes >= REPACK_BELOW * packSize) {
        // Mostly live: not worth rewriting yet. The dead chunks leave the index (nothing dedups against them);
        // their bytes stay until the pack is mostly dead.
        for (Map.Entry<String, ChunkLocation> entry : pack.getValue()) {
          if (!keep.test(entry.getKey())) {
            index.remove(entry.getKey(), entry.getValue());
          }
        }
        deleted += dead;
        continue;
      }
      if (!live.isEmpty()) {
        try (PackWriter writer = new PackWriter(true, live.get(0).getValue().checksummed())) {
          for (Map.Entry<String, ChunkLocation> entry : live) {
            writer.putRecord(entry.getKey(), readRecord(entry.getKey(), entry.getValue()));
          }
          writer.commit();  // the index now points at the copies; readers of the old pack retry
        }
      }
      for (Map.Entry<String, ChunkLocation> entry : pack.getValue()) {
        index.remove(entry.getKey(), entry.getValue());
      }
      Files.deleteIfExists(pack.getKey());
      indexedPacks.remove(pack.getKey());
      usedBytes.addAndGet(-packSize);
      deleted += dead;
    }
    if (deleted > 0) {
      SafeFiles.syncDirectory(packDir);
    }
    return deleted;
  }

  // -------------------------------------------------------------------------------------------- manifests

  private Path manifestPath(CheckpointKey key) {
    return manifestDir.resolve(key.vmId()).resolve(key.checkpointId());
  }

  @Override public long putManifest(Manifest manifest) throws IOException {
    manifest.validateEntries();  // the names are checked as they are encoded
    if (!writtenOnlyByThisHost() && manifest.hasStagedChunks()) {
      throw new IllegalArgumentException("manifest of " + manifest.key() + " names chunks by staging keys, which"
          + " only the host's own staging store may hold, not " + describe());
    }
    long bytes = ManifestCodec.encodedSize(manifest);
    reserve(bytes, "manifest of " + manifest.key());
    try {
      Path target = manifestPath(manifest.key());
      SafeFiles.ownerOnlyDirectory(target.getParent());
      long replaced = Files.exists(target) ? Files.size(target) : 0;
      SafeFiles.writeAtomically(target, out -> ManifestCodec.encode(manifest, out));
      usedBytes.addAndGet(-replaced);
      return bytes;
    } catch (IOException e) {
      usedBytes.addAndGet(-bytes);
      throw full(e, "manifest of " + manifest.key());
    } catch (RuntimeException e) {
      usedBytes.addAndGet(-bytes);
      throw e;
    }
  }

  @Override public Optional<Manifest> manifest(CheckpointKey key) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(manifestPath(key));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    Manifest manifest = ManifestCodec.decode(bytes, key + " in " + describe());
    if (!manifest.key().equals(key)) {
      throw new IOException("manifest file for " + key + " in " + describe() + " describes " + manifest.key());
    }
    return Optional.of(manifest);
  }

  @Override public void deleteManifest(CheckpointKey key) throws IOException {
    Path path = manifestPath(key);
    long size = Files.exists(path) ? Files.size(path) : 0;
    if (Files.deleteIfExists(path)) {
      usedBytes.addAndGet(-size);
      SafeFiles.syncDirectory(path.getParent());
    }
  }

  @Override public Optional<java.time.Instant> manifestWritten(CheckpointKey key) throws IOException {
    try {
      return Optional.of(Files.getLastModifiedTime(manifestPath(key)).toInstant());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** A shared store's is the file server's: the modification time a write to {@code root/clock} gets. */
  @Override public java.time.Instant clock() throws IOException {
    if (sharing == Sharing.HOST_PRIVATE) return java.time.Instant.now();
    Path clock = root.resolve("clock");
    Files.write(clock, new byte[] {1});
    return Files.getLastModifiedTime(clock).toInstant();
  }

  @Override public List<CheckpointKey> checkpoints() throws IOException {
    List<CheckpointKey> keys = new ArrayList<>();
    try (Stream<Path> vms = Files.list(manifestDir)) {
      for (Path vm : (Iterable<Path>) vms::iterator) {
        try (Stream<Path> files = Files.list(vm)) {
          files.map(f -> f.getFileName().toString())
              .filter(n -> !n.endsWith(SafeFiles.TEMP_SUFFIX))
              .forEach(n -> keys.add(new CheckpointKey(vm.getFileName().toString(), n)));
        } catch (NoSuchFileException gone) {
          // another host removed the VM's folder meanwhile (shared store)
        }
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    Collections.sort(keys);
    return keys;
  }

  @Override public long usedBytes() {
    return usedBytes.get();
  }

  @Override public ChunkGuard guard() {
    return guard;
  }

  private void reserve(long bytes, String what) throws StoreFullException {
    long after = usedBytes.addAndGet(bytes);
    if (after > capacityBytes) {
      usedBytes.addAndGet(-bytes);
      throw new StoreFullException(describe() + " is full: writing " + what + " (" + bytes + " bytes) would exceed its "
          + capacityBytes + "-byte capacity", null);
    }
  }

  private IOException full(IOException e, String what) {
    if (e instanceof StoreFullException || !SafeFiles.isDiskFull(e)) {
      return e;
    }
    return new StoreFullException(describe() + " is full: no space left on its disk while writing " + what, e);
  }
}

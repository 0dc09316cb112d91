package org.vmqsc.agent.store;

import com.github.luben.zstd.Zstd;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Manifests on disk. Written in a binary layout: one entry per chunk (65 536 for 256 MiB in 4 KiB chunks) as a kind
 * byte, a length and the raw 32-byte SHA-256 and 16-byte fingerprint, and a CRC32C of everything at the end, so a
 * damaged or truncated manifest is refused before it is parsed. The JSON the engine wrote before (zstd-compressed,
 * hashes as hex) cost a third of an incremental checkpoint's CPU time to write and a tenth of a restore's to read;
 * manifests in it still read.
 *
 * <pre>
 * "VMQSC-M2"                                   8 bytes
 * format, vmId, checkpointId, chunker           int, then strings (int length + UTF-8)
 * createdAtMillis, imageBytes                   long, long
 * attributes                                    int count, then key and value strings
 * chunks                                        int count, then per chunk:
 *   kind, length                                byte (0 zeros, 1 SHA-256, 2 SHA-256 + fingerprint,
 *                                               3 staging key + fingerprint), int
 *   name, fingerprint                           32 bytes if kind > 0 (the SHA-256, or the staging key),
 *                                               16 bytes if kind is 2 or 3
 * CRC32C of every byte before it                int
 * </pre>
 *
 * <p>Kind 3 (a chunk named by its {@link StagingKeys staging key}, not yet by SHA-256) occurs only in the host's
 * staging store; an agent of a version before it refuses such a manifest as damaged, which only matters to the host
 * that wrote it (stable manifests name every chunk by SHA-256).
 */
public final class ManifestCodec {

  private static final byte[] MAGIC = "VMQSC-M2".getBytes(StandardCharsets.US_ASCII);
  private static final byte ZEROS = 0;
  private static final byte HASHED = 1;
  private static final byte FINGERPRINTED = 2;
  private static final byte STAGED = 3;
  private static final int HASH_BYTES = 32;
  private static final int FINGERPRINT_BYTES = 16;
  private static final int CRC_BYTES = 4;
  private static final byte[] HEX_DIGITS = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private static final Gson GSON = new GsonBuilder().registerTypeAdapter(ChunkRef.class, new ChunkRefAdapter()).create();

  private ManifestCodec() {}

  public static byte[] encode(Manifest manifest) {
    long size = encodedSize(manifest);
    if (size > Integer.MAX_VALUE - 16) {  // one array holds it here; encode(Manifest, channel) has no such bound
      throw new IllegalArgumentException("manifest of " + manifest.key() + " is too large to encode");
    }
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream((int) size);
    try {
      encode(manifest, java.nio.channels.Channels.newChannel(bytes));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);  // a byte array refuses nothing
    }
    return bytes.toByteArray();
  }

  /** How many bytes {@link #encode} writes: what a store reserves before it writes the manifest. */
  public static long encodedSize(Manifest manifest) {
    long size = MAGIC.length + 4 + 8 + 8 + 4 + 4 + CRC_BYTES;
    for (byte[] s : strings(manifest)) {
      size += 4 + s.length;
    }
    for (ChunkRef ref : manifest.chunks()) {
      size += 5 + (ref.isZero() ? 0 : HASH_BYTES) + (ref.fingerprint() == null ? 0 : FINGERPRINT_BYTES);
    }
    return size;
  }

  /**
   * Writes the manifest to {@code channel} through a buffer of {@value #WRITE_BUFFER_BYTES} bytes: a large VM's
   * manifest (tens of MiB for 16 GiB in 8 KiB chunks) is never one array in memory, and a checkpoint does not
   * allocate and zero a new one of that size each time (which cost more than the encoding).
   */
  public static void encode(Manifest manifest, java.nio.channels.WritableByteChannel channel) throws IOException {
    List<byte[]> strings = strings(manifest);
    Encoder out = new Encoder(channel);
    out.room(MAGIC.length + 4).put(MAGIC).putInt(manifest.format());
    out.string(strings.get(0));
    out.string(strings.get(1));
    out.string(strings.get(2));
    out.room(8 + 8 + 4).putLong(manifest.createdAtMillis()).putLong(manifest.imageBytes())
        .putInt(manifest.attributes().size());
    for (int i = 3; i < strings.size(); i++) {
      out.string(strings.get(i));
    }
    out.room(4).putInt(manifest.chunks().size());
    byte[] stagingPrefix = null;  // this VM's, at the first staged chunk
    for (ChunkRef ref : manifest.chunks()) {
      ByteBuffer entry = out.room(5 + HASH_BYTES + FINGERPRINT_BYTES);
      // The names are checked as they are written: Manifest.validate's checks in its order, each name read once.
      if (ref.isZero()) {
        if (ref.fingerprint() != null) throw manifest.malformedFingerprint(ref);
        if (ref.staged()) throw manifest.notAStagingKey(ref);
        entry.put(ZEROS).putInt(ref.length());
        continue;
      }
      entry.put(ref.staged() ? STAGED : ref.fingerprint() == null ? HASHED : FINGERPRINTED).putInt(ref.length());
      int hashAt = entry.arrayOffset() + entry.position();
      if (!putHex(entry, ref.hash(), HASH_BYTES)) throw manifest.malformedHash(ref);
      if (ref.fingerprint() == null && ref.staged()) throw manifest.notAStagingKey(ref);
      if (ref.fingerprint() != null) {
        int fingerprintAt = entry.arrayOffset() + entry.position();
        if (!putHex(entry, ref.fingerprint(), FINGERPRINT_BYTES)) throw manifest.malformedFingerprint(ref);
        if (ref.staged()) {
          if (stagingPrefix == null) stagingPrefix = hexBytes(StagingKeys.prefix(manifest.vmId()));
          byte[] a = entry.array();
          if (!Arrays.equals(a, hashAt, hashAt + stagingPrefix.length, stagingPrefix, 0, stagingPrefix.length)
              || !Arrays.equals(a, hashAt + stagingPrefix.length, hashAt + HASH_BYTES, a, fingerprintAt,
                  fingerprintAt + FINGERPRINT_BYTES)) {
            throw manifest.notAStagingKey(ref);
          }
        }
      }
    }
    out.finish();
  }

  private static byte[] hexBytes(String hex) {
    ByteBuffer bytes = ByteBuffer.allocate(hex.length() / 2);
    if (!putHex(bytes, hex, bytes.capacity())) throw new IllegalArgumentException("not lower-case hex: " + hex);
    return bytes.array();
  }

  private static final int WRITE_BUFFER_BYTES = 64 << 10;

  /** The manifest's strings in the order they are written: vmId, checkpointId, chunker, then the attributes. */
  private static List<byte[]> strings(Manifest manifest) {
    List<byte[]> strings = new ArrayList<>();
    strings.add(utf8(manifest.vmId()));
    strings.add(utf8(manifest.checkpointId()));
    strings.add(utf8(manifest.chunker()));
    manifest.attributes().forEach((key, value) -> {
      strings.add(utf8(key));
      strings.add(utf8(value));
    });
    return strings;
  }

  /** A write buffer that goes to the channel when full, keeping the CRC32C of everything written so far. */
  private static final class Encoder {
    private final java.nio.channels.WritableByteChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(WRITE_BUFFER_BYTES);
    private final CRC32C crc = new CRC32C();

    Encoder(java.nio.channels.WritableByteChannel channel) {
      this.channel = channel;
    }

    /** The buffer, with room for {@code bytes} more (at most the buffer's size). */
    ByteBuffer room(int bytes) throws IOException {
      if (buffer.remaining() < bytes) {
        drain();
      }
      return buffer;
    }

    void string(byte[] utf8) throws IOException {
      room(4).putInt(utf8.length);
      for (int at = 0; at < utf8.length; ) {
        int n = Math.min(utf8.length - at, room(1).remaining());
        buffer.put(utf8, at, n);
        at += n;
      }
    }

    /** Appends the CRC32C of everything before it and writes what is left. */
    void finish() throws IOException {
      room(CRC_BYTES);
      crc.update(buffer.array(), 0, buffer.position());
      buffer.putInt((int) crc.getValue());
      buffer.flip();
      writeAll();
    }

    private void drain() throws IOException {
      crc.update(buffer.array(), 0, buffer.position());
      buffer.flip();
      writeAll();
      buffer.clear();
    }

    private void writeAll() throws IOException {
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    }
  }

  public static Manifest decode(byte[] stored, String where) throws IOException {
    Manifest manifest = isBinary(stored) ? decodeBinary(stored, where) : decodeJson(stored, where);
    try {
      manifest.validate();
    } catch (IllegalStateException e) {
      throw new IOException("manifest " + where + " is damaged: " + e.getMessage(), e);
    }
    return manifest;
  }

  private static boolean isBinary(byte[] stored) {
    return stored.length >= MAGIC.length && Arrays.equals(stored, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
  }

  private static Manifest decodeBinary(byte[] stored, String where) throws IOException {
    if (stored.length < MAGIC.length + CRC_BYTES) {
      throw new IOException("manifest " + where + " is damaged (cut short)");
    }
    int body = stored.length - CRC_BYTES;
    CRC32C crc = new CRC32C();
    crc.update(stored, 0, body);
    if ((int) crc.getValue() != ByteBuffer.wrap(stored, body, CRC_BYTES).getInt()) {
      throw new IOException("manifest " + where + " is damaged (checksum mismatch: cut short or altered)");
    }
    ByteBuffer in = ByteBuffer.wrap(stored, MAGIC.length, body - MAGIC.length);
    try {
      int format = in.getInt();
      String vmId = getString(in);
      String checkpointId = getString(in);
      String chunker = getString(in);
      long createdAtMillis = in.getLong();
      long imageBytes = in.getLong();
      int attributeCount = count(in, 8);
      Map<String, String> attributes = new LinkedHashMap<>();
      for (int i = 0; i < attributeCount; i++) {
        attributes.put(getString(in), getString(in));
      }
      int chunkCount = count(in, 5);
      List<ChunkRef> chunks = new ArrayList<>(chunkCount);
      byte[] hex = new byte[2 * HASH_BYTES];
      for (int i = 0; i < chunkCount; i++) {
        byte kind = in.get();
        int length = in.getInt();
        if (kind == ZEROS) {
          chunks.add(ChunkRef.zeros(length));
        } else if (kind == HASHED || kind == FINGERPRINTED || kind == STAGED) {
          String hash = getHex(in, HASH_BYTES, hex);
          String fingerprint = kind != HASHED ? getHex(in, FINGERPRINT_BYTES, hex) : null;
          chunks.add(new ChunkRef(hash, length, fingerprint, kind == STAGED));
        } else {
          throw new IOException("manifest " + where + " is damaged (chunk entry " + i + " of unknown kind " + kind + ")");
        }
      }
      if (in.hasRemaining()) {
        throw new IOException("manifest " + where + " is damaged (" + in.remaining() + " bytes after its last entry)");
      }
      return new Manifest(format, vmId, checkpointId, createdAtMillis, imageBytes, chunker, attributes, chunks);
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new IOException("manifest " + where + " is damaged (an entry runs past its end)", e);
    }
  }

  /** A count read from the manifest, refused if fewer than {@code minBytesEach} bytes per element remain. */
  private static int count(ByteBuffer in, int minBytesEach) {
    int count = in.getInt();
    if (count < 0 || (long) count * minBytesEach > in.remaining()) {
      throw new IllegalArgumentException("count " + count);
    }
    return count;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String getString(ByteBuffer in) {
    int length = count(in, 1);
    String s = new String(in.array(), in.arrayOffset() + in.position(), length, StandardCharsets.UTF_8);
    in.position(in.position() + length);
    return s;
  }

  /**
   * Writes {@code bytes} bytes from {@code 2 * bytes} lower-case hex digits; false (what was written is then of no
   * use) if {@code hex} is anything else.
   */
  private static boolean putHex(ByteBuffer out, String hex, int bytes) {
    if (hex.length() != 2 * bytes) return false;
    byte[] array = out.array();  // written in place: a put per byte cost a bounds check each
    int at = out.arrayOffset() + out.position();
    int bad = 0;
    for (int i = 0; i < bytes; i++) {
      char high = hex.charAt(2 * i);
      char low = hex.charAt(2 * i + 1);
      int h = HEX_VALUES[high & 0x7f];
      int l = HEX_VALUES[low & 0x7f];
      bad |= (high | low) >>> 7 | h | l;  // a digit's value has no bit above the low four; a non-digit's has
      array[at + i] = (byte) (h << 4 | l);
    }
    out.position(out.position() + bytes);
    return (bad & ~0xf) == 0;
  }

  /** Each ASCII character's value as a lower-case hex digit, or {@link #NOT_HEX} (a bit no digit's value has). */
  private static final int[] HEX_VALUES = new int[128];
  private static final int NOT_HEX = 0x100;

  static {
    Arrays.fill(HEX_VALUES, NOT_HEX);
    for (int i = 0; i < 16; i++) {
      HEX_VALUES[HEX_DIGITS[i]] = i;
    }
  }

  private static String getHex(ByteBuffer in, int bytes, byte[] scratch) {
    for (int i = 0; i < bytes; i++) {
      int b = in.get() & 0xff;
      scratch[2 * i] = HEX_DIGITS[b >>> 4];
      scratch[2 * i + 1] = HEX_DIGITS[b & 0x0f];
    }
    return new String(scratch, 0, 2 * bytes, StandardCharsets.ISO_8859_1);
  }

  /** The format before the binary one: zstd-compressed JSON. */
  private static Manifest decodeJson(byte[] stored, String where) throws IOException {
    try {
      long size = Zstd.getFrameContentSize(stored);
      if (Zstd.isError(size) || size <= 0 || size > Integer.MAX_VALUE) {
        throw new IOException("manifest " + where + " is damaged (neither a binary manifest nor a valid zstd frame)");
      }
      byte[] json = Zstd.decompress(stored, (int) size);
      Manifest manifest = GSON.fromJson(new String(json, StandardCharsets.UTF_8), Manifest.class);
      if (manifest == null) {
        throw new IOException("manifest " + where + " is empty");
      }
      return new Manifest(manifest.format(), manifest.vmId(), manifest.checkpointId(), manifest.createdAtMillis(),
          manifest.imageBytes(), manifest.chunker(),
          manifest.attributes() == null ? Map.of() : manifest.attributes(),
          manifest.chunks() == null ? List.of() : manifest.chunks());
    } catch (JsonParseException | IllegalStateException | IllegalArgumentException | NullPointerException e) {
      throw new IOException("manifest " + where + " is damaged: " + e.getMessage(), e);
    } catch (RuntimeException e) {  // zstd-jni reports damaged frames as ZstdException
      throw new IOException("manifest " + where + " is damaged: " + e.getMessage(), e);
    }
  }
}

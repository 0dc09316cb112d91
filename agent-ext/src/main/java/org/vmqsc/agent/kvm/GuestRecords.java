package org.vmqsc.agent.kvm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

/**
 * What the lab guest's messaging program ({@code agent-ext/src/guest/qscmsg.c}) leaves behind: its records on the
 * data disk and its lines on the serial console.
 *
 * <p>Disk record (one 512-byte sector each, record {@code n} in sector {@code n-1}, little-endian): 0 magic
 * {@code "QSCREC1\0"}, 8 u64 record number, 16 u32 kind (1 send, 2 receipt), 20 u32 from, 24 u32 to, 28 u32 zero,
 * 32 u64 seq, 40 u32 CRC-32 of bytes 0..39, zeros to the end of the sector. The records of a disk are the run of
 * valid records from sector 0.
 *
 * <p>Serial lines: {@code QSC-SEND <from> <to> <seq>}, {@code QSC-RECV <from> <to> <seq>} (each printed after its
 * record was written), {@code QSC-STATE <records in memory> <records on disk>} ({@code -} without a disk) and
 * {@code QSC-IGNORED <datagrams ignored so far>}.
 */
public final class GuestRecords {

  public static final int SECTOR = 512;
  private static final byte[] MAGIC = "QSCREC1\0".getBytes(StandardCharsets.US_ASCII);
  // Whole lines only, as for the ticks: a guest destroyed mid-line leaves half of one.
  private static final Pattern ENTRY = Pattern.compile("QSC-(SEND|RECV) (\\d+) (\\d+) (\\d+)\\r?\\n");
  private static final Pattern STATE = Pattern.compile("QSC-STATE (\\d+) (\\d+|-)\\r?\\n");
  private static final Pattern IGNORED = Pattern.compile("QSC-IGNORED (\\d+)\\r?\\n");

  private GuestRecords() {}

  public enum Kind {
    SEND(1), RECV(2);

    private final int code;

    Kind(int code) {
      this.code = code;
    }

    public int code() {
      return code;
    }

    static Optional<Kind> of(int code) {
      for (Kind kind : values()) {
        if (kind.code == code) {
          return Optional.of(kind);
        }
      }
      return Optional.empty();
    }
  }

  /** One send or receipt of message {@code seq} on the channel {@code from} → {@code to}. */
  public record Entry(Kind kind, int from, int to, long seq) {
    @Override public String toString() {
      return kind + " " + from + "->" + to + " #" + seq;
    }
  }

  /** An entry as the guest wrote it to its disk, with its record number (1, 2, 3, ...). */
  public record Record(long number, Entry entry) {}

  /** One {@code QSC-STATE} line: the records the program counts, and those it read back from its disk (-1: none). */
  public record State(long memory, long disk) {}

  /** The sends and receipts printed on a serial log, in order. */
  public static List<Entry> serialEntries(CharSequence log) {
    List<Entry> entries = new ArrayList<>();
    Matcher m = ENTRY.matcher(log);
    while (m.find()) {
      entries.add(new Entry(m.group(1).equals("SEND") ? Kind.SEND : Kind.RECV, Integer.parseInt(m.group(2)),
          Integer.parseInt(m.group(3)), Long.parseLong(m.group(4))));
    }
    return entries;
  }

  /** The state lines printed on a serial log, in order. */
  public static List<State> serialStates(CharSequence log) {
    List<State> states = new ArrayList<>();
    Matcher m = STATE.matcher(log);
    while (m.find()) {
      states.add(new State(Long.parseLong(m.group(1)), m.group(2).equals("-") ? -1 : Long.parseLong(m.group(2))));
    }
    return states;
  }

  /** The last count of ignored datagrams printed on a serial log (0 if none was). */
  public static long serialIgnored(CharSequence log) {
    long ignored = 0;
    Matcher m = IGNORED.matcher(log);
    while (m.find()) {
      ignored = Long.parseLong(m.group(1));
    }
    return ignored;
  }

  /** The records of a raw disk image: the valid run from sector 0. */
  public static List<Record> read(Path rawImage) throws IOException {
    try (InputStream in = Files.newInputStream(rawImage)) {
      return read(in);
    }
  }

  /** The records of a raw disk image read from a stream, up to the first sector that is not the next record. */
  public static List<Record> read(InputStream raw) throws IOException {
    List<Record> records = new ArrayList<>();
    byte[] sector = new byte[SECTOR];
    while (raw.readNBytes(sector, 0, SECTOR) == SECTOR) {
      Optional<Record> record = decode(sector, records.size() + 1L);
      if (record.isEmpty()) {
        break;
      }
      records.add(record.get());
    }
    return records;
  }

  /** The record in {@code sector} if it is a valid record numbered {@code number}. */
  public static Optional<Record> decode(byte[] sector, long number) {
    if (sector.length < SECTOR) {
      return Optional.empty();
    }
    ByteBuffer b = ByteBuffer.wrap(sector).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < MAGIC.length; i++) {
      if (sector[i] != MAGIC[i]) {
        return Optional.empty();
      }
    }
    if (b.getLong(8) != number || Integer.toUnsignedLong(b.getInt(40)) != crc(sector)) {
      return Optional.empty();
    }
    Optional<Kind> kind = Kind.of(b.getInt(16));
    if (kind.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new Record(number, new Entry(kind.get(), b.getInt(20), b.getInt(24), b.getLong(32))));
  }

  /** The sector the guest writes for {@code record}. */
  public static byte[] encode(Record record) {
    byte[] sector = new byte[SECTOR];
    ByteBuffer b = ByteBuffer.wrap(sector).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC);
    b.putLong(8, record.number());
    b.putInt(16, record.entry().kind().code());
    b.putInt(20, record.entry().from());
    b.putInt(24, record.entry().to());
    b.putLong(32, record.entry().seq());
    b.putInt(40, (int) crc(sector));
    return sector;
  }

  private static long crc(byte[] sector) {
    CRC32 crc = new CRC32();
    crc.update(sector, 0, 40);
    return crc.getValue();
  }
}

package org.vmqsc.agent.kvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.Test;
import org.vmqsc.agent.kvm.GuestRecords.Entry;
import org.vmqsc.agent.kvm.GuestRecords.Kind;
import org.vmqsc.agent.kvm.GuestRecords.Record;
import org.vmqsc.agent.kvm.GuestRecords.State;

/** The messaging program's formats, and the lab guest's domain XML for a NIC and a data disk (no libvirt needed). */
public class GuestRecordsTest {

  private static final List<Record> RECORDS = List.of(
      new Record(1, new Entry(Kind.SEND, 0, 1, 1)),
      new Record(2, new Entry(Kind.RECV, 1, 0, 1)),
      new Record(3, new Entry(Kind.SEND, 0, 1, 2)));

  private static byte[] disk(List<Record> records, int spareSectors) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Record record : records) {
      out.writeBytes(GuestRecords.encode(record));
    }
    out.writeBytes(new byte[spareSectors * GuestRecords.SECTOR]);
    return out.toByteArray();
  }

  @Test public void aSectorAsTheGuestWritesIt() {
    byte[] sector = GuestRecords.encode(new Record(2, new Entry(Kind.RECV, 1, 0, 258)));
    // Layout of agent-ext/src/guest/qscmsg.c: magic, number, kind, from, to, zero, seq, CRC-32 of bytes 0..39.
    assertEquals("QSCREC1\0", new String(sector, 0, 8, StandardCharsets.US_ASCII));
    assertEquals(2, sector[8]);
    assertEquals(2, sector[16]);
    assertEquals(1, sector[20]);
    assertEquals(0, sector[24]);
    assertEquals(2, sector[32]);
    assertEquals(1, sector[33]);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(sector, 0, 40);
    long stored = (sector[40] & 0xffL) | (sector[41] & 0xffL) << 8 | (sector[42] & 0xffL) << 16
        | (sector[43] & 0xffL) << 24;
    assertEquals(crc.getValue(), stored);
    for (int i = 44; i < GuestRecords.SECTOR; i++) {
      assertEquals(0, sector[i]);
    }
  }

  @Test public void theRecordsAreTheValidRunFromTheFirstSector() throws Exception {
    assertEquals(RECORDS, GuestRecords.read(new ByteArrayInputStream(disk(RECORDS, 4))));
    assertEquals(List.of(), GuestRecords.read(new ByteArrayInputStream(disk(List.of(), 4))));
    // A disk that ends right after the last record, and one cut in the middle of a sector.
    assertEquals(RECORDS, GuestRecords.read(new ByteArrayInputStream(disk(RECORDS, 0))));
    byte[] cut = java.util.Arrays.copyOf(disk(RECORDS, 0), 2 * GuestRecords.SECTOR + 100);
    assertEquals(RECORDS.subList(0, 2), GuestRecords.read(new ByteArrayInputStream(cut)));
  }

  @Test public void aDamagedOrMisplacedRecordEndsTheRun() throws Exception {
    byte[] damaged = disk(RECORDS, 1);
    damaged[GuestRecords.SECTOR + 33] ^= 1;  // record 2's seq: the checksum no longer matches
    assertEquals(RECORDS.subList(0, 1), GuestRecords.read(new ByteArrayInputStream(damaged)));

    // Record 3 where record 2 belongs (a stale sector from another run): not the next record.
    List<Record> misplaced = List.of(RECORDS.get(0), RECORDS.get(2));
    assertEquals(RECORDS.subList(0, 1), GuestRecords.read(new ByteArrayInputStream(disk(misplaced, 1))));

    byte[] badKind = GuestRecords.encode(new Record(1, new Entry(Kind.SEND, 0, 1, 1)));
    badKind[16] = 7;
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(badKind, 0, 40);
    java.nio.ByteBuffer.wrap(badKind).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(40, (int) crc.getValue());
    assertTrue(GuestRecords.decode(badKind, 1).isEmpty());
  }

  @Test public void serialLinesWithCarriageReturnsAndAHalfLineAtTheEnd() {
    String log = "GUEST-NET index=0 group=2 rate=5.0 disk=/dev/vda\r\n"
        + "QSC-START 0 2 0\r\n"
        + "QSC-SEND 0 1 1\r\n"
        + "GUEST-TICK 1\r\n"
        + "QSC-RECV 1 0 1\r\n"
        + "QSC-STATE 2 2\r\n"
        + "QSC-STATE 3 -\n"
        + "QSC-IGNORED 2\r\n"
        + "QSC-IGNORED 5\r\n"
        + "QSC-SEND 0 1 2\r\n"
        + "QSC-SEND 0 1 3";  // destroyed mid-line
    assertEquals(List.of(new Entry(Kind.SEND, 0, 1, 1), new Entry(Kind.RECV, 1, 0, 1), new Entry(Kind.SEND, 0, 1, 2)),
        GuestRecords.serialEntries(log));
    assertEquals(List.of(new State(2, 2), new State(3, -1)), GuestRecords.serialStates(log));
    assertEquals(5, GuestRecords.serialIgnored(log));
    assertEquals(0, GuestRecords.serialIgnored("QSC-IGNORED 3"));
  }

  @Test public void theDomainOfANetworkedGuestWithADataDisk() {
    LabGuest.Spec spec = new LabGuest.Spec("g1", 128, 4, 64, 1.0)
        .withNic(LabGuest.Nic.forIndex(1, 40001, 40002))
        .withMessaging(new LabGuest.Messaging(1, 3, 5))
        .withDataDisk(LabGuest.DataDisk.fresh());
    String xml = LabGuest.domainXml(spec, Path.of("/tmp/g1.serial"), Path.of("/tmp/g1.qcow2"));
    assertTrue(xml, xml.contains("<interface type='udp'><mac address='52:54:00:77:00:01'/>"
        + "<source address='127.0.0.1' port='40002'><local address='127.0.0.1' port='40001'/></source>"
        + "<model type='virtio'/></interface>"));
    assertTrue(xml, xml.contains("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
        + "<source file='/tmp/g1.qcow2'/><target dev='vda' bus='virtio'/></disk>"));
    assertTrue(xml, xml.contains(" vmqsc.index=1 vmqsc.group=3 vmqsc.rate=5.0 vmqsc.disk=/dev/vda</cmdline>"));

    String plain = LabGuest.domainXml(new LabGuest.Spec("g0", 128, 48, 1024, 0.2), Path.of("/tmp/g0.serial"));
    assertTrue(plain, !plain.contains("<interface") && !plain.contains("<disk") && !plain.contains("vmqsc.index"));
  }

  @Test public void everyGuestHasABalloonReportingFreedPagesUnlessTurnedOff() {
    LabGuest.Spec spec = new LabGuest.Spec("g2", 256, 8, 256, 0.5);
    String on = LabGuest.domainXml(spec.withFreedMemory(new LabGuest.FreedMemory(128, true)), Path.of("/tmp/g2"));
    assertTrue(on, on.contains("<memballoon model='virtio' freePageReporting='on'/>"));
    assertTrue(on, on.contains(" vmqsc.freed_mib=128</cmdline>"));
    String off = LabGuest.domainXml(spec.withFreedMemory(new LabGuest.FreedMemory(128, false)), Path.of("/tmp/g2"));
    assertTrue(off, off.contains("<memballoon model='virtio' freePageReporting='off'/>"));
    String none = LabGuest.domainXml(spec, Path.of("/tmp/g2"));
    assertTrue(none, none.contains("<memballoon model='virtio' freePageReporting='on'/>") && !none.contains("freed_mib"));
    assertThrows(IllegalArgumentException.class, () -> new LabGuest.FreedMemory(0, true));
  }

  @Test public void addressesFollowTheIndex() {
    assertEquals("52:54:00:77:00:00", LabGuest.macOf(0));
    assertEquals("52:54:00:77:00:fd", LabGuest.macOf(253));
    assertEquals("10.77.0.1", LabGuest.ipOf(0));
    assertEquals("10.77.0.254", LabGuest.ipOf(253));
    assertThrows(IllegalArgumentException.class, () -> LabGuest.macOf(254));
    assertThrows(IllegalArgumentException.class, () -> new LabGuest.Messaging(2, 2, 5));
    // A guest's MAC must be the one its peers' neighbour entries name.
    assertThrows(IllegalArgumentException.class, () -> new LabGuest.Spec("g", 128, 4, 64, 1.0)
        .withNic(LabGuest.Nic.forIndex(0, 40001, 40002)).withMessaging(new LabGuest.Messaging(1, 2, 5)));
  }
}

/*
 * qscmsg: the lab guest's messaging program (built statically into the lab guest's initramfs by
 * .ci/setup-kvm.sh).
 *
 *   qscmsg INDEX GROUP RATE [DEVICE]
 *
 * The guest with index INDEX belongs to a group of GROUP guests (indices 0 .. GROUP-1). Guest i has the address
 * 10.77.0.(i+1) and all of them listen on UDP port 7700. Every 1/RATE seconds the program sends one message to
 * the next other guest of the group, round robin; the messages of each channel (sender, receiver) are numbered
 * 1, 2, 3, ... It receives the messages of all the others. Each send and each receipt is
 *   - written as one 512-byte record to DEVICE (a raw block device, O_DIRECT|O_SYNC; record n in sector n-1),
 *   - then printed on stdout as "QSC-SEND <from> <to> <seq>" or "QSC-RECV <from> <to> <seq>".
 * Every second it prints "QSC-STATE <records in memory> <records on disk>": the first is the count it keeps,
 * the second is read back from the disk: the length of the run of valid records from sector 0 ("-" without a
 * disk). It also prints "QSC-IGNORED <n>" then if the number of datagrams it ignored has grown. On start it
 * resumes after the last valid record on the disk, channel numbering included.
 *
 * Record layout (little-endian): 0 magic "QSCREC1\0", 8 u64 record number (from 1), 16 u32 kind (1 send,
 * 2 receipt), 20 u32 from, 24 u32 to, 28 u32 zero, 32 u64 seq, 40 u32 CRC-32 (IEEE) of bytes 0..39, then zeros.
 * Message layout (big-endian, 24 bytes): 0 u32 magic 0x51534d31 ("QSM1"), 4 u32 from, 8 u32 to, 12 u32 zero,
 * 16 u64 seq. Datagrams of any other shape, or that claim a sender they do not come from, are ignored.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PORT 7700
#define MAX_GROUP 254
#define MSG_MAGIC 0x51534d31u
#define MSG_SIZE 24
#define SECTOR 512
#define CHUNK_SECTORS 128
#define KIND_SEND 1
#define KIND_RECV 2
static const char REC_MAGIC[8] = "QSCREC1";

static unsigned self, group;
static int sock = -1, disk = -1;
static uint64_t disk_sectors;
static uint64_t records;              /* records written (or, without a disk, kept) so far */
static uint64_t next_seq[MAX_GROUP];  /* next sequence number per receiving guest */
static unsigned next_peer;
static unsigned char *buf;            /* CHUNK_SECTORS sectors, aligned for O_DIRECT */
static int full_reported, error_reported;
static uint64_t ignored, ignored_reported;  /* datagrams that were not messages for this guest */
static uint32_t crc_table[256];

static void say(const char *fmt, ...) {
  char line[160];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof line - 2) n = sizeof line - 2;
  line[n++] = '\n';
  /* one write per line, so that lines from other writers to the console do not cut into it */
  while (write(1, line, n) < 0 && errno == EINTR) {}
}

static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

static uint32_t crc32(const unsigned char *p, size_t n) {
  uint32_t c = 0xffffffffu;
  while (n--) c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

static void put_le32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = v >> (8 * i); }
static void put_le64(unsigned char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = v >> (8 * i); }
static uint32_t le32(const unsigned char *p) { uint32_t v = 0; for (int i = 3; i >= 0; i--) v = v << 8 | p[i]; return v; }
static uint64_t le64(const unsigned char *p) { uint64_t v = 0; for (int i = 7; i >= 0; i--) v = v << 8 | p[i]; return v; }
static void put_be32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = v >> (8 * (3 - i)); }
static void put_be64(unsigned char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = v >> (8 * (7 - i)); }
static uint32_t be32(const unsigned char *p) { uint32_t v = 0; for (int i = 0; i < 4; i++) v = v << 8 | p[i]; return v; }
static uint64_t be64(const unsigned char *p) { uint64_t v = 0; for (int i = 0; i < 8; i++) v = v << 8 | p[i]; return v; }

/* Whether the sector at p is the valid record that belongs in sector number `sector`. */
static int valid_record(const unsigned char *p, uint64_t sector) {
  return memcmp(p, REC_MAGIC, 8) == 0 && le64(p + 8) == sector + 1 && le32(p + 40) == crc32(p, 40);
}

/* Reads up to `count` sectors from `first` into buf; returns how many were read (0 at the end or on error). */
static unsigned read_sectors(uint64_t first, unsigned count) {
  if (first >= disk_sectors) return 0;
  if (count > disk_sectors - first) count = disk_sectors - first;
  for (;;) {
    ssize_t n = pread(disk, buf, (size_t)count * SECTOR, (off_t)(first * SECTOR));
    if (n < 0 && errno == EINTR) continue;
    return n < 0 ? 0 : (unsigned)(n / SECTOR);
  }
}

/* The number of the last record of the run of valid records that starts at sector `from`, or `from`. */
static uint64_t valid_run_end(uint64_t from) {
  uint64_t s = from;
  for (;;) {
    unsigned n = read_sectors(s, CHUNK_SECTORS);
    if (n == 0) return s;
    for (unsigned i = 0; i < n; i++, s++) {
      if (!valid_record(buf + (size_t)i * SECTOR, s)) return s;
    }
  }
}

static int valid_at(uint64_t sector) {
  return read_sectors(sector, 1) == 1 && valid_record(buf, sector);
}

/*
 * The disk's own figure: the length of the run of valid records from the start of the disk, without reading all
 * of it every second. It checks the record memory wrote last and those 1, 2, 4, 8, ... sectors before it, down to
 * sector 0. All there: the run is followed forward from there (a disk newer than memory shows more records).
 * One missing (a disk older than memory, even one written to since): the run is followed from the nearest valid
 * check below it, so the figure is where the run really ends.
 */
static uint64_t records_on_disk(void) {
  if (records == 0) return valid_run_end(0);
  uint64_t s = records - 1, step = 1;
  int missing = 0;
  for (;;) {
    if (valid_at(s)) {
      if (missing) return valid_run_end(s);
    } else {
      missing = 1;
    }
    if (s == 0) return missing ? 0 : valid_run_end(records);
    s = s > step ? s - step : 0;
    step *= 2;
  }
}

/* On start: the records already on the disk, and the channel numbering they imply. */
static void resume(void) {
  uint64_t s = 0;
  for (;;) {
    unsigned n = read_sectors(s, CHUNK_SECTORS);
    if (n == 0) break;
    unsigned i = 0;
    for (; i < n; i++, s++) {
      const unsigned char *p = buf + (size_t)i * SECTOR;
      if (!valid_record(p, s)) break;
      uint32_t to = le32(p + 24);
      if (le32(p + 16) == KIND_SEND && le32(p + 20) == self && to < MAX_GROUP) {
        next_seq[to] = le64(p + 32) + 1;
        next_peer = to;
      }
    }
    if (i < n) break;
  }
  records = s;
}

static void record(uint32_t kind, uint32_t from, uint32_t to, uint64_t seq) {
  if (disk < 0) { records++; return; }
  if (records >= disk_sectors) {
    if (!full_reported) say("QSC-DISK-FULL %llu", (unsigned long long)records);
    full_reported = 1;
    return;
  }
  memset(buf, 0, SECTOR);
  memcpy(buf, REC_MAGIC, 8);
  put_le64(buf + 8, records + 1);
  put_le32(buf + 16, kind);
  put_le32(buf + 20, from);
  put_le32(buf + 24, to);
  put_le64(buf + 32, seq);
  put_le32(buf + 40, crc32(buf, 40));
  ssize_t n;
  do { n = pwrite(disk, buf, SECTOR, (off_t)(records * SECTOR)); } while (n < 0 && errno == EINTR);
  if (n != SECTOR) {
    if (!error_reported) say("QSC-DISK-ERROR %llu %d", (unsigned long long)records, n < 0 ? errno : 0);
    error_reported = 1;
    return;
  }
  records++;
}

static struct sockaddr_in address_of(unsigned index) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(PORT);
  a.sin_addr.s_addr = htonl((10u << 24) | (77u << 16) | (index + 1));
  return a;
}

static void send_next(void) {
  if (group < 2) return;
  unsigned to = next_peer;
  do { to = (to + 1) % group; } while (to == self);
  unsigned char msg[MSG_SIZE] = {0};
  put_be32(msg, MSG_MAGIC);
  put_be32(msg + 4, self);
  put_be32(msg + 8, to);
  put_be64(msg + 16, next_seq[to]);
  struct sockaddr_in a = address_of(to);
  if (sendto(sock, msg, sizeof msg, 0, (struct sockaddr *)&a, sizeof a) != MSG_SIZE) {
    return;  /* not sent: the same number goes out next time */
  }
  uint64_t seq = next_seq[to]++;
  next_peer = to;
  record(KIND_SEND, self, to, seq);
  say("QSC-SEND %u %u %llu", self, to, (unsigned long long)seq);
}

static void receive_all(void) {
  for (;;) {
    unsigned char msg[MSG_SIZE + 1];
    struct sockaddr_in src;
    socklen_t len = sizeof src;
    ssize_t n = recvfrom(sock, msg, sizeof msg, MSG_DONTWAIT, (struct sockaddr *)&src, &len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  /* EAGAIN, or an error the next poll reports again */
    }
    if (n != MSG_SIZE || be32(msg) != MSG_MAGIC || be32(msg + 12) != 0) { ignored++; continue; }
    uint32_t from = be32(msg + 4), to = be32(msg + 8);
    uint64_t seq = be64(msg + 16);
    if (to != self || from >= group || from == self) { ignored++; continue; }
    struct sockaddr_in expected = address_of(from);
    if (len != sizeof src || src.sin_addr.s_addr != expected.sin_addr.s_addr) { ignored++; continue; }
    record(KIND_RECV, from, to, seq);
    say("QSC-RECV %u %u %llu", from, to, (unsigned long long)seq);
  }
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int parse_unsigned(const char *s, unsigned max, unsigned *out) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || end == s || *end || v > max) return -1;
  *out = (unsigned)v;
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4 || argc > 5) {
    fprintf(stderr, "usage: qscmsg INDEX GROUP RATE [DEVICE]\n");
    return 2;
  }
  char *end;
  double rate = strtod(argv[3], &end);
  if (parse_unsigned(argv[2], MAX_GROUP, &group) || parse_unsigned(argv[1], MAX_GROUP - 1, &self)
      || self >= group || *end || !(rate > 0 && rate <= 1000)) {
    say("QSC-ERROR bad arguments: index %s group %s rate %s", argv[1], argv[2], argv[3]);
    return 2;
  }
  crc_init();
  for (unsigned i = 0; i < MAX_GROUP; i++) next_seq[i] = 1;
  next_peer = self;
  if (posix_memalign((void **)&buf, 4096, (size_t)CHUNK_SECTORS * SECTOR)) return 1;

  const char *device = argc == 5 ? argv[4] : NULL;
  if (device) {
    disk = open(device, O_RDWR | O_DIRECT | O_SYNC);
    if (disk < 0) disk = open(device, O_RDWR | O_SYNC);
    if (disk < 0) {
      say("QSC-ERROR cannot open %s: %s", device, strerror(errno));
    } else {
      off_t size = lseek(disk, 0, SEEK_END);
      disk_sectors = size > 0 ? (uint64_t)size / SECTOR : 0;
      resume();
    }
  }

  sock = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in own = address_of(self);
  while (sock < 0 || bind(sock, (struct sockaddr *)&own, sizeof own) < 0) {
    say("QSC-ERROR socket: %s", strerror(errno));
    sleep(1);
    if (sock < 0) sock = socket(AF_INET, SOCK_DGRAM, 0);
  }
  say("QSC-START %u %u %llu", self, group, (unsigned long long)records);

  double period = 1.0 / rate;
  double t = now();
  double next_send = t + period, next_state = t + 1.0;
  for (;;) {
    double wake = next_send < next_state ? next_send : next_state;
    double wait = wake - now();
    int timeout = wait <= 0 ? 0 : (int)(wait * 1000) + 1;
    struct pollfd p = {.fd = sock, .events = POLLIN};
    if (poll(&p, 1, timeout) > 0) receive_all();
    t = now();
    if (t >= next_send) {
      send_next();
      next_send += period;
      if (next_send < t) next_send = t + period;  /* after a pause (or a restore) no burst of catching up */
    }
    if (t >= next_state) {
      if (disk >= 0) {
        say("QSC-STATE %llu %llu", (unsigned long long)records, (unsigned long long)records_on_disk());
      } else {
        say("QSC-STATE %llu -", (unsigned long long)records);
      }
      if (ignored != ignored_reported) {
        say("QSC-IGNORED %llu", (unsigned long long)ignored);
        ignored_reported = ignored;
      }
      next_state += 1.0;
      if (next_state < t) next_state = t + 1.0;
    }
  }
}

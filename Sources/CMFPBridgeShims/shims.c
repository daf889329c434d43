#define _GNU_SOURCE
#include "CMFPBridgeShims.h"

#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>
#include <pthread.h>
#include <termios.h>

#if defined(__x86_64__)
#include <nmmintrin.h>

int mfpb_crc32c_hw_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

/* One stream of crc32 instructions is bound by their latency (3 cycles each); three independent
   lanes keep the unit busy. The lanes are joined with "shift by LANE zero bytes", which is linear in
   the CRC register and so a lookup per register byte in tables built once from the instruction. */
#define MFPB_CRC_LANE 1024

__attribute__((target("sse4.2")))
static uint32_t crc32c_words(uint32_t crc, const uint8_t *bytes, size_t count) {
    uint64_t c = crc;
    while (count >= 8) {
        uint64_t word;
        __builtin_memcpy(&word, bytes, 8);
        c = _mm_crc32_u64(c, word);
        bytes += 8;
        count -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (count > 0) {
        c32 = _mm_crc32_u8(c32, *bytes);
        bytes++;
        count--;
    }
    return c32;
}

static uint32_t crc32c_shift_table[4][256];
static pthread_once_t crc32c_shift_once = PTHREAD_ONCE_INIT;

static void crc32c_make_shift_table(void) {
    static const uint8_t zeros[MFPB_CRC_LANE];
    for (int k = 0; k < 4; k++)
        for (uint32_t b = 0; b < 256; b++)
            crc32c_shift_table[k][b] = crc32c_words(b << (8 * k), zeros, MFPB_CRC_LANE);
}

/* The register after MFPB_CRC_LANE zero bytes. */
static inline uint32_t crc32c_shift(uint32_t c) {
    return crc32c_shift_table[0][c & 0xff] ^ crc32c_shift_table[1][(c >> 8) & 0xff]
         ^ crc32c_shift_table[2][(c >> 16) & 0xff] ^ crc32c_shift_table[3][c >> 24];
}

__attribute__((target("sse4.2")))
uint32_t mfpb_crc32c_hw_update(uint32_t crc, const uint8_t *bytes, size_t count) {
    if (count >= 3 * MFPB_CRC_LANE) {
        pthread_once(&crc32c_shift_once, crc32c_make_shift_table);
        while (count >= 3 * MFPB_CRC_LANE) {
            uint64_t a = crc, b = 0, c = 0;
            for (size_t i = 0; i < MFPB_CRC_LANE; i += 8) {
                uint64_t wa, wb, wc;
                __builtin_memcpy(&wa, bytes + i, 8);
                __builtin_memcpy(&wb, bytes + MFPB_CRC_LANE + i, 8);
                __builtin_memcpy(&wc, bytes + 2 * MFPB_CRC_LANE + i, 8);
                a = _mm_crc32_u64(a, wa);
                b = _mm_crc32_u64(b, wb);
                c = _mm_crc32_u64(c, wc);
            }
            crc = crc32c_shift(crc32c_shift((uint32_t)a) ^ (uint32_t)b) ^ (uint32_t)c;
            bytes += 3 * MFPB_CRC_LANE;
            count -= 3 * MFPB_CRC_LANE;
        }
    }
    return crc32c_words(crc, bytes, count);
}

#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>

int mfpb_crc32c_hw_available(void) { return 1; }

uint32_t mfpb_crc32c_hw_update(uint32_t crc, const uint8_t *bytes, size_t count) {
    while (count >= 8) {
        uint64_t word;
        __builtin_memcpy(&word, bytes, 8);
        crc = __crc32cd(crc, word);
        bytes += 8;
        count -= 8;
    }
    while (count > 0) {
        crc = __crc32cb(crc, *bytes);
        bytes++;
        count--;
    }
    return crc;
}

#else

int mfpb_crc32c_hw_available(void) { return 0; }

uint32_t mfpb_crc32c_hw_update(uint32_t crc, const uint8_t *bytes, size_t count) {
    (void)bytes; (void)count;
    return crc;
}

#endif

int mfpb_tty_set_exclusive(int fd) { return ioctl(fd, TIOCEXCL); }
int mfpb_tty_clear_exclusive(int fd) { return ioctl(fd, TIOCNXCL); }
int mfpb_tty_get_exclusive(int fd, int *exclusive) { return ioctl(fd, TIOCGEXCL, exclusive); }
int mfpb_tty_bytes_waiting(int fd, int *count) { return ioctl(fd, FIONREAD, count); }

int mfpb_posix_openpt(int flags) { return posix_openpt(flags); }
int mfpb_grantpt(int fd) { return grantpt(fd); }
int mfpb_unlockpt(int fd) { return unlockpt(fd); }
int mfpb_ptsname_r(int fd, char *buffer, size_t size) { return ptsname_r(fd, buffer, size); }
int mfpb_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }
int mfpb_accept4(int fd, int flags) { return accept4(fd, NULL, NULL, flags); }

int mfpb_syncfs(int fd) { return syncfs(fd); }

int mfpb_umount(const char *target) { return umount2(target, 0); }
int mfpb_umount_detach(const char *target) { return umount2(target, MNT_DETACH); }

int mfpb_openat(int dirfd, const char *path, int flags, unsigned int mode) { return openat(dirfd, path, flags, (mode_t)mode); }

int mfpb_mount(const char *source, const char *target, const char *type, unsigned long flags, const char *options) {
    return mount(source, target, type, flags, options);
}

#define _GNU_SOURCE
#include "CMFPBridgeShims.h"

#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>
#include <termios.h>

#if defined(__x86_64__)
#include <nmmintrin.h>

int mfpb_crc32c_hw_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

__attribute__((target("sse4.2")))
uint32_t mfpb_crc32c_hw_update(uint32_t crc, const uint8_t *bytes, size_t count) {
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
int mfpb_tty_bytes_waiting(int fd, int *count) { return ioctl(fd, FIONREAD, count); }

int mfpb_posix_openpt(int flags) { return posix_openpt(flags); }
int mfpb_grantpt(int fd) { return grantpt(fd); }
int mfpb_unlockpt(int fd) { return unlockpt(fd); }
int mfpb_ptsname_r(int fd, char *buffer, size_t size) { return ptsname_r(fd, buffer, size); }
int mfpb_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }
int mfpb_accept4(int fd, int flags) { return accept4(fd, NULL, NULL, flags); }

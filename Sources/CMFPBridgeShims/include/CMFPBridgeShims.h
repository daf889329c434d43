#ifndef CMFPBRIDGE_SHIMS_H
#define CMFPBRIDGE_SHIMS_H

#include <stddef.h>
#include <stdint.h>

// CRC32C (Castagnoli) with the CPU's instruction (x86-64 SSE4.2 or ARMv8 CRC).
// `crc` is the running value *without* the final inversion; callers do the inversions.
// Returns 1 when the running CPU has the instruction, 0 otherwise (then do not call the update).
int mfpb_crc32c_hw_available(void);
uint32_t mfpb_crc32c_hw_update(uint32_t crc, const uint8_t *bytes, size_t count);

// ioctl is variadic and cannot be called from Swift: the terminal requests the links need.
// Each returns what ioctl returns (-1 with errno set on failure).
int mfpb_tty_set_exclusive(int fd);      // TIOCEXCL
int mfpb_tty_clear_exclusive(int fd);    // TIOCNXCL
int mfpb_tty_get_exclusive(int fd, int *exclusive);   // TIOCGEXCL
int mfpb_tty_bytes_waiting(int fd, int *count); // FIONREAD


// GNU and XSI functions the Glibc module does not export (it is built without _GNU_SOURCE).
// Each returns what the libc function returns, with errno set on failure.
int mfpb_posix_openpt(int flags);
int mfpb_grantpt(int fd);
int mfpb_unlockpt(int fd);
int mfpb_ptsname_r(int fd, char *buffer, size_t size);
int mfpb_pipe2(int fds[2], int flags);
int mfpb_accept4(int fd, int flags);
int mfpb_syncfs(int fd);
int mfpb_umount(const char *target);
int mfpb_umount_detach(const char *target);
// openat is variadic (its mode); mount is declared only under _GNU_SOURCE headers here.
int mfpb_openat(int dirfd, const char *path, int flags, unsigned int mode);
int mfpb_mount(const char *source, const char *target, const char *type, unsigned long flags, const char *options);

#endif

// pkg-config libusb-1.0 --cflags adds -I/usr/include/libusb-1.0.
#include <libusb.h>

// Swift cannot call C variadics: libusb_set_option is wrapped here.
static inline int mfpb_libusb_set_log_level(libusb_context *ctx, int level) {
    return libusb_set_option(ctx, LIBUSB_OPTION_LOG_LEVEL, level);
}

// The libusb version as "1.0.26" parts, without Swift touching the struct's string pointers.
static inline void mfpb_libusb_version(unsigned *major, unsigned *minor, unsigned *micro) {
    const struct libusb_version *v = libusb_get_version();
    *major = v->major;
    *minor = v->minor;
    *micro = v->micro;
}

// Fills and submits a bulk transfer in one call (libusb_fill_bulk_transfer is a static inline
// helper that writes through the struct; doing it here keeps the Swift side to one pointer).
static inline int mfpb_libusb_submit_bulk(struct libusb_transfer *transfer, libusb_device_handle *handle,
                                          unsigned char endpoint, unsigned char *buffer, int length,
                                          libusb_transfer_cb_fn callback, void *user_data,
                                          unsigned int timeout) {
    libusb_fill_bulk_transfer(transfer, handle, endpoint, buffer, length, callback, user_data, timeout);
    return libusb_submit_transfer(transfer);
}

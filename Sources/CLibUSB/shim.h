// pkg-config libusb-1.0 --cflags adds -I/usr/include/libusb-1.0.
#include <libusb.h>

// Swift cannot call C variadics: libusb_set_option is wrapped here.
static inline int mfpb_libusb_set_log_level(libusb_context *ctx, int level) {
    return libusb_set_option(ctx, LIBUSB_OPTION_LOG_LEVEL, level);
}

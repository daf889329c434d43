// Debian's libusbredirparser (libusbredirparser-dev): the usbredir protocol's parser, used for the
// device ("usb-host") side of the emulated MFP.
#include <string.h>
#include <usbredirfilter.h>
#include <usbredirparser.h>

// The capabilities QEMU's usb-redir needs of a device side: packet sizes in the endpoint info,
// 64-bit ids and 32-bit bulk lengths (xHCI refuses the device otherwise), device version and
// disconnect acknowledgement. Not bulk_receiving: every IN transfer is asked for.
static inline void mfpb_redir_init(struct usbredirparser *parser, const char *version) {
    uint32_t caps[USB_REDIR_CAPS_SIZE] = {0};
    usbredirparser_caps_set_cap(caps, usb_redir_cap_connect_device_version);
    usbredirparser_caps_set_cap(caps, usb_redir_cap_filter);
    usbredirparser_caps_set_cap(caps, usb_redir_cap_device_disconnect_ack);
    usbredirparser_caps_set_cap(caps, usb_redir_cap_ep_info_max_packet_size);
    usbredirparser_caps_set_cap(caps, usb_redir_cap_64bits_ids);
    usbredirparser_caps_set_cap(caps, usb_redir_cap_32bits_bulk_length);
    usbredirparser_init(parser, version, caps, USB_REDIR_CAPS_SIZE, usbredirparser_fl_usb_host);
}

// The 32-entry tables of endpoint and interface info, filled from plain arrays (index: endpoint
// number, plus 16 for IN endpoints).
static inline void mfpb_redir_send_ep_info(struct usbredirparser *parser, const uint8_t *type,
                                           const uint8_t *interval, const uint8_t *interface,
                                           const uint16_t *max_packet_size) {
    struct usb_redir_ep_info_header header;
    memset(&header, 0, sizeof header);
    for (int i = 0; i < 32; i++) {
        header.type[i] = type[i];
        header.interval[i] = interval[i];
        header.interface[i] = interface[i];
        header.max_packet_size[i] = max_packet_size[i];
    }
    usbredirparser_send_ep_info(parser, &header);
}

static inline void mfpb_redir_send_interface_info(struct usbredirparser *parser, uint32_t count,
                                                  const uint8_t *number, const uint8_t *class_,
                                                  const uint8_t *subclass, const uint8_t *protocol) {
    struct usb_redir_interface_info_header header;
    memset(&header, 0, sizeof header);
    header.interface_count = count;
    for (uint32_t i = 0; i < count && i < 32; i++) {
        header.interface[i] = number[i];
        header.interface_class[i] = class_[i];
        header.interface_subclass[i] = subclass[i];
        header.interface_protocol[i] = protocol[i];
    }
    usbredirparser_send_interface_info(parser, &header);
}

static inline void mfpb_redir_send_connect(struct usbredirparser *parser, uint16_t vendor, uint16_t product,
                                           uint16_t version_bcd) {
    struct usb_redir_device_connect_header header;
    memset(&header, 0, sizeof header);
    header.speed = usb_redir_speed_high;
    header.vendor_id = vendor;
    header.product_id = product;
    header.device_version_bcd = version_bcd;
    usbredirparser_send_device_connect(parser, &header);
}

// Replies to a control request: `status` a usb_redir_status, `data` what an IN request returns.
static inline void mfpb_redir_reply_control(struct usbredirparser *parser, uint64_t id,
                                            const struct usb_redir_control_packet_header *request,
                                            uint8_t status, uint8_t *data, int length) {
    struct usb_redir_control_packet_header header = *request;
    header.status = status;
    header.length = (uint16_t)length;
    usbredirparser_send_control_packet(parser, id, &header, data, (request->requesttype & 0x80) ? length : 0);
}

// Completes a bulk transfer: an OUT one with the length taken, an IN one with its data.
static inline void mfpb_redir_reply_bulk(struct usbredirparser *parser, uint64_t id, uint8_t endpoint,
                                         uint8_t status, uint8_t *data, uint32_t length, int with_data) {
    struct usb_redir_bulk_packet_header header;
    memset(&header, 0, sizeof header);
    header.endpoint = endpoint;
    header.status = status;
    header.length = (uint16_t)(length & 0xffff);
    header.length_high = (uint16_t)(length >> 16);
    usbredirparser_send_bulk_packet(parser, id, &header, with_data ? data : NULL, with_data ? (int)length : 0);
}

static inline uint32_t mfpb_redir_bulk_length(const struct usb_redir_bulk_packet_header *header) {
    return ((uint32_t)header->length_high << 16) | header->length;
}

static inline void mfpb_redir_reply_configuration(struct usbredirparser *parser, uint64_t id, uint8_t status,
                                                  uint8_t configuration) {
    struct usb_redir_configuration_status_header header = {status, configuration};
    usbredirparser_send_configuration_status(parser, id, &header);
}

static inline void mfpb_redir_reply_alt_setting(struct usbredirparser *parser, uint64_t id, uint8_t status,
                                                uint8_t interface, uint8_t alt) {
    struct usb_redir_alt_setting_status_header header = {status, interface, alt};
    usbredirparser_send_alt_setting_status(parser, id, &header);
}

static inline void mfpb_redir_reply_interrupt_receiving(struct usbredirparser *parser, uint64_t id,
                                                        uint8_t status, uint8_t endpoint) {
    struct usb_redir_interrupt_receiving_status_header header = {status, endpoint};
    usbredirparser_send_interrupt_receiving_status(parser, id, &header);
}

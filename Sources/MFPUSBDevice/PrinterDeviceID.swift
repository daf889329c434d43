import MFPKit

/// The IEEE 1284 device id a printer-class interface returns to GET_DEVICE_ID (USB printer class
/// 1.1, section 4.2.1): a two-byte big-endian length that counts itself, then `KEY:value;` pairs.
/// Hosts (the kernel's usblp, CUPS's usb backend, ipp-usb) match drivers on MFG and MDL.
public enum PrinterDeviceID {
    public static func text(for profile: DeviceProfile) -> String {
        let usb = profile.usb
        return "MFG:\(usb.manufacturer);MDL:\(usb.product);CMD:PJL,PDF,URF,PWGRaster;CLS:PRINTER;"
            + "DES:\(usb.manufacturer) \(usb.product);SN:\(usb.serial);"
    }

    public static func bytes(for profile: DeviceProfile) -> [UInt8] {
        let body = Array(text(for: profile).utf8)
        let length = body.count + 2
        return [UInt8(length >> 8), UInt8(length & 0xff)] + body
    }
}

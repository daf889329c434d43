import CLibUSB

/// One libusb transfer and its buffer. Retained (`Unmanaged`) while libusb holds it; freed once.
///
/// `@unchecked Sendable`: `raw` and `buffer` are touched by libusb and by the engine only while
/// the engine's monitor is held or the transfer is not submitted; `result` is written under it.
final class USBTransfer: @unchecked Sendable {
    enum Kind { case read, write }
    let raw: UnsafeMutablePointer<libusb_transfer>
    let buffer: UnsafeMutablePointer<UInt8>
    let capacity: Int
    let kind: Kind
    let engine: USBTransferEngine
    /// Set when a write completes: status and bytes moved.
    var result: (status: libusb_transfer_status, actual: Int)?

    init(kind: Kind, capacity: Int, engine: USBTransferEngine) throws(LinkError) {
        do throws(USBCallError) {
            raw = try USBCall.allocTransfer()
        } catch {
            throw LinkError(usb: error, address: engine.address)
        }
        self.capacity = capacity
        buffer = .allocate(capacity: max(capacity, 1))
        self.kind = kind
        self.engine = engine
    }

    deinit {
        libusb_free_transfer(raw)
        buffer.deallocate()
    }
}

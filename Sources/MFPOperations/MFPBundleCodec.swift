import BridgeClient
import Foundation
import MFPBundle
import MFPKit

/// The operations' `BundleCodec` on the bundle format and its files (`BundleFile`).
public struct MFPBundleCodec: BundleCodec {
    public init() {}

    public func write(origin: BundleOrigin, snapshot: SettingsSnapshot, password: String?, to path: String) throws(BridgeError) {
        let header = BundleHeader(
            model: origin.model, series: origin.series, firmware: origin.firmware,
            displayLanguage: origin.language, sourceSerialNumber: origin.serialNumber,
            createdAt: Date(), describing: snapshot)
        try BundleFile.write(snapshot, header: header, password: password, to: path)
    }

    public func read(path: String, password: String?) throws(BridgeError) -> (origin: BundleOrigin, snapshot: SettingsSnapshot) {
        let contents = try BundleFile.read(path: path, password: password)
        let header = contents.header
        return (
            BundleOrigin(
                model: header.model, series: header.series, firmware: header.firmware,
                language: header.displayLanguage, serialNumber: header.sourceSerialNumber),
            contents.snapshot
        )
    }
}

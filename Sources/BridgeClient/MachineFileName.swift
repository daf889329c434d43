/// A machine's serial number as part of a file name: letters, digits and `-_.` are kept, anything
/// else becomes `_`.
public func machineFileName(_ serialNumber: String) -> String {
    String(serialNumber.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
}

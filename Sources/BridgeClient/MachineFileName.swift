import MFPKit

/// A machine's serial number as part of a file name (`fileNameSafe`).
public func machineFileName(_ serialNumber: String) -> String {
    fileNameSafe(serialNumber)
}

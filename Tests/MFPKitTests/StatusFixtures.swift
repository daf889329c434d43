import Foundation
import MFPKit

/// A ready machine with nothing running; tests change one thing at a time.
func idleStatus() -> DeviceStatus {
    DeviceStatus(
        model: "Aurora C5540i", series: "Aurora C5500", firmware: "41.02.7", serialNumber: "AUR5540-000731",
        language: "en-US", power: .ready, errorCode: nil, activeJobs: [],
        sync: SyncStatus(role: .none, state: .stopped), securityPolicyPasswordSet: false,
        importExportInProgress: false)
}

func job(_ function: DeviceFunction, _ id: String = "J1") -> ActiveJob {
    ActiveJob(id: id, function: function, startedAt: Date(timeIntervalSince1970: 0))
}
